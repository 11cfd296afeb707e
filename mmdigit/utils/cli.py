"""Shared by ``tools/``: one-line user errors and interrupts, config loading
and checks, torchrun on CPUs, and the harnesses' models and reports."""
import atexit
import copy
import gc
import io
import json
import os
import os.path as osp
import platform
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Dict, Optional, Sequence, Tuple

import mmcv
import mmdet
import mmengine
import torch
import torch.distributed as torch_dist
from mmdet.registry import MODELS
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from .config import cfg_set_data_root
from .errors import (CheckpointNotFoundError, ConfigError, MMDigitUserError,
                     UserInputError, debug_enabled, error_line,
                     is_config_error)
from .fileio import atomic_write_files
from .markdown import markdown_table
from .pretrained import ensure_pretrained_weights

#: Course test set size (the submission a user must write).
COURSE_TEST_IMAGES = 13068


@contextmanager
def exit_on_user_error(prefix: str = '', extra: Tuple[type, ...] = ()):
    """Report a user's mistake as one ``error:`` line and exit 1.

    :class:`MMDigitUserError` and ``extra`` types get ``prefix``, configs
    the registry cannot build ``'config: '``; bugs, and all with
    ``MMDIGIT_DEBUG=1``, keep a traceback.
    """
    try:
        yield
    except Exception as e:
        user = isinstance(e, (MMDigitUserError, *extra))
        if debug_enabled() or not (user or is_config_error(e)):
            raise
        print(error_line(e, prefix if user else 'config: '), file=sys.stderr)
        sys.exit(1)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs."""


def _raise_terminated(signum, frame):
    raise _Terminated()


def _file_state(path: str):
    if osp.exists(path):
        st = os.stat(path)
        return st.st_ino, st.st_mtime_ns, st.st_size


@contextmanager
def exit_on_interrupt(files: Sequence[str], what: str):
    """Report Ctrl-C / SIGTERM as one line on what became of ``files``
    (written by :func:`atomic_write_files`; ``what`` names them) and exit
    130 / 143 as the shell does; ``MMDIGIT_DEBUG=1`` keeps the traceback."""
    before = {path: _file_state(path) for path in files}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except KeyboardInterrupt as e:
        if debug_enabled():
            raise
        changed = [p for p in files if _file_state(p) != before[p]]
        if not changed:
            had = any(before.values())  # a state is a non-empty tuple
            state = 'the previous files' if had else 'nothing written'
            line = f'left unchanged ({state})'
        elif len(changed) == len(files):
            line = 'had already been written in full (all files new)'
        else:  # not with atomic_write_files; said plainly if it happens
            line = f'partly rewritten: {", ".join(changed)}'
        print(f'interrupted: {what} {line}', file=sys.stderr)
        sys.exit(128 + (
            signal.SIGTERM if isinstance(e, _Terminated) else signal.SIGINT))
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def config_name(config: str) -> str:
    """A config's file name without ``.py`` (its default work-dir name)."""
    return osp.splitext(osp.basename(config))[0]


def load_cfg(config: str,
             work_dir: Optional[str] = None,
             cfg_options: Optional[dict] = None,
             launcher: str = 'none',
             data_root: Optional[str] = None) -> Config:
    """Load a config with the options every tool takes (``work_dir`` by
    default ``work_dirs/<config name>``); :class:`ConfigError` if it (or a
    ``_base_``) is missing or not valid Python."""
    if not osp.isfile(config):
        raise ConfigError(f'config file not found: {config}')
    try:
        cfg = Config.fromfile(config)
    except (FileNotFoundError, SyntaxError) as e:  # mmengine names the file
        raise ConfigError(f'{config}: {e}') from e
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root:
        cfg_set_data_root(cfg, data_root)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', config_name(config))
    return cfg


def require_checkpoint(path: str, what: str, made_by=None) -> None:
    """Raise :class:`CheckpointNotFoundError` for a missing local ``path``,
    naming ``what`` it is and the command ``made_by`` that writes it (a
    config's ``load_from_hint``) or, under ``work_dirs/``, a training."""
    if '://' in path or osp.isfile(osp.expanduser(path)):
        return
    hint = f'; make it with: {made_by}' if made_by else ''
    if not made_by and 'work_dirs' in osp.normpath(path).split(osp.sep):
        hint = ('; it is a training output (under work_dirs/): train the '
                'config that writes it (e.g. the pretraining config) first')
    raise CheckpointNotFoundError(f'{what} file not found: {path}{hint}')


def add_custom_hook(cfg: Config, hook_type: str, replace=True, **kwargs):
    """Add a ``hook_type`` hook to ``custom_hooks``, replacing one the
    config has (or, with ``replace=False``, keeping it and adding none)."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    others = [h for h in hooks if h.get('type') != hook_type]
    if replace or len(others) == len(hooks):
        cfg.custom_hooks = others + [dict(type=hook_type, **kwargs)]


def require_amp_device() -> None:
    """Refuse AMP without CUDA (``AmpOptimWrapper`` would assert deep in
    the runner)."""
    if not torch.cuda.is_available():
        raise UserInputError(
            'AMP (--amp / AmpOptimWrapper) needs a CUDA device and none is '
            'available; train without --amp on this machine.')


def check_train_cfg(cfg: Config) -> Config:
    """Check a training config before anything runs, and return it: AMP
    needs CUDA; a start checkpoint must exist and fit the model
    (``CheckpointFitHook``); downloaded weights are fetched first."""
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
        require_amp_device()
    load_from, resuming = cfg.get('load_from'), bool(cfg.get('resume'))
    if load_from:
        require_checkpoint(load_from,
                           '--resume checkpoint' if resuming else 'load_from',
                           None if resuming else cfg.get('load_from_hint'))
    if load_from or resuming:
        add_custom_hook(cfg, 'CheckpointFitHook', strict=resuming)
    if not resuming:  # a resumed run reads its weights from the checkpoint
        ensure_pretrained_weights(cfg)
    return cfg


def setup_distributed(cfg: Config) -> None:
    """Let ``tools/dist_*.sh`` (torchrun) run without CUDA, and end cleanly.

    MMEngine's ``pytorch`` launcher assumes GPUs: on CPUs it gets gloo,
    ``device_ids=None`` and a group made here, destroyed at exit, as gloo
    may abort at finalisation (docs/reliability.md).
    """
    if cfg.get('launcher', 'none') == 'none':
        return
    if cfg.launcher == 'pytorch' and not torch.cuda.is_available():
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

    @atexit.register
    def destroy() -> None:
        if torch_dist.is_available() and torch_dist.is_initialized():
            gc.collect()  # DDP's reducer, in the runner's cycles, holds it
            torch_dist.destroy_process_group()


def build_model(cfg: Config, device: str):
    """The config's model with random weights on ``device`` (nothing is
    downloaded: the harnesses time steps, which weights do not change)."""
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None
    return MODELS.build(model_cfg).to(device)


def endless(loader):
    """Iterate a dataloader forever (a new epoch when one ends)."""
    while True:
        yield from loader


def environment(device: str) -> Dict[str, str]:
    """Where numbers were measured: device, library versions, date."""
    if device == 'cuda':
        name = torch.cuda.get_device_name()
    else:
        try:
            with open('/proc/cpuinfo') as f:
                cpu = next(
                    line.split(':', 1)[1].strip() for line in f
                    if line.startswith('model name'))
        except (OSError, StopIteration):
            cpu = platform.processor() or platform.machine()
        name = (f'CPU {cpu}, {os.cpu_count()} cores, '
                f'{torch.get_num_threads()} torch threads')
    return dict(
        device=name,
        **{m.__name__: m.__version__
           for m in (torch, mmcv, mmengine, mmdet)},
        date=time.strftime('%Y-%m-%d %H:%M'))


def bar_chart_png(values, title: str, xerr=None, labels=None) -> bytes:
    """PNG bytes: a 360 px panel of horizontal bars per column of ``values``
    (a DataFrame), a bar per row; ``xerr`` whiskers are columns x (below,
    above) x rows, ``labels`` (a DataFrame) the text after each bar."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n = values.shape[1]
    axes = values.plot.barh(
        subplots=True,
        layout=(1, n),
        sharex=False,
        sharey=True,
        legend=False,
        title=list(values.columns),
        xerr=xerr,
        color='tab:blue',
        ecolor='black',
        capsize=3,
        fontsize=7,
        figsize=(3.6 * n, 1.4 + 0.4 * len(values)))[0]
    for ax, column in zip(axes, values):
        ax.title.set_fontsize(9)
        ax.set_ylabel('')
        ax.margins(x=0.25)
        if labels is not None:
            ax.bar_label(
                ax.containers[-1], [f' {t}' for t in labels[column]],
                fontsize=7)
    axes[0].invert_yaxis()  # shared: rows top to bottom in every panel
    fig = axes[0].figure
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100)
    plt.close(fig)
    return buf.getvalue()


def write_table_report(work_dir: str,
                       name: str,
                       headers: Sequence[str],
                       rows: Sequence[Sequence[str]],
                       intro: Sequence[str] = (),
                       notes: Sequence[str] = (),
                       csv: Optional[str] = None,
                       json_data: Any = None,
                       png: Optional[bytes] = None) -> Dict[str, str]:
    """Write ``<name>.md`` (``intro`` paragraphs, the table, ``notes``) and
    the ``.csv``, ``.json`` (``indent=1``) and ``.png`` given, all replaced
    together; return the written paths by extension."""
    text = '\n\n'.join([*intro, markdown_table(headers, rows), *notes])
    if json_data is not None:
        json_data = json.dumps(json_data, indent=1)
    data = dict(md=text + '\n', csv=csv, json=json_data, png=png)
    data = {
        osp.join(work_dir, f'{name}.{ext}'): v if ext == 'png' else v.encode()
        for ext, v in data.items() if v is not None
    }
    atomic_write_files(data)
    return {osp.splitext(path)[1][1:]: path for path in data}
