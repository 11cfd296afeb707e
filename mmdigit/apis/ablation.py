"""Train configs under one budget and compare them (``tools/ablate.py``).

Each config runs in its own process (so peak memory is its own) as the
first ``budget`` iterations (or minutes) of its own schedule, with the same
seed, data and batch size, then is validated once. Results go to
``<work_dir>/<config name>/result.json``; a config with a result is not run
again, so an interrupted comparison resumes where it stopped.
"""
import csv
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Union

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from ..utils.fileio import atomic_write_bytes
from .benchmark import PeakMemory
from .cli import build_runner
from .runner_cfg import config_name, load_cfg

# Columns of summary.{md,csv}: (key in result.json, header, format).
COLUMNS = [
    ('coco/bbox_mAP', 'mAP', '.3f'),
    ('coco/bbox_mAP_50', 'AP50', '.3f'),
    ('coco/bbox_mAP_75', 'AP75', '.3f'),
    ('digit/accuracy', 'digit acc', '.3f'),
    ('digit/best_accuracy', 'digit acc @best thr', '.3f'),
    ('iters', 'iters', 'd'),
    ('train_s', 'train time (s)', '.0f'),
    ('train_img_per_s', 'train img/s', '.2f'),
    ('peak_mem_mb', 'peak mem (MB)', '.0f'),
]
WARMUP_ITERS = 5


def parse_budget(budget: str) -> Dict[str, float]:
    """Parse ``--budget``: ``N`` iterations or ``Nm`` minutes.

    Args:
        budget (str): e.g. ``'200'`` or ``'15m'``.

    Returns:
        dict: ``{'iters': N}`` or ``{'minutes': N}``.
    """
    match = re.fullmatch(r'\s*(\d+(?:\.\d+)?)\s*(m|min)?\s*', str(budget))
    if not match:
        raise ValueError(f'budget must be ITERS or MINUTESm, got {budget!r}')
    if match.group(2):
        return {'minutes': float(match.group(1))}
    return {'iters': int(float(match.group(1)))}


def budget_cfg(cfg: Config,
               iters: Optional[int] = None,
               minutes: Optional[float] = None,
               seed: int = 0,
               batch_size: Optional[int] = None,
               from_scratch: bool = False) -> Config:
    """Turn a config into a fixed-budget run of its own schedule.

    The train loop becomes iteration-based (``iters``, or a large cap that
    :class:`TrainTimeBudgetHook` cuts at ``minutes``), validation and
    checkpoints move after training, and the seed is fixed.
    Epoch-based LR steps beyond the budget simply never fire: the run is the
    first part of the config's own schedule.

    Args:
        cfg (Config): Config from :func:`load_cfg`.
        iters (int, optional): Iteration budget.
        minutes (float, optional): Wall-clock budget.
        seed (int): Random seed. Defaults to 0.
        batch_size (int, optional): Training batch size for every config.
        from_scratch (bool): Drop the backbone's pre-trained weights and
            train all its stages and BN statistics (for offline machines).
            Defaults to False.

    Returns:
        Config: ``cfg``.
    """
    if (iters is None) == (minutes is None):
        raise ValueError('give exactly one of iters and minutes')
    max_iters = iters if iters is not None else 10**8
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop',
        max_iters=max_iters,
        val_interval=max_iters,
        val_begin=max_iters + 1)  # validated once, after training
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=True)
    if batch_size:
        cfg.train_dataloader.batch_size = batch_size
    # Only the final weights (epoch_1.pth: an iteration loop ends its one
    # "epoch" even when the time budget stops it early).
    cfg.default_hooks.checkpoint.update(
        by_epoch=True, interval=-1, save_last=True, save_best=None)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10)
    cfg.log_processor = dict(type='LogProcessor', by_epoch=False)
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
    if minutes is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='TrainTimeBudgetHook', minutes=minutes)
        ]
    if from_scratch:
        backbone = cfg.model.backbone
        backbone.init_cfg = None
        if 'frozen_stages' in backbone:
            backbone.frozen_stages = -1
        if 'norm_eval' in backbone:
            backbone.norm_eval = False
    return cfg


def train_and_evaluate(cfg: Config) -> Dict[str, Union[float, int, str]]:
    """Train a budget config, validate it once and measure the run.

    Args:
        cfg (Config): Config from :func:`budget_cfg`.

    Returns:
        dict: Validation metrics plus ``iters``, ``train_s``,
        ``train_img_per_s`` (median iteration time after
        ``WARMUP_ITERS``), ``val_s``, ``peak_mem_mb`` and ``device``.
    """
    import numpy as np
    import torch
    runner = build_runner(cfg)
    start = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - start
    iter_times = runner.message_hub.get_scalar('train/time').data[0]
    # the whole process is this one run: its lifetime peak
    peak = PeakMemory(
        'cuda' if torch.cuda.is_available() else 'cpu').peak()
    start = time.perf_counter()
    metrics = runner.val_loop.run()
    world = int(os.environ.get('WORLD_SIZE', 1))
    images = cfg.train_dataloader.batch_size * world
    steady = iter_times[WARMUP_ITERS:] if len(
        iter_times) > WARMUP_ITERS else iter_times
    result = {k: float(v) for k, v in metrics.items()
              if isinstance(v, (int, float))}
    result.update(
        iters=int(runner.iter),
        train_s=train_s,
        train_img_per_s=float(images / np.median(steady)),
        val_s=time.perf_counter() - start,
        peak_mem_mb=peak,
        device=torch.cuda.get_device_name()
        if torch.cuda.is_available() else 'cpu')
    return result


def run_one(config: str, result_file: str, **kwargs) -> None:
    """Worker: budget-train one config and write its result json.

    Args:
        config (str): Config file.
        result_file (str): Where to write the result (atomically).
        **kwargs: ``work_dir``, ``data_root``, ``cfg_options`` for
            :func:`load_cfg`, the rest for :func:`budget_cfg`.
    """
    load_keys = ('work_dir', 'cfg_options', 'data_root')
    cfg = load_cfg(config, **{k: kwargs.pop(k, None) for k in load_keys})
    budget_cfg(cfg, **kwargs)
    result = train_and_evaluate(cfg)
    result['config'] = config
    atomic_write_bytes(result_file, json.dumps(result, indent=2).encode())


def run_ablation(configs: Sequence[str],
                 work_dir: str = 'work_dirs/ablation',
                 budget: str = '200',
                 **kwargs) -> List[Dict]:
    """Run every config not yet done, one process each, then summarise.

    Args:
        configs (Sequence[str]): Config files (names must be unique).
        work_dir (str): Output folder. Defaults to
            ``'work_dirs/ablation'``.
        budget (str): ``N`` iterations or ``Nm`` minutes. Defaults to
            ``'200'``.
        **kwargs: ``data_root``, ``cfg_options``, ``seed``, ``batch_size``,
            ``from_scratch`` passed to every run.

    Returns:
        list[dict]: The results, in ``configs`` order; failed runs have an
        ``error`` key.
    """
    names = [config_name(c) for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f'config names must be unique: {names}')
    spec = dict(kwargs, **parse_budget(budget))
    results = []
    bar = ProgressBar(len(configs))
    for config, name in zip(configs, names):
        run_dir = osp.join(work_dir, name)
        result_file = osp.join(run_dir, 'result.json')
        if not osp.exists(result_file):
            os.makedirs(run_dir, exist_ok=True)
            job = dict(spec, work_dir=run_dir)
            print_log(f'\n[ablate] {name}: training ({budget})',
                      logger='current')
            code = ('import json, sys; from mmdigit.apis.ablation import '
                    'run_one; run_one(sys.argv[1], sys.argv[2], '
                    '**json.loads(sys.argv[3]))')
            proc = subprocess.run([
                sys.executable, '-c', code, config, result_file,
                json.dumps(job)
            ])
            if proc.returncode != 0:
                results.append(
                    dict(config=config, error=f'exit code {proc.returncode}'))
                bar.update()
                continue
        with open(result_file) as f:
            results.append(json.load(f))
        bar.update()
    write_summary(results, work_dir, budget)
    return results


def _cell(result: Dict, key: str, fmt: str) -> str:
    value = result.get(key)
    return '-' if value is None else format(value, fmt)


def write_summary(results: Sequence[Dict], work_dir: str,
                  budget: str) -> None:
    """Write ``summary.md``, ``summary.csv`` and ``summary.png``.

    Args:
        results (Sequence[Dict]): From :func:`run_ablation`.
        work_dir (str): Output folder.
        budget (str): The budget, for the caption.
    """
    os.makedirs(work_dir, exist_ok=True)
    names = [config_name(r['config']) for r in results]
    device = next((r['device'] for r in results if 'device' in r), '?')
    headers = ['config'] + [h for _, h, _ in COLUMNS]
    with open(osp.join(work_dir, 'summary.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(headers + ['error'])
        for name, r in zip(names, results):
            writer.writerow([name] + [r.get(k, '') for k, _, _ in COLUMNS] +
                            [r.get('error', '')])
    lines = [
        f'Budget {budget} per config, device {device}, '
        f'{time.strftime("%Y-%m-%d")}.', '',
        '| ' + ' | '.join(headers) + ' |',
        '|' + '---|' * len(headers)
    ]
    for name, r in zip(names, results):
        cells = [_cell(r, k, fmt) for k, _, fmt in COLUMNS]
        if 'error' in r:
            cells = [f'failed: {r["error"]}'] + [''] * (len(cells) - 1)
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    with open(osp.join(work_dir, 'summary.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    _plot(results, names, osp.join(work_dir, 'summary.png'), budget)


def _plot(results, names, path, budget) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    panels = [('coco/bbox_mAP', 'mAP'), ('coco/bbox_mAP_50', 'AP50'),
              ('digit/accuracy', 'digit accuracy'),
              ('train_img_per_s', 'train images/s'),
              ('peak_mem_mb', 'peak memory (MB)')]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4 * len(panels), 1.2 + 0.45 * len(names)))
    y = np.arange(len(names))
    for ax, (key, title) in zip(axes, panels):
        values = [r.get(key, 0) or 0 for r in results]
        ax.barh(y, values, color='tab:blue')
        ax.set_title(title)
        ax.set_yticks(y)
        ax.set_yticklabels(names if ax is axes[0] else [''] * len(names),
                           fontsize=8)
        ax.invert_yaxis()
    fig.suptitle(f'ablation, budget {budget} per config')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
