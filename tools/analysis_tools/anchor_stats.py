"""Box statistics at a config's training scale and tuned RPN anchors.

Prints box sizes as the network sees them, FPN levels of their best anchors
and RoI pooling, k-means (1 - IoU) shapes and proposed ``anchor_generator``
scales/ratios against the config's; writes histograms.

Example:
    python tools/analysis_tools/anchor_stats.py \
        ../shared/data/svhn-mini/train.json \
        --config configs/faster_rcnn_r50_fpn_digits.py
"""
import argparse
import os.path as osp

import numpy as np

from mmdigit.analysis import (DEFAULT_ANCHORS, anchor_fit, anchor_shapes,
                              config_anchors, kmeans_iou, load_box_sizes,
                              propose_anchors, roi_levels, scale_to_input,
                              train_resize)
from mmdigit.utils import InputNotFoundError
from mmdigit.utils.cli import exit_on_user_error, load_cfg
from mmdigit.visualization.curves import pyplot, save_png


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='COCO json (e.g. train.json)')
    parser.add_argument(
        '--config',
        default='configs/faster_rcnn_r50_fpn_digits.py',
        help='config whose training Resize and anchors are used')
    parser.add_argument(
        '--num-scales', type=int, default=1, help='anchor scales per level')
    parser.add_argument(
        '--num-ratios', type=int, default=3, help='anchor ratios')
    parser.add_argument(
        '--clusters', type=int, default=9, help='k-means box shapes to print')
    parser.add_argument(
        '--out', default='work_dirs/anchor_stats.png', help='histogram PNG')
    return parser.parse_args()


def describe(name, values):
    cells = [*np.percentile(values, [5, 25, 50, 75, 95]), values.mean()]
    return f'{name:<14}' + ''.join(f'{v:9.1f}' for v in cells)


def level_table(levels, num_levels):
    counts = np.bincount(levels, minlength=num_levels)
    return '  '.join(f'P{i + 2}: {c} ({c / len(levels):.0%})'
                     for i, c in enumerate(counts))


def fit_line(name, fit, anchors):
    return (f'{name:<10} mean IoU {fit["mean_iou"]:.3f}  '
            f'recall@0.5 {fit["recall@0.5"]:.3f}  '
            f'recall@0.7 {fit["recall@0.7"]:.3f}   '
            f'scales={anchors["scales"]} ratios={anchors["ratios"]}')


def anchor_sizes(anchors):
    return np.unique(np.round(np.sqrt(anchors.prod(axis=-1)), 1))


def plot(path, wh, current, proposal):
    size = np.sqrt(wh.prod(axis=1))
    fig, axes = pyplot().subplots(1, 3, figsize=(15, 4))
    for side, label in enumerate(('width', 'height')):
        axes[0].hist(wh[:, side], bins=50, alpha=0.6, label=label)
    axes[1].hist(wh[:, 1] / wh[:, 0], bins=50, color='tab:green')
    for r in proposal['ratios']:
        axes[1].axvline(r, color='k', ls='--')
    bins = np.geomspace(size.min(), size.max(), 50)
    axes[2].hist(size, bins=bins, color='tab:purple')
    axes[2].set_xscale('log')
    for anchors, style, label in ((current, ':', 'config'),
                                  (proposal['anchors'], '--', 'proposed')):
        for i, s in enumerate(anchor_sizes(anchors)):
            axes[2].axvline(s, color='k', ls=style, label=None if i else label)
    for ax, xlabel in zip(axes, ('box side at training scale (px)',
                                 'aspect h / w (dashed: proposed ratios)',
                                 'sqrt(w*h) at training scale (px)')):
        ax.set_xlabel(xlabel)
    axes[0].legend()
    axes[2].legend()
    fig.tight_layout()
    save_png(fig, path)


def main():
    args = parse_args()
    with exit_on_user_error():
        cfg = load_cfg(args.config)
        if not osp.isfile(args.ann_file):
            raise InputNotFoundError(
                f'annotation file not found: {args.ann_file}')
    scale, keep_ratio = train_resize(cfg)
    box_wh, img_wh = load_box_sizes(args.ann_file)
    valid = (box_wh > 0).all(axis=1)
    if not valid.all():
        print(f'skipping {int((~valid).sum())} boxes with w or h <= 0')
    box_wh, img_wh = box_wh[valid], img_wh[valid]
    wh = scale_to_input(box_wh, img_wh, scale, keep_ratio)
    anchors = config_anchors(cfg) or DEFAULT_ANCHORS
    current = anchor_shapes(**anchors)
    print(f'{len(wh)} boxes from {args.ann_file}; training Resize '
          f'scale={scale} keep_ratio={keep_ratio}')
    columns = ('p5', 'p25', 'p50', 'p75', 'p95', 'mean')
    print(f'{"":<14}' + ''.join(f'{h:>9}' for h in columns))
    for name, values in (('orig', box_wh), ('input', wh)):
        print(describe(f'{name} w', values[:, 0]))
        print(describe(f'{name} h', values[:, 1]))
    print(describe('input sqrt(wh)', np.sqrt(wh.prod(axis=1))))
    print(describe('aspect h/w', wh[:, 1] / wh[:, 0]))
    num_levels = len(anchors['strides'])
    fit_now = anchor_fit(wh, current)
    print('\nbest-anchor level (config anchors): ' +
          level_table(fit_now['level'], num_levels))
    print('RoI pooling level (finest_scale 56): ' +
          level_table(roi_levels(wh), 4))
    print(f'\nk-means (1 - IoU) box shapes, k={args.clusters} (w x h):')
    print('  ' + ', '.join(f'{w:.0f}x{h:.0f}'
                           for w, h in kmeans_iou(wh, args.clusters)))
    proposal = propose_anchors(wh, anchors['strides'], args.num_scales,
                               args.num_ratios)
    proposal['anchors'] = anchor_shapes(anchors['strides'], proposal['scales'],
                                        proposal['ratios'])
    print('\nanchor fit (centred IoU of each box with its best anchor):')
    print(fit_line('config', fit_now, anchors))
    print(fit_line('proposed', proposal['fit'], proposal))
    print('best-anchor level (proposed): ' +
          level_table(proposal['fit']['level'], num_levels))
    sizes = anchor_sizes(proposal['anchors']).tolist()
    print(f'proposed anchor sizes sqrt(wh): {sizes}')
    print('\n# config delta:')
    print('model = dict(\n    rpn_head=dict(\n        anchor_generator=dict('
          f'\n            scales={proposal["scales"]},'
          f'\n            ratios={proposal["ratios"]})))')
    plot(args.out, wh, current, proposal)
    print(f'\nhistograms: {args.out}')


if __name__ == '__main__':
    main()
