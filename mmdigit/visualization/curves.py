"""Training curves from MMEngine's scalar logs."""
import fnmatch
import glob
import json
import os
import os.path as osp
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from ..utils.errors import InputNotFoundError

if TYPE_CHECKING:
    import pandas as pd

#: ``{key: (iterations, values)}``.
Curves = Dict[str, Tuple[List[float], List[float]]]

#: Panels of :func:`plot_training_curves`: title, y label, key patterns
#: (fnmatch), y range.
# yapf: disable
PANELS = (
    ('training losses', 'loss', ('loss*', ), None),
    ('learning rate', 'lr', ('lr', ), None),
    ('COCO bbox mAP (validation)', 'mAP',
     ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75'), (0, 1)),
    ('whole-number accuracy (validation)', 'accuracy',
     ('digit/accuracy', 'digit/best_accuracy'), (0, 1)),
)
# yapf: enable
#: Panels of :func:`plot_run_comparison`: validation key, title.
COMPARE_PANELS = (
    ('coco/bbox_mAP', 'COCO bbox mAP'),
    ('digit/accuracy', 'whole-number accuracy @0.5'),
    ('digit/count_accuracy', 'digit-count accuracy @0.5'),
)
COMPARE_KEYS = tuple(key for key, _ in COMPARE_PANELS)
#: x axes of :func:`read_run_curves`.
X_AXES = ('iter', 'minutes')
#: Columns of :func:`format_run_summary`: validation key, header.
SUMMARY_COLUMNS = (
    ('coco/bbox_mAP', 'mAP'),
    ('coco/bbox_mAP_50', 'AP50'),
    ('coco/bbox_mAP_75', 'AP75'),
    ('digit/accuracy', 'number acc. @0.5'),
    ('digit/best_accuracy', 'number acc. @ recorded thr'),
    ('digit/count_accuracy', 'count acc. @0.5'),
    ('digit/char_error_rate', 'CER @0.5'),
)


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (no display needed)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def save_png(fig, out_file: str) -> str:
    """Save ``fig`` to ``out_file`` at 100 dpi (folders made), close it."""
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    pyplot().close(fig)
    return out_file


def find_scalar_logs(path: str) -> List[str]:
    """The ``scalars.json`` logs of a work dir (oldest run first), of one
    run's timestamp folder, or ``path`` itself if it is a file."""
    if osp.isfile(path):
        return [path]
    logs = glob.glob(osp.join(path, 'vis_data', 'scalars.json')) or sorted(
        glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not logs:
        raise InputNotFoundError(
            f'no */vis_data/scalars.json under {path} (is it a work dir of '
            'a training run with LocalVisBackend?)')
    return logs


def read_training_curves(path: str) -> Curves:
    """Read the scalar curves of a training (:func:`find_scalar_logs`) as
    ``{key: (iterations, values)}``, resumed runs joined.

    Training records give the keys without ``/`` at their ``iter``;
    validation records the keys with a ``/`` at the last training ``iter``
    (before any, at their ``step``). A resumed run replaces the earlier
    runs' records from its first iteration on.
    """
    import pandas as pd
    points = []  # (iteration, key, value)
    last_iter = None
    for log in find_scalar_logs(path):
        with open(log) as f:
            records = [json.loads(line) for line in f if line.strip()]
        starts = [r['iter'] for r in records if 'iter' in r]
        points = [p for p in points if not starts or p[0] < starts[0]]
        for rec in records:
            train = 'iter' in rec
            if train:
                last_iter = float(rec['iter'])
            x = float(rec.get('step', 0)) if last_iter is None else last_iter
            points += [(x, k, float(v)) for k, v in rec.items()
                       if ('/' in k) != train and isinstance(v, (int, float))
                       and k not in ('iter', 'step', 'epoch')]
    points = pd.DataFrame(points, columns=['x', 'key', 'y'])
    return {
        key: (group['x'].tolist(), group['y'].tolist())
        for key, group in points.groupby('key', sort=False)
    }


def _plot_panels(axes, panels, xlabel: str, title: Optional[str],
                 out_file: str) -> str:
    """Draw ``(title, ylabel, ylim, lines)`` panels, each line ``(xs, ys,
    plot kwargs)``, into ``axes`` and save their figure to ``out_file``."""
    for ax, (name, ylabel, ylim, lines) in zip(axes.flat, panels):
        ax.set(title=name, xlabel=xlabel, ylabel=ylabel)
        for xs, ys, kwargs in lines:
            ax.plot(xs, ys, **kwargs)
        if not lines:
            ax.text(0.5, 0.5, 'no data', ha='center', transform=ax.transAxes)
            continue
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        if ylim:
            ax.set_ylim(*ylim)
    fig = axes.flat[0].figure
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_png(fig, out_file)


def plot_training_curves(curves: Curves, out_file: str, title: str) -> str:
    """Draw :func:`read_training_curves`' ``curves`` (:data:`PANELS`)
    against iterations to a 1200x800 PNG ``out_file``, and return it."""
    # one iteration axis: a single validation point sits where it belongs
    _, axes = pyplot().subplots(2, 2, figsize=(12, 8), sharex=True)
    panels = []
    for name, ylabel, patterns, ylim in PANELS:
        keys = [k for p in patterns for k in fnmatch.filter(sorted(curves), p)]
        panels.append((name, ylabel, ylim, [
            (*curves[k], dict(label=k, marker='.' * (len(curves[k][0]) < 30)))
            for k in keys
        ]))
    return _plot_panels(axes, panels, 'iteration', title, out_file)


def training_minutes(curves: Curves, iters: Sequence[float]) -> List[float]:
    """Minutes of training (validation and saving left out) done at each of
    ``iters``, from each training record's mean seconds per iteration."""
    import numpy as np
    xs, secs = curves.get('time', ([], []))
    done = np.cumsum(np.multiply(secs, np.diff(xs, prepend=0))) / 60
    clock = dict(zip(xs, done.tolist()))
    missing = [x for x in iters if x not in clock]
    if missing:
        raise ValueError(f'no training record with "time" at iteration(s) '
                         f'{missing[:5]}')
    return [clock[x] for x in iters]


def read_run_curves(stages: Sequence[str], x: str = 'minutes') -> Curves:
    """Read the curves of trainings one after another (e.g. pretraining,
    then fine-tuning), each stage's x continuing where the previous stopped.

    Args:
        stages (Sequence[str]): Work dirs, in training order.
        x (str): ``'iter'`` or ``'minutes'`` (:func:`training_minutes`).
    """
    if x not in X_AXES:
        raise ValueError(f'x must be one of {X_AXES}, got {x!r}')
    run: Curves = {}
    offset = 0.0
    for stage in stages:
        curves = read_training_curves(stage)
        end = 0.0
        for key, (xs, ys) in curves.items():
            at = training_minutes(curves, xs) if x == 'minutes' else xs
            run_xs, run_ys = run.setdefault(key, ([], []))
            run_xs.extend(offset + v for v in at)
            run_ys.extend(ys)
            end = max([end, *at])
        offset += end
    return run


def plot_run_comparison(runs: Sequence[Tuple[str, Curves]],
                        out_file: str,
                        x: str = 'minutes',
                        title: Optional[str] = None) -> str:
    """Draw several runs' validation curves (:data:`COMPARE_PANELS`) against
    ``x`` (``'iter'`` or ``'minutes'``) to a 1500x500 PNG ``out_file``, and
    return it; runs of one label (e.g. seeds) share a colour and legend.

    Args:
        runs (Sequence[tuple[str, Curves]]): ``(label, curves)`` per run,
            curves of :func:`read_run_curves` against ``x``.
    """
    plt = pyplot()
    labels = list(dict.fromkeys(label for label, _ in runs))
    _, axes = plt.subplots(1, len(COMPARE_PANELS), figsize=(15, 5))
    panels = []
    for key, name in COMPARE_PANELS:
        lines, seen = [], set()
        for label, run in runs:
            if run.get(key, [[]])[0]:
                color = plt.get_cmap('tab10')(labels.index(label) % 10)
                style = dict(marker='o', markersize=3, color=color)
                style['label'] = None if label in seen else label
                lines.append((*run[key], style))
                seen.add(label)
        panels.append((name + ' (validation)', '', (0, 1), lines))
    xlabel = 'training minutes' if x == 'minutes' else 'iteration'
    return _plot_panels(axes, panels, xlabel, title, out_file)


def summarize_runs(
        runs: Sequence[Tuple[str, Curves]],
        target: Optional[Tuple[str, float]] = None) -> 'pd.DataFrame':
    """Each run's last validation, training minutes and time to accuracy.

    Args:
        runs (Sequence[tuple[str, Curves]]): ``(label, curves)`` per run,
            curves of :func:`read_run_curves` against minutes.
        target (tuple[str, float], optional): ``(validation key, value)``.

    Returns:
        pandas.DataFrame: A row per run: ``label``, each validation key's
        last value, ``minutes`` and, with ``target``, ``minutes_to_target``
        (NaN: never reached).
    """
    import pandas as pd
    rows = []
    for label, curves in runs:
        row = {key: ys[-1] for key, (_, ys) in curves.items() if '/' in key}
        if 'time' in curves:
            row['minutes'] = curves['time'][0][-1]
        if target is not None:
            key, value = target
            row['minutes_to_target'] = next(
                (x for x, y in zip(*curves.get(key, ([], []))) if y >= value),
                float('nan'))
        rows.append(dict(label=label, **row))
    return pd.DataFrame(rows)


def _spread(values: 'pd.Series', digits: int = 3) -> str:
    """``mean (min-max)`` of the values, the one value, or a dash if none."""
    values = values.dropna()
    if values.empty:
        return '-'
    text = f'{values.mean():.{digits}f}'
    if len(values) > 1:
        text += f' ({values.min():.{digits}f}-{values.max():.{digits}f})'
    return text


def format_run_summary(summary: 'pd.DataFrame') -> str:
    """A Markdown table of :func:`summarize_runs`, one row per label: the
    mean (min-max) over its runs of :data:`SUMMARY_COLUMNS`, the number of
    runs, their training minutes and, if summarized, minutes to target."""
    from ..utils import markdown_table
    keys, headers = map(list, zip(*SUMMARY_COLUMNS))
    # every run that logged anything has training minutes
    groups = summary.reindex(columns=[*keys, 'minutes']).groupby(
        summary['label'], sort=False)
    runs = groups['minutes'].count().astype(str)
    table = groups[keys].agg(_spread).assign(
        runs=runs, minutes=groups['minutes'].agg(_spread, 1))
    headers = ['run', *headers, 'runs', 'training minutes']
    if 'minutes_to_target' in summary:
        # time to accuracy: over the runs that reached the target
        reached = summary.groupby('label', sort=False)['minutes_to_target']
        table['target'] = (
            reached.agg(_spread, 1) + ' (' + reached.count().astype(str) +
            '/' + runs + ' reached)')
        headers.append('minutes to target')
    return markdown_table(headers, table.reset_index().values.tolist())
