"""Benchmark configs back to back: training and inference images/s, peak
memory, and each one's ratio to the first row.

A row is a config, optionally followed (in the same quoted argument) by its
own ``--cfg-options``-style overrides; ``img_scale=(w,h)`` rewrites every
``Resize``. All rows run in this one process, one after the other, on the
same images (the config's train split and its test split). Writes
``<work-dir>/<name>.{md,json,png}``. Not a test: nothing here asserts a
speed.

Example (the README's Performance table):
    python tools/benchmark.py \
        configs/baselines/faster_rcnn_r50_fpn_1333x800_1x_digits.py \
        configs/faster_rcnn_r50_fpn_digits.py \
        --data-root ../shared/data/svhn-mini --batch-sizes 2
    # what one change buys: the same config with and without it
    python tools/benchmark.py configs/faster_rcnn_r50_fpn_digits.py \
        "configs/faster_rcnn_r50_fpn_digits.py img_scale=(512,256)"
    # how cost grows with input size and batch size
    python tools/benchmark.py configs/faster_rcnn_r50_fpn_digits.py \
        --img-scales 256x128 320x160 512x256 --batch-sizes 1 2 4 \
        --data-root ../shared/data/svhn-mini --name scaling
"""
import argparse

from mmengine.config import DictAction

from mmdigit.tools import exit_on_user_error, run_benchmark


def scale(text: str):
    """``'320x160'`` -> ``(320, 160)``."""
    try:
        w, h = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected WxH, got {text!r}')
    return w, h


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'rows',
        nargs='+',
        help='config files, each '
        'optionally followed by its own key=value overrides '
        '(one quoted argument); the first row is the '
        'reference of the ratio columns')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default=None,
        help='default: cuda when available, else cpu')
    parser.add_argument(
        '--iters',
        type=int,
        default=10,
        help='timed training iterations per row')
    parser.add_argument(
        '--warmup',
        type=int,
        default=3,
        help='untimed iterations / batches before timing')
    parser.add_argument(
        '--infer-images',
        type=int,
        default=40,
        help='timed inference images per batch size')
    parser.add_argument(
        '--data-root', help='dataset folder in the course layout')
    parser.add_argument(
        '--batch-sizes',
        type=int,
        nargs='+',
        help='training batch sizes: one row each '
        '(default: each config\'s own)')
    parser.add_argument(
        '--img-scales',
        type=scale,
        nargs='+',
        help='input scales WxH: one row each (default: '
        'each config\'s own)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='add a mixed-precision row after each row '
        '(CUDA only)')
    parser.add_argument('--work-dir', default='work_dirs/benchmark')
    parser.add_argument('--name', default='benchmark', help='output file stem')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides applied to every config (xxx=yyy)')
    return parser.parse_args()


def main():
    import torch
    args = parse_args()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('error: --device cuda: no CUDA device is available')
    with exit_on_user_error():
        run_benchmark(
            args.rows,
            device=device,
            iters=args.iters,
            warmup=args.warmup,
            infer_images=args.infer_images,
            data_root=args.data_root,
            cfg_options=args.cfg_options,
            img_scales=args.img_scales,
            batch_sizes=args.batch_sizes,
            amp=args.amp,
            work_dir=args.work_dir,
            name=args.name)
    print(open(f'{args.work_dir}/{args.name}.md').read())


if __name__ == '__main__':
    main()
