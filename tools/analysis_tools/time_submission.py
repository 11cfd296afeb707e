"""Time a whole course submission end to end: ``tools/test.py``, in a child
process as a user runs it, on as many test images as the course has.

Renders ``--num-images`` unlabelled SVHN-like images into ``--data-dir``
(reused), runs ``tools/test.py CONFIG CHECKPOINT`` and writes the wall time,
images/s, the child's peak RSS and the ``pred.csv`` row count to
``<work-dir>/time_submission.{md,json}``. Without a checkpoint the config's
initial weights are timed (their NMS sees the most boxes: an upper bound).

Example (the README's full-size CPU submission):
    python tools/analysis_tools/time_submission.py \
        configs/faster_rcnn_r50_fpn_digits.py --threads 2
"""
import argparse
import os
import os.path as osp
import resource
import subprocess
import sys
import time

import torch
from mmengine.config import Config

from mmdigit.datasets import make_synthetic_dataset
from mmdigit.utils.cli import (COURSE_TEST_IMAGES, build_model, environment,
                               write_table_report)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add = parser.add_argument
    add('config', help='test config')
    add('checkpoint',
        nargs='?',
        help="default: the config's initial weights, saved into --work-dir")
    add('--num-images', type=int, default=COURSE_TEST_IMAGES)
    add('--data-dir',
        default='data/course_size_test',
        help='where the test images are rendered (reused)')
    add('--seed', type=int, default=0)
    add('--threads', type=int, help='OMP_NUM_THREADS of the test process')
    add('--work-dir', default='work_dirs/time_submission')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        raise SystemExit(f'error: no such config: {args.config}')
    if args.checkpoint and not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: no such checkpoint: {args.checkpoint}')
    os.makedirs(args.work_dir, exist_ok=True)
    test_dir, n = osp.join(args.data_dir, 'test'), args.num_images
    if osp.isdir(test_dir) and len(os.listdir(test_dir)) == n:
        print(f'reusing {n} images in {test_dir}', flush=True)
    else:
        print(f'rendering {n} test images into {test_dir}', flush=True)
        make_synthetic_dataset(
            args.data_dir,
            num_train=0,
            num_valid=0,
            num_test=n,
            seed=args.seed)
    checkpoint = args.checkpoint
    if not checkpoint:  # the initial weights; nothing downloaded
        checkpoint = osp.join(args.work_dir, 'initial_weights.pth')
        model = build_model(Config.fromfile(args.config), 'cpu')
        model.init_weights()
        meta = dict(note='initial weights, for timing')
        torch.save(dict(meta=meta, state_dict=model.state_dict()), checkpoint)
    out_dir = osp.join(args.work_dir, 'submission')
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'test.py'), args.config, checkpoint,
        '--data-root', args.data_dir, '--out', out_dir
    ]
    env = dict(os.environ)
    if args.threads:  # the test process's, and in the report this one's
        env['OMP_NUM_THREADS'] = str(args.threads)
        torch.set_num_threads(args.threads)
    print(' '.join(cmd), flush=True)
    start = time.perf_counter()
    returncode = subprocess.run(cmd, env=env).returncode
    wall_s = time.perf_counter() - start
    if returncode:
        raise SystemExit(f'error: tools/test.py exited {returncode}')
    # the largest resident set of any waited-for descendant (Linux: KiB)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with open(osp.join(out_dir, 'pred.csv')) as f:
        rows = sum(1 for _ in f) - 1  # without the header
    r = dict(
        environment('cpu'),
        images=n,
        img_s=n / wall_s,
        csv_rows=rows,
        threads=args.threads,
        checkpoint=args.checkpoint or 'initial weights (untrained)',
        wall_s=wall_s,
        peak_rss_mb=peak_mb,
        command=' '.join(cmd))
    paths = write_table_report(
        args.work_dir,
        'time_submission',
        ['images', 'wall (min)', 'images/s', 'peak RSS (MB)', 'pred.csv rows'],
        [[
            str(r['images']), f'{wall_s / 60:.1f}', f"{r['img_s']:.2f}",
            f"{r['peak_rss_mb']:.0f}",
            str(rows)
        ]],
        intro=[f"Full-size submission timing, {r['date']}"],
        notes=[
            f"machine: {r['device']}, OMP_NUM_THREADS={r['threads']}, torch "
            f"{r['torch']}\ncheckpoint: {r['checkpoint']}\n"
            f"command: `{r['command']}`"
        ],
        json_data=r)
    with open(paths['md']) as f:
        print(f.read())
    if rows != n:
        raise SystemExit(f'error: pred.csv has {rows} rows, expected {n}')


if __name__ == '__main__':
    main()
