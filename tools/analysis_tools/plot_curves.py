"""Plot a training's curves: losses, learning rate, validation mAP and
whole-number accuracy, against iteration, in one PNG.

Reads MMEngine's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (a resumed
training has one timestamp folder per run; they are joined in order).

Example:
    python tools/analysis_tools/plot_curves.py \
        work_dirs/faster_rcnn_r50_fpn_digits --out work_dirs/curves.png
"""
import argparse
import os.path as osp

from mmdigit.tools import exit_on_user_error
from mmdigit.visualization import plot_training_curves, read_training_curves


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'work_dir',
        help='work dir, one run\'s timestamp folder, or a '
        'scalars.json')
    parser.add_argument(
        '--out', help='PNG path (default: curves.png in the work dir)')
    return parser.parse_args()


def main():
    args = parse_args()
    out = args.out or osp.join(
        args.work_dir if osp.isdir(args.work_dir) else osp.dirname(
            args.work_dir), 'curves.png')
    with exit_on_user_error():
        curves = read_training_curves(args.work_dir)
    for key in ('loss', 'coco/bbox_mAP', 'digit/accuracy'):
        xs, ys = curves.get(key, ([], []))
        last = f', last {ys[-1]:.4f} at iteration {xs[-1]:g}' if xs else ''
        print(f'{key}: {len(xs)} points{last}')
    print(f'curves: {plot_training_curves(args.work_dir, out)}')


if __name__ == '__main__':
    main()
