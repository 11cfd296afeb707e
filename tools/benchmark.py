"""Benchmark configs back to back: training and inference images/s, peak
memory, and each one's ratio to the first row.

A row is a config, optionally followed (in the same quoted argument) by its
own ``--cfg-options``-style overrides; ``img_scale=(w,h)`` rewrites every
``Resize``, ``label=NAME`` names the row. All rows run in this process on
the same images: ``train_step`` on the train dataloader, ``test_step`` on
the test dataloader at batch size 1 and at its own, data loading included.
Weights are random and nothing is downloaded (mmdet's ``InferenceBenchmark``
needs CUDA and a checkpoint). Writes ``<work-dir>/<name>.{md,json,png}``.

Example:
    python tools/benchmark.py configs/faster_rcnn_r50_fpn_digits.py \
        "configs/faster_rcnn_r50_fpn_digits.py img_scale=(512,256)" \
        --img-scales 256x128 320x160 --batch-sizes 1 2 \
        --data-root ../shared/data/svhn-mini --name scaling
"""
import argparse
import contextlib
import ctypes
import functools
import gc
import itertools
import re
import resource
import shlex
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import pandas as pd
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner, set_random_seed

from mmdigit.utils import cfg_set_img_scale
from mmdigit.utils.cli import (COURSE_TEST_IMAGES, bar_chart_png, build_model,
                               config_name, endless, environment,
                               exit_on_user_error, load_cfg,
                               require_amp_device, write_table_report)

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
RATIOS = [key for key, *_, ratio in COLUMNS if ratio]


def scale(text: str) -> Tuple[int, int]:
    """``'320x160'`` -> ``(320, 160)``."""
    try:
        w, h = map(int, text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected WxH, got {text!r}')
    return w, h


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add = parser.add_argument
    add('rows',
        nargs='+',
        help='config files, each optionally followed by its own key=value '
        'overrides (one quoted argument); the first row is the reference')
    add('--device', choices=['cpu', 'cuda'], help='default: cuda if present')
    add('--iters', type=int, default=10, help='timed training iterations')
    add('--warmup', type=int, default=3, help='untimed iterations / batches')
    add('--infer-images', type=int, default=40, help='per batch size')
    add('--data-root', help='dataset folder in the course layout')
    add('--batch-sizes', type=int, nargs='+', help='training, a row each')
    add('--img-scales', type=scale, nargs='+', help='WxH, a row each')
    add('--amp', action='store_true', help='an AMP row after each (CUDA)')
    add('--work-dir', default='work_dirs/benchmark')
    add('--name', default='benchmark', help='output file stem')
    add('--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides applied to every config (xxx=yyy)')
    args = parser.parse_args(argv)
    cuda = torch.cuda.is_available()
    if args.device == 'cuda' and not cuda:
        raise SystemExit('error: --device cuda: no CUDA device is available')
    args.device = args.device or ('cuda' if cuda else 'cpu')
    return args


def reset_peak(device: str) -> None:
    """Start a new phase of :func:`peak_mb`."""
    gc.collect()
    if device == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    else:  # if this fails, peak_mb() gives the lifetime maximum
        with contextlib.suppress(OSError, AttributeError):
            # glibc keeps freed heap pages resident: without giving them
            # back, a row's peak would carry the previous rows' memory
            ctypes.CDLL('libc.so.6').malloc_trim(0)
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # resets VmHWM (Linux >= 4.0)


def peak_mb(device: str) -> float:
    """Peak memory in MB since :func:`reset_peak`: the RSS high-water mark
    on CPU, CUDA allocations on ``'cuda'``."""
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    try:
        with open('/proc/self/status') as f:
            return int(re.search(r'VmHWM:\s*(\d+)', f.read())[1]) / 1024
    except OSError:  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_steps(step, loader, warmup: int, steps: int, device: str) -> float:
    """Images/s of ``steps`` calls of ``step(batch)`` after ``warmup``
    untimed ones; fetching a batch is part of the step."""
    batches = endless(loader)
    sync = torch.cuda.synchronize if device == 'cuda' else lambda: None
    for _ in range(warmup):
        step(next(batches))
    sync()
    images, start = 0, time.perf_counter()
    for _ in range(steps):
        batch = next(batches)
        images += len(batch['inputs'])
        step(batch)
    sync()
    return images / (time.perf_counter() - start)


def benchmark_cfg(cfg: Config, args, amp: bool = False) -> Dict[str, float]:
    """Speed and peak memory of one config on ``args.device``: the
    :data:`COLUMNS` (not the ratios), ``train_bs`` and ``test_bs``."""
    device = args.device
    if amp:  # as tools/train.py --amp
        cfg.optim_wrapper.update(type='AmpOptimWrapper', loss_scale='dynamic')
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
        require_amp_device()
    test_bs = cfg.test_dataloader.batch_size
    result = dict(train_bs=cfg.train_dataloader.batch_size, test_bs=test_bs)
    set_random_seed(0)
    reset_peak(device)
    model = build_model(cfg, device).train()
    # partial, not a lambda: no closure over the names deleted below
    train_step = functools.partial(
        model.train_step,
        optim_wrapper=build_optim_wrapper(model, cfg.optim_wrapper))
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    result.update(
        train_img_s=time_steps(train_step, loader, args.warmup, args.iters,
                               device),
        train_peak_mb=peak_mb(device))
    del train_step, loader
    model.eval()
    peaks = []
    for key, batch_size in (('infer1_img_s', 1), ('infer_img_s', test_bs)):
        loader = Runner.build_dataloader(  # it copies the config
            dict(cfg.test_dataloader, batch_size=batch_size),
            seed=0)
        # one batch is the warm-up
        steps = max(1, min(args.infer_images // batch_size, len(loader) - 1))
        reset_peak(device)
        with torch.no_grad(), torch.autocast(
                device_type=device, enabled=amp and device == 'cuda'):
            result[key] = time_steps(model.test_step, loader, 1, steps, device)
        peaks.append(peak_mb(device))
        del loader
    result['infer_peak_mb'] = max(peaks)
    result['course_test_min'] = COURSE_TEST_IMAGES / result['infer_img_s'] / 60
    return result


def parse_row(spec: str) -> Tuple[str, Dict]:
    """A row's config path and its ``key=value`` options (parsed as
    ``--cfg-options`` does), e.g. ``'a.py img_scale=(320,160)'``."""
    config, *words = spec.split()
    pairs = (word.split('=', maxsplit=1) for word in words)
    return config, {k: DictAction._parse_iterable(v) for k, v in pairs}


def expand_rows(specs: Sequence[str], img_scales: Optional[Sequence],
                batch_sizes: Optional[Sequence[int]], amp: bool) -> List[Dict]:
    """Every scale x batch size (x AMP) of every row, with its name: the
    ``label`` or the config name, ``@WxH``, ``bsN`` and the last part of
    each other option's key."""
    rows, variants = [], itertools.product(specs, img_scales or [None],
                                           batch_sizes or [None],
                                           [False, True] if amp else [False])
    for spec, img_scale, batch_size, use_amp in variants:
        config, row = parse_row(spec)
        if img_scale:
            row['img_scale'] = tuple(img_scale)
        if batch_size:
            row['train_dataloader.batch_size'] = batch_size
        words = [config_name(config)]
        for key, value in row.items():
            if key == 'label':
                words = [str(value)]
            elif key == 'img_scale':
                words.append('@{}x{}'.format(*value))
            elif key == 'train_dataloader.batch_size':
                words.append(f'bs{value}')
            else:
                words.append(f'{key.split(".")[-1]}={value}')
        name = ' '.join(words + ['amp'] * use_amp)
        rows.append(dict(name=name, config=config, options=row, amp=use_amp))
    return rows


def run_benchmark(args) -> List[Dict]:
    """Benchmark the rows (:func:`expand_rows`) of :func:`parse_args`'s
    ``args`` back to back and write the report; return a result per row,
    with ``<column>_ratio`` to the first row."""
    rows = expand_rows(args.rows, args.img_scales, args.batch_sizes, args.amp)
    if args.amp:  # fail before the first row, not after it
        require_amp_device()
    results = []
    for i, row in enumerate(rows):
        print_log(
            f'[benchmark {i + 1}/{len(rows)}] {row["name"]}', logger='current')
        options = dict(args.cfg_options or {}, **row['options'])
        options.pop('label', None)
        img_scale = options.pop('img_scale', None)
        cfg = load_cfg(
            row['config'], cfg_options=options, data_root=args.data_root)
        if img_scale:
            cfg_set_img_scale(cfg, img_scale)
        results.append(dict(row, **benchmark_cfg(cfg, args, row['amp'])))
        print_log(
            '  ' + ', '.join(f'{k}={results[-1][k]:.2f}' for k, *_ in COLUMNS),
            logger='current')
    first = results[0]
    for result in results:
        result.update({f'{k}_ratio': result[k] / first[k] for k in RATIOS})
    meta = dict(
        environment(args.device),
        command='python ' + shlex.join(sys.argv),
        iters=args.iters,
        warmup=args.warmup,
        infer_images=args.infer_images,
        data_root=args.data_root)
    write_report(results, meta, args.work_dir, args.name)
    return results


def write_report(results: Sequence[Dict],
                 meta: Dict,
                 work_dir: str,
                 name: str = 'benchmark') -> Dict[str, str]:
    """Write ``<name>.md`` (set-up, table, notes), ``.json`` and ``.png`` (a
    panel per column with a ratio, the ratio after each bar)."""
    table = pd.DataFrame(results).set_index('name')
    headers = {
        key: header.format(test_bs=results[0]['test_bs'])
        for key, header, *_ in COLUMNS
    }
    # each column, then its ratio to the first row (headed ×)
    cols = [(k, f) for key, _, fmt, ratio in COLUMNS
            for k, f in [(key, fmt)] + [(key + '_ratio', '.2f')] * ratio]
    cells = [[r['name'], str(r['train_bs'])] +
             [format(r[k], f) for k, f in cols] for r in results]
    setup = ', '.join(f'{k} {meta[k]}'
                      for k in ('device', 'torch', 'mmcv', 'mmdet', 'date'))
    note = (f'Images/s over {meta["iters"]} training iterations after '
            f'{meta["warmup"]} warm-up ones, and over up to '
            f'{meta["infer_images"]} inference images per batch size after '
            'one warm-up batch; × = ratio to the first row; peak memory is '
            'the process\'s RSS on CPU, allocated CUDA memory on a GPU.')
    bars = table[RATIOS].rename(columns=headers)
    labels = table[[k + '_ratio' for k in RATIOS]].set_axis(list(bars), axis=1)
    return write_table_report(
        work_dir,
        name, ['config', 'train bs'] + [headers.get(k, '×') for k, _ in cols],
        cells,
        intro=[f'{setup}.', f'`{meta["command"]}`'],
        notes=[note],
        json_data=dict(meta=meta, results=list(results)),
        png=bar_chart_png(bars, setup, labels=labels.map('{:.2f}×'.format)))


def main():
    args = parse_args()
    with exit_on_user_error():
        run_benchmark(args)
    print(open(f'{args.work_dir}/{args.name}.md').read())


if __name__ == '__main__':
    main()
