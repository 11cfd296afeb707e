"""Argument, error and interrupt handling shared by the tools."""
import argparse
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Sequence, Tuple

from mmengine.config import Config, ConfigDict, DictAction

from ..utils.errors import (MMDigitUserError, debug_enabled, error_line,
                            is_config_error)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add mmdet's common tool flags plus ``--data-root``.

    Args:
        parser (argparse.ArgumentParser): Parser to extend.
    """
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--data-root',
        help='dataset folder in the course layout (train/, valid/, test/, '
        'train.json, valid.json); overrides the config')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank to the script.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_common_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse and export ``LOCAL_RANK`` as mmdet's tools do.

    Args:
        parser (argparse.ArgumentParser): Parser with the common flags.

    Returns:
        argparse.Namespace: Parsed arguments.
    """
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def _setup_cpu_distributed(cfg: Config) -> None:
    """Let ``tools/dist_*.sh`` (torchrun) run on machines without CUDA.

    MMEngine's ``pytorch`` launcher assumes GPUs: it calls
    ``torch.cuda.set_device`` and gives DDP ``device_ids=[LOCAL_RANK]``. So
    here NCCL becomes gloo, DDP gets ``device_ids=None``, and the process
    group is created from torchrun's env:// rendezvous (the runner skips its
    own initialisation when a group exists).
    """
    import torch
    import torch.distributed as torch_dist
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend=dist_cfg['backend'])


def build_runner(cfg: Config):
    """Build the runner a config asks for (``runner_type`` or the default).

    Args:
        cfg (Config): Prepared config.

    Returns:
        mmengine.runner.Runner: The runner.
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    _setup_cpu_distributed(cfg)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    _destroy_process_group_at_exit()
    return runner


def _destroy_process_group_at_exit() -> None:
    """Destroy the default process group before the interpreter shuts down.

    Neither torchrun nor MMEngine destroys it. A gloo group left alive is
    torn down during interpreter finalisation, where its worker threads
    still hold work objects: the process may die with ``terminate called
    without an active exception`` (SIGABRT) after the job is done, and
    torchrun then reports the whole run as failed. ``atexit`` handlers run
    on a normal exit, ``sys.exit`` and uncaught exceptions, while the
    interpreter is still alive. No barrier: every rank has left the job's
    last collective before it gets here, and on an error path another rank
    may never arrive.
    """
    import atexit
    import gc

    import torch.distributed as torch_dist

    def destroy() -> None:
        if torch_dist.is_available() and torch_dist.is_initialized():
            # DDP's reducer holds the group too; the runner's reference
            # cycles would keep it until finalisation without a collection.
            gc.collect()
            torch_dist.destroy_process_group()

    if torch_dist.is_available() and torch_dist.is_initialized():
        atexit.register(destroy)


@contextmanager
def exit_on_user_error(prefix: str = '', extra: Tuple[type, ...] = ()):
    """Turn a user's mistake into one ``error:`` line and exit code 1.

    Reported without a traceback: :class:`~mmdigit.utils.MMDigitUserError`
    (bad datasets, configs, checkpoints and paths, non-finite losses, AMP
    without CUDA) and a config that mmengine's registry cannot build (a
    misspelt keyword or ``type``, see
    :func:`~mmdigit.utils.is_config_error`), as ``error: config: ...``.
    Anything else is a bug and keeps its traceback, and so does everything
    when the environment has ``MMDIGIT_DEBUG=1``.

    Args:
        prefix (str): Put before a user error's message, e.g. ``'data: '``.
        extra (tuple[type]): More exception types to report this way. Only
            for types a tool defines for its own users' mistakes; prefer
            deriving them from ``MMDigitUserError``.
    """
    try:
        yield
    except Exception as e:
        if debug_enabled():
            raise
        if isinstance(e, (MMDigitUserError, ) + tuple(extra)):
            line = error_line(e, prefix)
        elif is_config_error(e):
            line = error_line(e, 'config: ')
        else:
            raise
        print(line, file=sys.stderr)
        sys.exit(1)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs."""


def _raise_terminated(signum, frame):
    raise _Terminated()


def _file_state(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


@contextmanager
def exit_on_interrupt(files: Sequence[str], what: str):
    """Report Ctrl-C / SIGTERM as one line saying what became of ``files``.

    The files must be written atomically as a group (the submission is:
    :func:`~mmdigit.utils.atomic_write_files`), so an interrupt leaves
    either the files that were there before (or none), or all the new
    ones; the line says which, e.g. ``interrupted: work_dirs/sub left
    unchanged (the previous files)``. Exit code 130 (SIGINT) or 143
    (SIGTERM), as the shell reports a process killed by that signal. With
    ``MMDIGIT_DEBUG=1`` the interrupt keeps its traceback.

    Args:
        files (Sequence[str]): The files the block may (re)write.
        what (str): How to name them in the message, e.g. the ``--out``
            path.
    """
    before = {path: _file_state(path) for path in files}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except KeyboardInterrupt as e:
        if debug_enabled():
            raise
        signum = signal.SIGTERM if isinstance(e, _Terminated) \
            else signal.SIGINT
        changed = [p for p in files if _file_state(p) != before[p]]
        if not changed:
            had = any(state is not None for state in before.values())
            state = 'the previous files' if had else 'nothing written'
            line = f'interrupted: {what} left unchanged ({state})'
        elif len(changed) == len(files):
            line = (f'interrupted: {what} had already been written in full '
                    '(all files new)')
        else:  # not with atomic_write_files; said plainly if it happens
            line = (f'interrupted: {what} partly rewritten: '
                    f'{", ".join(changed)}')
        print(line, file=sys.stderr)
        sys.exit(128 + signum)
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
