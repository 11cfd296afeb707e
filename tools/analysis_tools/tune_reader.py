"""Measure the number reader's options on saved predictions, no inference.

Reads the raw predictions of ``tools/test.py --split valid --out x.pkl``
and the labelled json of the same images, then reads every image's number
with each reader variant: the reader's defaults (or ``--reader-cfg``), and
that with one option of ``boxes_to_number`` changed at a time. Prints
whole-number accuracy, count accuracy and character error rate at
``--score-thr`` and at the best threshold of 0.05..0.95 (the one
``DigitStringMetric`` records), and writes a PNG of accuracy against each
option's value.

Choose options on a split the model did not train on, and report them on
another one.

Example:
    python tools/test.py configs/faster_rcnn_r18_fpn_demo_digits.py \
        work_dirs/ft/iter_500.pth --split valid --out work_dirs/valid.pkl
    python tools/analysis_tools/tune_reader.py work_dirs/valid.pkl \
        data/svhn/valid.json --out work_dirs/reader.png
"""
import argparse
import math
import os.path as osp

from mmengine.config import DictAction
from terminaltables import AsciiTable

from mmdigit.evaluation import load_gt_numbers, sweep_reader_options
from mmdigit.tools import exit_on_user_error

#: Values tried per reader option; ``inf`` or ``0``/``1`` turn one off.
DEFAULT_GRID = dict(
    nms_iou_thr=[0.3, 0.4, 0.5, 0.6, 1.0],
    nms_ios_thr=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    nms_x_thr=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    rel_score_thr=[0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    line_tol=[0.25, 0.35, 0.5, 0.75, 1.0, math.inf],
    height_tol=[1.25, 1.5, 2.0, 3.0, math.inf],
    max_digits=[0, 3, 4, 5, 6])


def load_detections(pkl: str, ann_file: str) -> tuple:
    """Predictions of a ``--out x.pkl`` and the GT numbers, image by image.

    Args:
        pkl (str): mmdet's raw results (``DumpDetResults``).
        ann_file (str): Labelled COCO json of the same images.

    Returns:
        tuple[list[tuple], list[str]]: ``(bboxes, scores, labels)`` per
        image and the GT numbers, in ``image_id`` order.
    """
    import mmengine
    if not osp.isfile(pkl):
        raise FileNotFoundError(f'no predictions file {pkl}')
    gt_numbers = load_gt_numbers(ann_file)
    results = sorted(mmengine.load(pkl), key=lambda r: int(r['img_id']))
    missing = set(gt_numbers) - {int(r['img_id']) for r in results}
    if missing:
        raise ValueError(f'{pkl} has no prediction for {len(missing)} '
                         f'image(s) of {ann_file}, e.g. {sorted(missing)[:5]}')
    detections, gts = [], []
    for r in results:
        if int(r['img_id']) not in gt_numbers:
            continue
        pred = r['pred_instances']
        detections.append(
            tuple(pred[k].cpu().numpy()
                  for k in ('bboxes', 'scores', 'labels')))
        gts.append(gt_numbers[int(r['img_id'])])
    return detections, gts


def plot_rows(rows: list, out: str, score_thr: float) -> str:
    """One panel per option: accuracy at ``score_thr`` and at best_thr."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    options = list(dict.fromkeys(r['option'] for r in rows[1:]))
    cols = min(4, len(options))
    nrows = math.ceil(len(options) / cols)
    fig, axes = plt.subplots(
        nrows, cols, figsize=(3.2 * cols, 2.6 * nrows), squeeze=False)
    for ax, option in zip(axes.flat, options):
        sub = [r for r in rows[1:] if r['option'] == option]
        xs = range(len(sub))
        ax.plot(
            xs, [r['best_accuracy'] for r in sub], 'o-', label='at best_thr')
        ax.plot(
            xs, [r['fixed_accuracy'] for r in sub],
            's--',
            label=f'at {score_thr}')
        ax.axhline(rows[0]['best_accuracy'], color='grey', lw=0.8)
        ax.set_xticks(list(xs), [f'{r["value"]:g}' for r in sub])
        ax.set_title(option, fontsize=9)
        ax.set_ylabel('number accuracy', fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(options):]:
        ax.axis('off')
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(
        'reader options, one at a time (grey: base variant)', fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pkl', help='raw predictions of tools/test.py --out')
    parser.add_argument('ann_file', help='labelled json of the same images')
    parser.add_argument(
        '--reader-cfg',
        nargs='+',
        action=DictAction,
        default={},
        help='base reader options, e.g. nms_ios_thr=0.6 line_tol=inf '
        '(default: the reader\'s defaults)')
    parser.add_argument(
        '--options',
        nargs='+',
        choices=list(DEFAULT_GRID),
        default=list(DEFAULT_GRID),
        help='options to vary (default: all)')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.5,
        help='fixed threshold also reported (default 0.5)')
    parser.add_argument(
        '--out', help='PNG path (default: reader.png beside the pkl)')
    return parser.parse_args()


def main():
    args = parse_args()
    out = args.out or osp.join(osp.dirname(args.pkl) or '.', 'reader.png')
    with exit_on_user_error(extra=(FileNotFoundError, ValueError, KeyError)):
        detections, gts = load_detections(args.pkl, args.ann_file)
        grid = {k: DEFAULT_GRID[k] for k in args.options}
        rows = sweep_reader_options(detections, gts, grid, args.reader_cfg,
                                    args.score_thr)
    s = args.score_thr
    table = [[
        'option', 'value', f'acc@{s}', f'count@{s}', f'CER@{s}', 'best_thr',
        'acc@best', 'count@best', 'CER@best'
    ]]
    metrics = ('accuracy', 'count_accuracy', 'char_error_rate')
    for r in rows:
        value = '' if r['value'] is None else f'{r["value"]:g}'
        fixed = [f'{r["fixed_" + k]:.4f}' for k in metrics]
        best = [f'{r["best_" + k]:.4f}' for k in metrics]
        table.append([
            r['option'] or '(base)', value, *fixed, f'{r["best_thr"]:.2f}',
            *best
        ])
    print(f'{len(gts)} images; base reader options: '
          f'{args.reader_cfg or "defaults"}')
    print(AsciiTable(table).table)
    print(f'plot: {plot_rows(rows, out, s)}')


if __name__ == '__main__':
    main()
