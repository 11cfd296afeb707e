"""Train configs under one budget and compare them (``tools/ablate.py``).

Each config runs in its own process (so peak memory is its own) as the
first ``budget`` iterations (or minutes) of its own schedule, with the same
data and batch size, once per seed, then is validated once. Results go to
``<work_dir>/<config name>/seed_<seed>/result.json``; a run with a result is
not run again, so an interrupted comparison resumes where it stopped. The
summary gives each column's mean and spread over the seeds and marks the
differences from the first (base) row that are within that spread.
"""
import ast
import json
import os
import os.path as osp
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Set, Union

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from ..utils.errors import ConfigError
from ..utils.fileio import atomic_write_bytes
from ..utils.pretrained import ensure_pretrained_weights
from .benchmark import PeakMemory
from .cli import build_runner
from .report import BarPanel, write_table_report
from .runner_cfg import config_name, load_cfg
from .train_cfg import prepare_train_cfg

if TYPE_CHECKING:
    import pandas as pd

# Columns of summary.{md,csv}: (key in result.json, header, format).
COLUMNS = [
    ('coco/bbox_mAP', 'mAP', '.3f'),
    ('coco/bbox_mAP_50', 'AP50', '.3f'),
    ('coco/bbox_mAP_75', 'AP75', '.3f'),
    ('digit/accuracy', 'digit acc', '.3f'),
    ('digit/best_accuracy', 'digit acc @best thr', '.3f'),
    ('digit/count_accuracy', 'count acc', '.3f'),
    ('iters', 'iters', '.0f'),
    ('train_s', 'train time (s)', '.0f'),
    ('train_img_per_s', 'train img/s', '.2f'),
    ('peak_mem_mb', 'peak mem (MB)', '.0f'),
]
# Panels of summary.png: (key in result.json, title).
PLOT_PANELS = [('coco/bbox_mAP', 'mAP'), ('coco/bbox_mAP_50', 'AP50'),
               ('digit/accuracy', 'digit accuracy'),
               ('train_img_per_s', 'train images/s'),
               ('peak_mem_mb', 'peak memory (MB)')]
WARMUP_ITERS = 5
# Worker processes running now, so that an interrupted comparison (Ctrl-C,
# SIGTERM, an error) stops them instead of leaving them training.
_WORKERS: Set[subprocess.Popen] = set()


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
    peak = PeakMemory('cuda' if torch.cuda.is_available() else 'cpu').peak()
    start = time.perf_counter()
    metrics = runner.val_loop.run()
    world = int(os.environ.get('WORLD_SIZE', 1))
    images = cfg.train_dataloader.batch_size * world
    if len(iter_times) > WARMUP_ITERS:
        steady = iter_times[WARMUP_ITERS:]
    else:
        steady = iter_times
    result = {
        k: float(v)
        for k, v in metrics.items() if isinstance(v, (int, float))
    }
    result.update(
        iters=int(runner.iter),
        train_s=train_s,
        train_img_per_s=float(images / np.median(steady)),
        val_s=time.perf_counter() - start,
        peak_mem_mb=peak,
        device=torch.cuda.get_device_name()
        if torch.cuda.is_available() else 'cpu')
    return result


def _single_base(config: str) -> Optional[str]:
    """The local file a config's ``_base_`` names, when it names exactly one
    (as a one-change variant does); else None.

    Raises:
        ConfigError: The config is not valid Python.
    """
    with open(config) as f:
        source = f.read()
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise ConfigError(f'{config}: {e}') from e
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(
                    value.value, str) and '::' not in value.value:
                return osp.normpath(osp.join(osp.dirname(config), value.value))
            return None
    return None


def rebase_config(config: str, onto: str, out_dir: str) -> str:
    """Apply a one-change config onto another base config.

    The configs of ``configs/ablations/`` build on their base by reference
    (``_base_.train_pipeline[:2]``, ``_base_.img_scale``...), so the same
    change applies to any base: ``config`` is copied into ``out_dir`` with
    the root of its ``_base_`` chain (the first config that does not name
    exactly one local ``_base_`` file, e.g. the primary) replaced by
    ``onto``; configs in between are copied and re-pointed the same way. A
    root config itself becomes ``onto``.

    Args:
        config (str): A config file.
        onto (str): The new base config file.
        out_dir (str): Where the rebased copies are written (same file
            names, so run names stay the configs' names).

    Returns:
        str: The config file to run: a copy in ``out_dir``, or ``onto``.
    """
    base = _single_base(config)
    if base is None or osp.abspath(config) == osp.abspath(onto):
        return onto
    new_base = rebase_config(base, onto, out_dir)
    with open(config) as f:
        source = f.read()
    tree = ast.parse(source)
    node = next(
        n for n in tree.body if isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == '_base_' for t in n.targets))
    lines = source.splitlines(keepends=True)
    # the _base_ value, whatever its line span, becomes the new base path
    start = sum(len(line) for line in lines[:node.value.lineno - 1]) + \
        node.value.col_offset
    end = sum(len(line) for line in lines[:node.value.end_lineno - 1]) + \
        node.value.end_col_offset
    header = (f'# {osp.relpath(config)} rebased onto {osp.relpath(onto)} '
              '(tools/ablate.py --onto)\n')
    rebased = header + source[:start] + repr(osp.abspath(new_base)) + \
        source[end:]
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, osp.basename(config))
    atomic_write_bytes(path, rebased.encode())
    return path


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
    # as tools/train.py: AMP needs CUDA; load_from must exist and fit
    prepare_train_cfg(cfg)
    result = train_and_evaluate(cfg)
    result.update(config=config, seed=cfg.randomness.seed)
    atomic_write_bytes(result_file, json.dumps(result, indent=2).encode())


def _launch(config: str,
            result_file: str,
            job: Dict,
            threads: Optional[int] = None,
            log_file: Optional[str] = None) -> int:
    """Run :func:`run_one` in a fresh Python process.

    Args:
        config (str): Config file.
        result_file (str): Where the worker writes the result.
        job (dict): Keyword arguments of :func:`run_one`.
        threads (int, optional): CPU threads of the worker
            (``OMP_NUM_THREADS``/``MKL_NUM_THREADS``); None inherits this
            process's environment. Defaults to None.
        log_file (str, optional): Write the worker's stdout and stderr
            there instead of this process's. Defaults to None.

    Returns:
        int: The worker's exit code.
    """
    code = ('import json, sys; from mmdigit.tools.ablation import '
            'run_one; run_one(sys.argv[1], sys.argv[2], '
            '**json.loads(sys.argv[3]))')
    env = None
    if threads is not None:
        env = dict(
            os.environ,
            OMP_NUM_THREADS=str(threads),
            MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, '-c', code, config, result_file, json.dumps(job)]
    log = open(log_file, 'ab') if log_file is not None else None
    try:
        with subprocess.Popen(
                cmd,
                env=env,
                stdout=log,
                stderr=None if log is None else subprocess.STDOUT) as proc:
            _WORKERS.add(proc)
            try:
                return proc.wait()
            finally:
                _WORKERS.discard(proc)
    finally:
        if log is not None:
            log.close()


def threads_per_job(jobs: int) -> Optional[int]:
    """CPU threads for each of ``jobs`` concurrent runs.

    The machine's cores shared evenly (at least one each); None, meaning
    the workers inherit the environment, for one job or where the user set
    ``OMP_NUM_THREADS`` already.

    Args:
        jobs (int): Runs at a time.

    Returns:
        int or None: Threads per run.
    """
    if jobs <= 1 or 'OMP_NUM_THREADS' in os.environ:
        return None
    return max(1, (os.cpu_count() or 1) // jobs)


def check_pretrained(configs: Sequence[str],
                     cfg_options: Optional[dict] = None) -> None:
    """Fetch every config's downloaded weights before any run starts, so
    that a missing one is one line, not a traceback in each worker's log
    (:func:`~mmdigit.utils.ensure_pretrained_weights`)."""
    for config in configs:
        ensure_pretrained_weights(load_cfg(config, cfg_options=cfg_options))


def run_ablation(configs: Sequence[str],
                 work_dir: str = 'work_dirs/ablation',
                 budget: str = '200',
                 seeds: int = 1,
                 seed: int = 0,
                 onto: Optional[str] = None,
                 jobs: int = 1,
                 **kwargs) -> List[Dict]:
    """Run every (config, seed) not yet done, one process each, summarise.

    Args:
        configs (Sequence[str]): Config files (names must be unique). The
            first is the base row that the others are compared with.
        work_dir (str): Output folder. Defaults to
            ``'work_dirs/ablation'``.
        budget (str): ``N`` iterations or ``Nm`` minutes. Defaults to
            ``'200'``.
        seeds (int): Runs per config, with the seeds ``seed``,
            ``seed + 1``, ..., ``seed + seeds - 1`` (``randomness.seed``).
            Defaults to 1.
        seed (int): The first seed. Defaults to 0.
        onto (str, optional): Apply every config's change onto this base
            config instead of its own (:func:`rebase_config`; the rebased
            copies go to ``<work_dir>/configs/``). Defaults to None.
        jobs (int): Runs trained at a time, each in its own process with
            the cores shared between them (:func:`threads_per_job`) and its
            output in ``<run dir>/worker.log``. On a CPU, two one-thread
            runs side by side get through more images per second than one
            two-thread run. Defaults to 1.
        **kwargs: ``data_root``, ``cfg_options``, ``batch_size``,
            ``from_scratch`` passed to every run.

    Returns:
        list[dict]: One result per run, config by config and seed by seed,
        each with ``config`` and ``seed``; failed runs have an ``error``
        key.
    """
    if onto is not None:
        configs = [
            rebase_config(c, onto, osp.join(work_dir, 'configs'))
            for c in configs
        ]
    names = [config_name(c) for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f'config names must be unique: {names}')
    if seeds < 1:
        raise ValueError(f'seeds must be at least 1, got {seeds}')
    if jobs < 1:
        raise ValueError(f'jobs must be at least 1, got {jobs}')
    spec = dict(kwargs, **parse_budget(budget))
    if not kwargs.get('from_scratch'):
        check_pretrained(configs, kwargs.get('cfg_options'))
    runs = [(config, name, s) for config, name in zip(configs, names)
            for s in range(seed, seed + seeds)]
    threads = threads_per_job(jobs)
    stopping = threading.Event()

    def train(config: str, name: str, run_seed: int) -> Dict:
        run_dir = osp.join(work_dir, name, f'seed_{run_seed}')
        result_file = osp.join(run_dir, 'result.json')
        if stopping.is_set():
            return dict(config=config, seed=run_seed, error='stopped')
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
                return dict(
                    config=config, seed=run_seed, error=f'exit code {code}')
        with open(result_file) as f:
            result = json.load(f)
        result.update(config=config, seed=run_seed)
        return result

    bar = ProgressBar(len(runs))
    # threads only wait on the worker processes, which do the training
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(train, *run) for run in runs]
        try:
            for future in as_completed(futures):
                future.result()
                bar.update()
        except BaseException:
            # no new runs, and the running ones stop (their finished
            # results stay, so the comparison resumes)
            stopping.set()
            for future in futures:
                future.cancel()
            for proc in list(_WORKERS):
                proc.terminate()
            raise
    results = [future.result() for future in futures]
    write_summary(results, work_dir, budget)
    return results


def _listed(values: 'pd.Series') -> list:
    return values.dropna().tolist()


def summarize(results: Sequence[Dict]) -> 'pd.DataFrame':
    """Group per-run results by config and aggregate them over seeds.

    Args:
        results (Sequence[Dict]): From :func:`run_ablation`: each with
            ``config`` and ``seed``, failed ones with ``error``.

    Returns:
        pandas.DataFrame: One row per config, indexed by its name in
        first-seen order. Columns ``('run', 'seeds')`` (the seeds that
        finished) and ``('run', 'errors')`` (``'seed S: error'``
        strings), then for every :data:`COLUMNS` key ``(key, stat)``:
        ``count``, ``mean``, ``std`` (sample standard deviation), ``min``
        and ``max`` over the seeds (NaN without values), and ``noise``:
        True where the mean differs from the first row's by no more than
        the larger min-max range of the two rows, both having at least two
        values (never in the first row or for ``iters``, the budget).
    """
    import pandas as pd
    keys = [key for key, _, _ in COLUMNS]
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
    # within noise: the seeds of either row alone move the column as much as
    # the change does (the larger of the two min-max ranges)
    noise = (mean - mean.iloc[0]).abs().le(
        spread.clip(lower=spread.iloc[0], axis=1))
    noise &= (count > 1) & (count.iloc[0] > 1)
    noise.iloc[0] = False
    noise['iters'] = False  # the budget, not a result
    stats = stats.drop(columns=['25%', '50%', '75%'], level=1)
    return pd.concat(
        {
            'run': groups.agg(
                seeds=('seeds', _listed), errors=('errors', _listed)),
            **{key: stats[key].assign(noise=noise[key])
               for key in keys}
        },
        axis=1)


def _cell(stat: 'pd.Series', fmt: str) -> str:
    """``mean ± std (min–max)`` of one column, and the noise mark."""
    if not stat['count']:
        return '-'
    text = format(stat['mean'], fmt)
    if stat['count'] > 1:
        text += (f' ± {stat["std"]:{fmt}} '
                 f'({stat["min"]:{fmt}}–{stat["max"]:{fmt}})')
    if stat['noise']:
        text += ', within noise'
    return text


def write_summary(results: Sequence[Dict], work_dir: str,
                  budget: str) -> Dict[str, str]:
    """Write ``summary.md``, ``summary.csv`` and ``summary.png``.

    Each column is the mean over a config's seeds; with several seeds also
    its sample standard deviation and min-max range. A difference from the
    first row no larger than the spread (:func:`summarize`) is marked
    "within noise".

    Args:
        results (Sequence[Dict]): Per-run results from
            :func:`run_ablation`.
        work_dir (str): Output folder.
        budget (str): The budget, for the caption.

    Returns:
        dict[str, str]: Paths by extension.
    """
    import pandas as pd
    rows = summarize(results)
    headers = {key: header for key, header, _ in COLUMNS}
    seeds, errors = rows['run', 'seeds'], rows['run', 'errors']
    stat = rows.swaplevel(axis=1)  # stat['mean']: configs x keys
    noise = stat['noise'].rename(columns=headers)
    suffixes = {'mean': '', 'std': ' std', 'min': ' min', 'max': ' max'}
    csv = pd.DataFrame({
        headers[key] + suffix: rows[key, name]
        for key in headers for name, suffix in suffixes.items()
    })
    csv.insert(0, 'seeds', seeds.map(lambda s: ' '.join(map(str, s))))
    csv['within noise'] = noise.apply(
        lambda row: '; '.join(row.index[row]), axis=1)
    csv['error'] = errors.str.join('; ')
    cells = []
    for name, row in rows.iterrows():
        seed_cell = ', '.join(map(str, seeds[name])) or '-'
        if errors[name]:
            seed_cell += f' (failed: {"; ".join(errors[name])})'
        cells.append([name, seed_cell] +
                     [_cell(row[key], fmt) for key, _, fmt in COLUMNS])
    device = next((r['device'] for r in results if 'device' in r), '?')
    all_seeds = sorted({r['seed'] for r in results if 'seed' in r})
    intro = (f'Budget {budget} per config and seed, seeds '
             f'{", ".join(map(str, all_seeds))}, device {device}, '
             f'{time.strftime("%Y-%m-%d")}.\n'
             'Mean over seeds; with several seeds ± the sample standard '
             'deviation and (min–max). "within noise": differs from the first '
             'row by no more than the larger min–max range of the two rows.')
    # bars: the mean; whiskers: the min-max range over seeds
    below = (stat['mean'] - stat['min']).fillna(0)
    above = (stat['max'] - stat['mean']).fillna(0)
    panels = [
        BarPanel(
            title,
            stat['mean'][key].fillna(0).tolist(),
            errors=list(zip(below[key], above[key])))
        for key, title in PLOT_PANELS
    ]
    return write_table_report(
        work_dir,
        'summary', ['config', 'seeds'] + [h for _, h, _ in COLUMNS],
        cells,
        intro=[intro],
        csv_rows=[['config', *csv],
                  *csv.fillna('').reset_index().values.tolist()],
        panels=panels,
        title=f'ablation, budget {budget} per config and seed '
        '(bars: mean, whiskers: min-max over seeds)')
