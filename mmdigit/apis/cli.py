"""Argument handling shared by ``tools/train.py`` and ``tools/test.py``."""
import argparse
import os
import sys
from contextlib import contextmanager
from typing import Tuple

from mmengine.config import Config, ConfigDict, DictAction


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
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


@contextmanager
def exit_on_user_error(prefix: str = '', extra: Tuple[type, ...] = ()):
    """Turn a user's mistake into one ``error:`` line and exit code 1.

    Bad datasets (:class:`DatasetError`), non-finite losses
    (``FloatingPointError`` from ``NonFiniteLossHook``) and AMP without
    CUDA are reported without a traceback; anything else still raises.

    Args:
        prefix (str): Put before the message, e.g. ``'config: '``.
        extra (tuple[type]): More exception types to report this way.
    """
    from ..datasets import DatasetError
    from .runner_cfg import AmpUnavailableError
    try:
        yield
    except (DatasetError, FloatingPointError, AmpUnavailableError) + extra \
            as e:
        message = str(e)
        # a DatasetError's line already reads "error: <where>: <what>"
        if not message.startswith('error: '):
            message = f'error: {prefix}{message}'
        print(message, file=sys.stderr)
        sys.exit(1)
