"""Speed and memory of configs, measured back to back (``tools/benchmark.py``).

Every config (and every ``--img-scales`` / ``--batch-sizes`` / AMP variant
of it) runs in one process, one after the other, on the same images:

- training: ``train_step`` (data loading, forward, backward, optimizer
  step) on the config's own train dataloader, images/s after warm-up;
- inference: ``test_step`` on the config's test dataloader (by default the
  unlabelled ``test/`` folder), at batch size 1 and at the config's test
  batch size, images/s after warm-up, data loading included;
- peak memory of each phase: the process's peak RSS on CPU (the kernel's
  high-water mark, reset before each phase through ``/proc/self/clear_refs``
  after glibc's ``malloc_trim`` has returned freed memory, so one process
  measures each row on its own; dataloader workers are not counted), or
  ``torch.cuda.max_memory_allocated`` on a GPU.

Weights are random (``init_cfg=None``): the cost of a step does not depend
on them, and nothing is downloaded.
"""
import copy
import ctypes
import functools
import gc
import os
import platform
import resource
import shlex
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from ..utils.config import cfg_set_img_scale
from .report import BarPanel, write_table_report
from .runner_cfg import config_name, load_cfg
from .train_cfg import prepare_train_cfg, require_amp_device

#: Course test set size (the submission a user must write).
COURSE_TEST_IMAGES = 13068

#: An image scale, as ``Resize``'s ``scale``.
_Scale = Tuple[int, int]

#: Table columns: (key, header, format, has a ratio column).
COLUMNS = [
    ('train_img_s', 'train img/s', '.2f', True),
    ('infer1_img_s', 'infer img/s (bs 1)', '.2f', True),
    ('infer_img_s', 'infer img/s (bs {test_bs})', '.2f', True),
    ('train_peak_mb', 'train peak MB', '.0f', True),
    ('infer_peak_mb', 'infer peak MB', '.0f', True),
    ('course_test_min', f'{COURSE_TEST_IMAGES:,} test images (min)', '.1f',
     False),
]


def _sync(device: str) -> None:
    if device == 'cuda':
        import torch
        torch.cuda.synchronize()


class PeakMemory:
    """Peak memory of a phase: RSS high-water mark or CUDA allocations.

    Args:
        device (str): ``'cpu'`` or ``'cuda'``.
    """

    def __init__(self, device: str) -> None:
        self.device = device

    def reset(self) -> None:
        """Start a new phase."""
        gc.collect()
        if self.device == 'cuda':
            import torch
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            return
        try:
            # glibc keeps freed heap pages resident; without giving them
            # back, one row's peak would carry the previous rows' memory
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        except (OSError, AttributeError):
            pass
        try:
            # "5" resets the VmHWM of this process (Linux >= 4.0)
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
        except OSError:
            pass  # peak() then falls back to the lifetime maximum

    def peak(self) -> float:
        """Peak of the phase in MB."""
        if self.device == 'cuda':
            import torch
            return torch.cuda.max_memory_allocated() / 2**20
        try:
            with open('/proc/self/status') as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _endless(loader):
    """Iterate a dataloader forever (a new epoch when one ends)."""
    while True:
        yield from loader


def time_steps(step, batches, warmup: int, steps: int,
               device: str) -> Tuple[float, int]:
    """Time ``steps`` calls of ``step(batch)`` after ``warmup`` calls.

    Fetching each batch is part of the timed step: a loader that cannot keep
    up slows the user's run too.

    Args:
        step (callable): Called with a batch.
        batches (Iterator): Batches from a dataloader.
        warmup (int): Untimed calls first.
        steps (int): Timed calls.
        device (str): ``'cuda'`` synchronises before reading the clock.

    Returns:
        tuple[float, int]: Seconds and images of the timed calls.
    """
    for _ in range(warmup):
        step(next(batches))
    _sync(device)
    images = 0
    start = time.perf_counter()
    for _ in range(steps):
        batch = next(batches)
        images += len(batch['inputs'])
        step(batch)
    _sync(device)
    return time.perf_counter() - start, images


def _build(cfg: Config, device: str):
    """Model with random weights on ``device``, as the runner builds it."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None  # offline; speed does not need them
    model = MODELS.build(model_cfg)
    return model.to(device)


def benchmark_cfg(cfg: Config,
                  device: str = 'cpu',
                  iters: int = 10,
                  warmup: int = 3,
                  infer_images: int = 40,
                  amp: bool = False) -> Dict[str, float]:
    """Measure training and inference speed and peak memory of one config.

    Args:
        cfg (Config): Loaded config (see :func:`load_cfg`).
        device (str): ``'cpu'`` or ``'cuda'``. Defaults to ``'cpu'``.
        iters (int): Timed training iterations. Defaults to 10.
        warmup (int): Untimed training iterations first (inference: one
            untimed batch). Defaults to 3.
        infer_images (int): Timed inference images per batch size (fewer if
            the test set is smaller). Defaults to 40.
        amp (bool): Mixed precision (CUDA only). Defaults to False.

    Returns:
        dict[str, float]: ``train_img_s``, ``infer1_img_s``,
        ``infer_img_s``, ``train_peak_mb``, ``infer_peak_mb``,
        ``train_bs``, ``test_bs``, ``course_test_min``.
    """
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner, set_random_seed

    # --amp exactly as tools/train.py applies it (and refuses it on CPU)
    cfg = prepare_train_cfg(copy.deepcopy(cfg), amp=amp)
    memory = PeakMemory(device)
    result = dict(
        train_bs=cfg.train_dataloader.batch_size,
        test_bs=cfg.test_dataloader.batch_size)

    set_random_seed(0)
    memory.reset()
    model = _build(cfg, device)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    # partial, not a lambda: no closure over the names deleted below
    train_step = functools.partial(
        model.train_step, optim_wrapper=optim_wrapper)
    seconds, images = time_steps(train_step, _endless(loader), warmup, iters,
                                 device)
    result['train_img_s'] = images / seconds
    result['train_peak_mb'] = memory.peak()
    del train_step, optim_wrapper, loader

    model.eval()
    peaks = []
    phases = (('infer1_img_s', 1), ('infer_img_s', result['test_bs']))
    for key, batch_size in phases:
        loader_cfg = copy.deepcopy(cfg.test_dataloader)
        loader_cfg.batch_size = batch_size
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        steps = max(1, min(infer_images, len(loader.dataset)) // batch_size)
        steps = min(steps, max(1, len(loader) - 1))
        memory.reset()
        with torch.no_grad(), torch.autocast(
                device_type=device, enabled=amp and device == 'cuda'):
            seconds, images = time_steps(model.test_step, _endless(loader), 1,
                                         steps, device)
        result[key] = images / seconds
        peaks.append(memory.peak())
        del loader
    result['infer_peak_mb'] = max(peaks)
    result['course_test_min'] = COURSE_TEST_IMAGES / result['infer_img_s'] / 60
    del model
    return result


def parse_row(spec: str) -> Tuple[str, Dict]:
    """Parse a row: a config, optionally followed by its own overrides.

    ``'configs/a.py model.test_cfg.rpn.max_per_img=100 img_scale=(320,160)'``
    benchmarks ``a.py`` with those options (``--cfg-options`` syntax);
    ``img_scale`` rewrites every ``Resize`` (:func:`cfg_set_img_scale`) and
    ``label=NAME`` names the row (default: the config name and the last
    part of each key).

    Args:
        spec (str): Config path and ``key=value`` words.

    Returns:
        tuple[str, dict]: The config path and its options.
    """
    from mmengine.config import DictAction
    config, *words = spec.split()
    options = {}
    for word in words:
        key, value = word.split('=', maxsplit=1)
        options[key] = DictAction._parse_iterable(value)
    return config, options


def _variants(specs: Sequence[str], img_scales: Optional[Sequence[_Scale]],
              batch_sizes: Optional[Sequence[int]], amp: bool) -> List[Dict]:
    """Expand rows: every scale x batch size (x AMP) of every spec."""
    rows = []
    for spec in specs:
        config, options = parse_row(spec)
        for scale in img_scales or [None]:
            for batch_size in batch_sizes or [None]:
                for use_amp in ([False, True] if amp else [False]):
                    row_options = dict(options)
                    if scale:
                        row_options['img_scale'] = tuple(scale)
                    if batch_size:
                        row_options['train_dataloader.batch_size'] = \
                            batch_size
                    rows.append(
                        dict(config=config, options=row_options, amp=use_amp))
    return rows


def _row_name(row: Dict) -> str:
    words = [config_name(row['config'])]
    for key, value in row['options'].items():
        if key == 'label':
            words = [str(value)]
        elif key == 'img_scale':
            words.append('@{}x{}'.format(*value))
        elif key == 'train_dataloader.batch_size':
            words.append(f'bs{value}')
        else:
            words.append(f'{key.split(".")[-1]}={value}')
    if row['amp']:
        words.append('amp')
    return ' '.join(words)


def run_benchmark(rows: Sequence[str],
                  device: str = 'cpu',
                  iters: int = 10,
                  warmup: int = 3,
                  infer_images: int = 40,
                  data_root: Optional[str] = None,
                  cfg_options: Optional[dict] = None,
                  img_scales: Optional[Sequence[Tuple[int, int]]] = None,
                  batch_sizes: Optional[Sequence[int]] = None,
                  amp: bool = False,
                  work_dir: str = 'work_dirs/benchmark',
                  name: str = 'benchmark') -> List[Dict]:
    """Benchmark configs back to back and write ``<name>.{md,json,png}``.

    Args:
        rows (Sequence[str]): Config files, each optionally followed by
            its own overrides (:func:`parse_row`); the first row is the
            reference of the ratio columns.
        device (str): ``'cpu'`` or ``'cuda'``. Defaults to ``'cpu'``.
        iters (int): Timed training iterations per row. Defaults to 10.
        warmup (int): Untimed iterations / batches first. Defaults to 3.
        infer_images (int): Timed inference images per batch size.
            Defaults to 40.
        data_root (str, optional): Dataset in the course layout.
        cfg_options (dict, optional): Overrides applied to every row.
        img_scales (Sequence[tuple[int, int]], optional): One row per
            ``(w, h)`` input scale (every ``Resize`` of the pipelines).
        batch_sizes (Sequence[int], optional): One row per training batch
            size.
        amp (bool): Add a mixed-precision row after each row (CUDA only).
            Defaults to False.
        work_dir (str): Output folder. Defaults to
            ``'work_dirs/benchmark'``.
        name (str): Output file stem. Defaults to ``'benchmark'``.

    Returns:
        list[dict]: One result per row, with the ratios to the first row.
    """
    rows = _variants(rows, img_scales, batch_sizes, amp)
    if amp:  # fail before the first row, not after it
        require_amp_device()
    results = []
    for i, row in enumerate(rows):
        label = _row_name(row)
        print_log(f'[benchmark {i + 1}/{len(rows)}] {label}', logger='current')
        options = dict(cfg_options or {}, **row['options'])
        options.pop('label', None)
        img_scale = options.pop('img_scale', None)
        cfg = load_cfg(row['config'], cfg_options=options, data_root=data_root)
        if img_scale:
            cfg_set_img_scale(cfg, img_scale)
        result = dict(name=label, **row)
        result.update(
            benchmark_cfg(cfg, device, iters, warmup, infer_images,
                          row['amp']))
        results.append(result)
        print_log(
            '  ' + ', '.join(f'{k}={result[k]:.2f}' for k, *_ in COLUMNS),
            logger='current')
    for result in results:
        for key, *_, ratio in COLUMNS:
            if ratio:
                result[key + '_ratio'] = result[key] / results[0][key]
    meta = environment(device)
    meta.update(
        command='python ' + shlex.join(sys.argv),
        iters=iters,
        warmup=warmup,
        infer_images=infer_images,
        data_root=data_root)
    write_report(results, meta, work_dir, name)
    return results


def environment(device: str) -> Dict[str, str]:
    """Where the numbers were measured: device, versions, date."""
    import mmcv
    import mmdet
    import mmengine
    import torch
    if device == 'cuda':
        name = torch.cuda.get_device_name()
    else:
        name = (f'CPU {platform.processor() or platform.machine()}, '
                f'{os.cpu_count()} cores, {torch.get_num_threads()} torch '
                'threads')
    return dict(
        device=name,
        torch=torch.__version__,
        mmcv=mmcv.__version__,
        mmengine=mmengine.__version__,
        mmdet=mmdet.__version__,
        date=time.strftime('%Y-%m-%d %H:%M'))


def _table(results: Sequence[Dict]) -> Tuple[List[str], List[List[str]]]:
    """Headers and formatted cells of the benchmark table."""
    headers, keys = ['config', 'train bs'], []
    for key, header, fmt, ratio in COLUMNS:
        headers.append(header.format(test_bs=results[0]['test_bs']))
        keys.append((key, fmt))
        if ratio:
            headers.append('×')
            keys.append((key + '_ratio', '.2f'))
    rows = [[r['name'], str(r['train_bs'])] +
            [format(r[k], fmt) for k, fmt in keys] for r in results]
    return headers, rows


def write_report(results: Sequence[Dict],
                 meta: Dict,
                 work_dir: str,
                 name: str = 'benchmark') -> Dict[str, str]:
    """Write ``<name>.md`` (table + set-up), ``.json`` and ``.png``.

    Args:
        results (Sequence[dict]): From :func:`run_benchmark`.
        meta (dict): From :func:`environment` plus the command.
        work_dir (str): Output folder.
        name (str): File stem. Defaults to ``'benchmark'``.

    Returns:
        dict[str, str]: Paths by extension.
    """
    setup = ', '.join(f'{k} {meta[k]}'
                      for k in ('device', 'torch', 'mmcv', 'mmdet', 'date'))
    note = (f'Images/s over {meta["iters"]} training iterations after '
            f'{meta["warmup"]} warm-up ones, and over up to '
            f'{meta["infer_images"]} inference images per batch size after '
            f'one warm-up batch; × = ratio to '
            f'the first row; peak memory is the process\'s RSS on CPU, '
            f'allocated CUDA memory on a GPU.')
    # one panel per column that has a ratio, the ratio after each bar
    panels = [
        BarPanel(
            header.format(test_bs=results[0]['test_bs']),
            [r[key] for r in results],
            labels=[f'{r[key + "_ratio"]:.2f}×' for r in results])
        for key, header, _, ratio in COLUMNS if ratio
    ]
    headers, rows = _table(results)
    return write_table_report(
        work_dir,
        name,
        headers,
        rows,
        intro=[f'{setup}.', f'`{meta["command"]}`'],
        notes=[note],
        json_data=dict(meta=meta, results=list(results)),
        panels=panels,
        title=setup)
