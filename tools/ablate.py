"""Compare configs trained under one budget, seeds and dataset.

Each config trains for ``--budget`` iterations (``200``) or minutes
(``15m``) of its own schedule, once per seed, each run in its own process
(``--jobs`` at a time), and is validated once. Writes
``<work-dir>/summary.{md,csv,png}`` (docs/ablations.md). A run with a
``<work-dir>/<name>/seed_<seed>/result.json`` is not re-run, so an
interrupted comparison resumes.

Example:
    python tools/ablate.py configs/faster_rcnn_r50_fpn_digits.py \
        configs/ablations/*.py --budget 200 --seeds 2 \
        --data-root ../shared/data/svhn-mini
"""
import argparse
import json
import os
import os.path as osp
import re
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from typing import Dict, List, Optional, Sequence, Set

import numpy as np
import pandas as pd
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from mmdigit.utils import (UserInputError, atomic_write_bytes,
                           ensure_pretrained_weights)
from mmdigit.utils.cli import (add_custom_hook, bar_chart_png, check_train_cfg,
                               config_name, environment, exit_on_interrupt,
                               exit_on_user_error, load_cfg,
                               write_table_report)

# Columns of summary.{md,csv}: (key in result.json, header, format, title
# of its panel in summary.png or None).
COLUMNS = [
    ('coco/bbox_mAP', 'mAP', '.3f', 'mAP'),
    ('coco/bbox_mAP_50', 'AP50', '.3f', 'AP50'),
    ('coco/bbox_mAP_75', 'AP75', '.3f', None),
    ('digit/accuracy', 'digit acc', '.3f', 'digit accuracy'),
    ('digit/best_accuracy', 'digit acc @best thr', '.3f', None),
    ('digit/count_accuracy', 'count acc', '.3f', None),
    ('iters', 'iters', '.0f', None),
    ('train_s', 'train time (s)', '.0f', None),
    ('train_img_per_s', 'train img/s', '.2f', 'train images/s'),
    ('peak_mem_mb', 'peak mem (MB)', '.0f', 'peak memory (MB)'),
]
WARMUP_ITERS = 5
# Running workers, terminated if the comparison is interrupted or fails.
_WORKERS: Set[subprocess.Popen] = set()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add = parser.add_argument
    add('configs', nargs='+', help='config files; the first is the base row')
    add('--budget',
        default='200',
        help='ITERS (e.g. 200) or MINUTESm (e.g. 15m) of training per run')
    add('--data-root', help='dataset folder in the course layout')
    add('--work-dir', default='work_dirs/ablation', help='output folder')
    add('--seed', type=int, default=0, help='random seed of the first run')
    add('--seeds', type=int, default=1, help='runs per config (seeds SEED..)')
    add('--jobs',
        type=int,
        default=1,
        help='runs trained at a time, the CPU cores shared between them')
    add('--batch-size', type=int, help='training batch size for every config')
    add('--from-scratch',
        action='store_true',
        help='no pre-trained backbone weights (offline machines)')
    add('--onto',
        help='apply each config\'s change onto this base config instead of '
        'its own; a config without a single local _base_ stands for it')
    add('--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides applied to every config (xxx=yyy)')
    return parser.parse_args(argv)


def parse_budget(budget: str) -> Dict[str, float]:
    """``'200'`` -> ``{'iters': 200}``, ``'15m'`` or ``'15min'`` ->
    ``{'minutes': 15.0}``; else :class:`UserInputError`."""
    match = re.fullmatch(r'\s*(\d+(?:\.\d+)?)\s*(m|min)?\s*', str(budget))
    if not match:
        raise UserInputError(
            f'--budget: budget must be ITERS or MINUTESm, got {budget!r}')
    number = float(match[1])
    return {'minutes': number} if match[2] else {'iters': int(number)}


def budget_cfg(cfg: Config,
               iters: Optional[int] = None,
               minutes: Optional[float] = None,
               seed: int = 0,
               batch_size: Optional[int] = None,
               from_scratch: bool = False) -> Config:
    """Turn a config into the first ``iters`` iterations (or ``minutes``)
    of its own schedule, validated once after training; ``from_scratch``:
    no pre-trained backbone weights, all stages and BN statistics trained.
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
    # only the final weights (epoch_1.pth, also when stopped early)
    cfg.default_hooks.checkpoint.update(
        by_epoch=True, interval=-1, save_last=True, save_best=None)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10)
    cfg.log_processor = dict(type='LogProcessor', by_epoch=False)
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
    if minutes is not None:
        add_custom_hook(cfg, 'TrainTimeBudgetHook', minutes=minutes)
    if from_scratch:
        backbone = cfg.model.backbone
        backbone.init_cfg = None
        if 'frozen_stages' in backbone:
            backbone.frozen_stages = -1
        if 'norm_eval' in backbone:
            backbone.norm_eval = False
    return cfg


def rebase_config(config: str, onto: str, out_dir: str) -> str:
    """Copy ``config`` into ``out_dir`` with the root of its ``_base_``
    chain (the first config without exactly one local ``_base_`` file)
    replaced by ``onto``, configs in between copied and re-pointed alike;
    return the copy, or ``onto`` for a root (docs/ablations.md)."""
    with open(config) as f:
        source = f.read()
    # a list, a package's (``::``) or no _base_ string: a root
    match = re.search(r'^_base_\s*=\s*([\'"])(.+?)\1', source, re.M)
    if (not match or '::' in match[2]
            or osp.abspath(config) == osp.abspath(onto)):
        return onto
    base = osp.normpath(osp.join(osp.dirname(config), match[2]))
    new_base = repr(osp.abspath(rebase_config(base, onto, out_dir)))
    header = (f'# {osp.relpath(config)} rebased onto {osp.relpath(onto)} '
              '(tools/ablate.py --onto)\n')
    path = osp.join(out_dir, osp.basename(config))
    atomic_write_bytes(path, (header + source[:match.start(1)] + new_base +
                              source[match.end():]).encode())
    return path


def run_one(config: str, result_file: str, **kwargs) -> None:
    """Worker: train ``config`` as :func:`load_cfg` and :func:`budget_cfg`
    ``kwargs`` say, validate it once, write the metrics, speed (median
    after ``WARMUP_ITERS``) and memory to ``result_file``."""
    load_keys = ('work_dir', 'cfg_options', 'data_root')
    cfg = load_cfg(config, **{k: kwargs.pop(k, None) for k in load_keys})
    budget_cfg(cfg, **kwargs)
    check_train_cfg(cfg)  # as tools/train.py: AMP, load_from, weights
    cuda = torch.cuda.is_available()
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - start
    times = runner.message_hub.get_scalar('train/time').data[0]
    times = times[WARMUP_ITERS:] if len(times) > WARMUP_ITERS else times
    peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    metrics = runner.val_loop.run()
    images = cfg.train_dataloader.batch_size  # one process, not torchrun
    result = {
        k: float(v)
        for k, v in metrics.items() if isinstance(v, (int, float))
    }
    result.update(
        iters=int(runner.iter),
        train_s=train_s,
        train_img_per_s=float(images / np.median(times)),
        val_s=time.perf_counter() - start,
        peak_mem_mb=peak,
        device=environment('cuda' if cuda else 'cpu')['device'],
        config=config,
        seed=cfg.randomness.seed)
    atomic_write_bytes(result_file, json.dumps(result, indent=2).encode())


def _launch(config: str,
            result_file: str,
            job: Dict,
            threads: Optional[int] = None,
            log_file: Optional[str] = None) -> int:
    """Run :func:`run_one` in a new process with ``threads`` CPU threads
    and output to ``log_file`` (None: ours); return its exit code."""
    code = ('import json, runpy, sys; runpy.run_path(sys.argv[1])["run_one"]'
            '(sys.argv[2], sys.argv[3], **json.loads(sys.argv[4]))')
    cmd = [
        sys.executable, '-c', code,
        osp.abspath(__file__), config, result_file,
        json.dumps(job)
    ]
    env = None if threads is None else dict(
        os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with ExitStack() as stack:
        log = stack.enter_context(open(log_file, 'ab')) if log_file else None
        proc = stack.enter_context(
            subprocess.Popen(
                cmd, env=env, stdout=log, stderr=log and subprocess.STDOUT))
        _WORKERS.add(proc)
        stack.callback(_WORKERS.discard, proc)
        return proc.wait()


def threads_per_job(jobs: int) -> Optional[int]:
    """CPU threads for each of ``jobs`` concurrent runs (the cores shared
    evenly); None (inherit) for one job or a user's ``OMP_NUM_THREADS``."""
    if jobs <= 1 or 'OMP_NUM_THREADS' in os.environ:
        return None
    return max(1, (os.cpu_count() or 1) // jobs)


def run_ablation(args) -> List[Dict]:
    """Run every (config, seed) of ``args`` not yet done in a process of
    its own, write the summary and return the results, run by run, each
    with ``config``, ``seed`` and, if it failed, ``error``."""
    budget, work_dir, jobs = args.budget, args.work_dir, args.jobs
    spec = dict(
        parse_budget(budget),
        data_root=args.data_root,
        cfg_options=args.cfg_options,
        batch_size=args.batch_size,
        from_scratch=args.from_scratch)
    for flag, n in (('--seeds', args.seeds), ('--jobs', jobs)):
        if n < 1:
            raise UserInputError(f'{flag} must be at least 1, got {n}')
    configs = args.configs if args.onto is None else [
        rebase_config(c, args.onto, osp.join(work_dir, 'configs'))
        for c in args.configs
    ]
    names = [config_name(c) for c in configs]
    if len(set(names)) != len(names):
        raise UserInputError(f'config names must be unique: {names}')
    if not args.from_scratch:  # a missing download: one line, not a
        for config in configs:  # traceback in each worker's log
            ensure_pretrained_weights(
                load_cfg(config, cfg_options=args.cfg_options))
    threads = threads_per_job(jobs)
    stopping = threading.Event()

    def train(config: str, name: str, run_seed: int) -> Dict:
        run = dict(config=config, seed=run_seed)
        run_dir = osp.join(work_dir, name, f'seed_{run_seed}')
        result_file = osp.join(run_dir, 'result.json')
        if stopping.is_set():
            return dict(run, error='stopped')
        if not osp.exists(result_file):
            os.makedirs(run_dir, exist_ok=True)
            log_file = osp.join(run_dir, 'worker.log') if jobs > 1 else None
            print_log(
                f'\n[ablate] {name}, seed {run_seed}: training ({budget})' +
                (f', log in {log_file}' if log_file else ''),
                logger='current')
            try:
                code = _launch(config, result_file,
                               dict(spec, work_dir=run_dir, seed=run_seed),
                               threads, log_file)
            except BaseException:
                stopping.set()  # before this thread takes the next run
                raise
            if code != 0:
                return dict(run, error=f'exit code {code}')
        with open(result_file) as f:
            return dict(json.load(f), **run)

    runs = [(config, name, s) for config, name in zip(configs, names)
            for s in range(args.seed, args.seed + args.seeds)]
    bar = ProgressBar(len(runs))
    # the threads only wait on the worker processes, which train
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(train, *run) for run in runs]
        try:
            for future in as_completed(futures):
                future.result()
                bar.update()
        except BaseException:
            # no new runs, and the running ones stop (finished results
            # stay, so the comparison resumes)
            stopping.set()
            for future in futures:
                future.cancel()
            for proc in list(_WORKERS):
                proc.terminate()
            raise
    results = [future.result() for future in futures]
    write_summary(results, work_dir, budget)
    return results


def summarize(results: Sequence[Dict]) -> pd.DataFrame:
    """Aggregate per-run results over seeds: a row per config name,
    columns ``('run', 'seeds' | 'errors')`` and ``(key, count | mean | std
    | min | max | noise)`` per :data:`COLUMNS` key. ``noise``: differs from
    the first row's mean by no more than the larger min-max range of the
    two, both with several seeds (never for the first row or ``iters``)."""
    keys = [key for key, *_ in COLUMNS]
    runs = pd.DataFrame(list(results))
    runs = runs.reindex(columns=['config', 'seed', 'error', *keys])
    runs[keys] = runs[keys].astype(float)
    runs['name'] = runs['config'].map(config_name)
    runs['seeds'] = runs['seed'].astype(object).where(runs['error'].isna())
    runs['errors'] = 'seed ' + runs['seed'].astype(str) + ': ' + runs['error']
    groups = runs.groupby('name', sort=False)
    # describe() computes as numpy does (groupby's mean and std can differ
    # from it in the last bits)
    stats = groups[keys].describe()
    stat = stats.swaplevel(axis=1)  # stat['mean']: configs x keys
    mean, count = stat['mean'], stat['count']
    spread = stat['max'] - stat['min']
    noise = (mean - mean.iloc[0]).abs().le(
        spread.clip(lower=spread.iloc[0], axis=1))
    noise &= (count > 1) & (count.iloc[0] > 1)
    noise.iloc[0] = False
    noise['iters'] = False
    stats = stats.drop(columns=['25%', '50%', '75%'], level=1)
    run = groups[['seeds', 'errors']].agg(lambda v: v.dropna().tolist())
    stats = {key: stats[key].assign(noise=noise[key]) for key in keys}
    return pd.concat(dict(run=run, **stats), axis=1)


def _cell(stat: pd.Series, fmt: str) -> str:
    """``mean ± std (min–max)`` of one column, and the noise mark."""
    if not stat['count']:
        return '-'
    text = format(stat['mean'], fmt)
    if stat['count'] > 1:
        text += (f' ± {stat["std"]:{fmt}} '
                 f'({stat["min"]:{fmt}}–{stat["max"]:{fmt}})')
    return text + ', within noise' * stat['noise']


def write_summary(results: Sequence[Dict], work_dir: str,
                  budget: str) -> Dict[str, str]:
    """Write ``summary.md``, ``summary.csv`` and ``summary.png`` of
    :func:`summarize`'s table (``budget`` goes in the caption)."""
    rows = summarize(results)
    headers = {key: header for key, header, *_ in COLUMNS}
    seeds, errors = rows['run', 'seeds'], rows['run', 'errors']
    stat = rows.swaplevel(axis=1)  # stat['mean']: configs x keys
    suffixes = {'mean': '', 'std': ' std', 'min': ' min', 'max': ' max'}
    csv = rows.drop(columns='run').drop(columns=['count', 'noise'], level=1)
    csv.columns = [headers[key] + suffixes[name] for key, name in csv.columns]
    csv.insert(0, 'seeds', seeds.map(lambda s: ' '.join(map(str, s))))
    csv['within noise'] = stat['noise'].rename(columns=headers).apply(
        lambda row: '; '.join(row.index[row]), axis=1)
    csv['error'] = errors.str.join('; ')
    cells = []
    for name, row in rows.iterrows():
        seed_cell = ', '.join(map(str, seeds[name])) or '-'
        if errors[name]:
            seed_cell += f' (failed: {"; ".join(errors[name])})'
        cells.append([name, seed_cell] +
                     [_cell(row[key], fmt) for key, _, fmt, _ in COLUMNS])
    device = next((r['device'] for r in results if 'device' in r), '?')
    all_seeds = sorted({r['seed'] for r in results if 'seed' in r})
    intro = (f'Budget {budget} per config and seed, seeds '
             f'{", ".join(map(str, all_seeds))}, device {device}, '
             f'{time.strftime("%Y-%m-%d")}.\n'
             'Mean over seeds; with several seeds ± the sample standard '
             'deviation and (min–max). "within noise": differs from the first '
             'row by no more than the larger min–max range of the two rows.')
    # bars: the mean; whiskers: the min-max range over seeds
    keys, titles = zip(*[(key, t) for key, *_, t in COLUMNS if t])
    mean, low, high = (stat[s][list(keys)] for s in ('mean', 'min', 'max'))
    xerr = np.stack([(mean - low).fillna(0).T, (high - mean).fillna(0).T],
                    axis=1)
    return write_table_report(
        work_dir,
        'summary', ['config', 'seeds'] + [h for _, h, *_ in COLUMNS],
        cells,
        intro=[intro],
        csv=csv.rename_axis('config').to_csv(lineterminator='\r\n'),
        png=bar_chart_png(
            mean.fillna(0).set_axis(titles, axis=1),
            f'ablation, budget {budget} per config and seed '
            '(bars: mean, whiskers: min-max over seeds)',
            xerr=xerr))


def main():
    args = parse_args()
    summary = [f'{args.work_dir}/summary.{e}' for e in ('md', 'csv', 'png')]
    # Ctrl-C / SIGTERM: the runs in progress stop; finished ones are kept
    with exit_on_user_error(), exit_on_interrupt(
            summary, osp.join(args.work_dir, 'summary.*')):
        for config in args.configs + ([args.onto] if args.onto else []):
            load_cfg(config)  # a missing or broken one: an error line now
        run_ablation(args)
    print(open(f'{args.work_dir}/summary.md').read())


if __name__ == '__main__':
    main()
