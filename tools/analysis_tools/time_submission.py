"""Time a whole course submission end to end: ``tools/test.py`` on a test
set as large as the course's, in a child process, as a user runs it.

Renders ``--num-images`` unlabelled test images shaped like SVHN's (the
renderer draws image sizes and digit counts from SVHN's statistics; the
course test set has 13,068 images) into ``--data-dir`` (kept and reused),
runs ``tools/test.py CONFIG CHECKPOINT --out <work-dir>/submission`` with
its log streaming through (mmengine prints progress with an ETA), and
writes the wall time, images/s, the child's peak resident memory and the
row count of ``pred.csv`` to ``<work-dir>/time_submission.{md,json}``.

Without a checkpoint, the config's model is saved with its initial
weights: the cost of a test does not depend on what the weights learned,
except the final per-class NMS, which sees the most boxes with untrained
weights (an upper bound). Not a test: nothing here asserts a speed.

Example (the README's full-size CPU submission):
    python tools/analysis_tools/time_submission.py \
        configs/faster_rcnn_r50_fpn_digits.py --threads 2
"""
import argparse
import json
import os
import os.path as osp
import platform
import resource
import subprocess
import sys
import time
from typing import Dict, Optional

from mmdigit.tools.benchmark import COURSE_TEST_IMAGES

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def render_test_set(data_dir: str, num_images: int, seed: int) -> None:
    """Render ``num_images`` unlabelled images into ``data_dir/test`` unless
    they are already there (empty ``train``/``valid`` splits beside)."""
    from mmdigit.datasets import make_synthetic_dataset
    test_dir = osp.join(data_dir, 'test')
    if osp.isdir(test_dir) and len(os.listdir(test_dir)) == num_images:
        print(f'reusing {num_images} images in {test_dir}', flush=True)
        return
    print(f'rendering {num_images} test images into {test_dir}', flush=True)
    make_synthetic_dataset(
        data_dir, num_train=0, num_valid=0, num_test=num_images, seed=seed)


def save_initial_checkpoint(config: str, path: str) -> None:
    """Save ``config``'s model with its initial weights, in MMEngine's
    checkpoint format."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    # nothing can be downloaded here: random init instead of ImageNet
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    torch.save(
        dict(
            meta=dict(note='initial weights, for timing'),
            state_dict=model.state_dict()), path)


def run_test(config: str, checkpoint: str, data_dir: str, out_dir: str,
             threads: Optional[int]) -> Dict[str, float]:
    """Run ``tools/test.py`` in a child process; wall time and peak RSS."""
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'test.py'), config, checkpoint, '--data-root',
        data_dir, '--out', out_dir
    ]
    env = dict(os.environ)
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    print(' '.join(cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f'error: tools/test.py exited {proc.returncode}')
    # the largest resident set of any waited-for descendant (Linux: KiB)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return dict(wall_s=wall, peak_rss_mb=peak_mb, command=' '.join(cmd))


def count_rows(csv_path: str) -> int:
    """Data rows of ``pred.csv`` (without its header)."""
    with open(csv_path) as f:
        return sum(1 for _ in f) - 1


def cpu_name() -> str:
    """The CPU's model name, from ``/proc/cpuinfo`` where there is one."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def write_report(result: Dict, work_dir: str) -> str:
    """Write ``time_submission.{md,json}``; return the markdown."""
    md = '\n'.join([
        f"Full-size submission timing, {result['date']}",
        '',
        '| images | wall (min) | images/s | peak RSS (MB) | pred.csv rows |',
        '|---|---|---|---|---|',
        f"| {result['images']} | {result['wall_s'] / 60:.1f} | "
        f"{result['img_s']:.2f} | {result['peak_rss_mb']:.0f} | "
        f"{result['csv_rows']} |",
        '',
        f"machine: {result['cpu']}, {result['cpus']} CPUs visible, "
        f"OMP_NUM_THREADS={result['threads']}, torch {result['torch']}",
        f"checkpoint: {result['checkpoint']}",
        f"command: `{result['command']}`",
        '',
    ])
    with open(osp.join(work_dir, 'time_submission.md'), 'w') as f:
        f.write(md)
    with open(osp.join(work_dir, 'time_submission.json'), 'w') as f:
        json.dump(result, f, indent=2)
    return md


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='test config')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint (default: the config\'s initial '
        'weights, saved into --work-dir)')
    parser.add_argument('--num-images', type=int, default=COURSE_TEST_IMAGES)
    parser.add_argument(
        '--data-dir',
        default='data/course_size_test',
        help='where the test images are rendered (reused)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads', type=int, help='OMP_NUM_THREADS of the test process')
    parser.add_argument('--work-dir', default='work_dirs/time_submission')
    return parser.parse_args()


def main():
    args = parse_args()
    import torch
    if not osp.isfile(args.config):
        raise SystemExit(f'error: no such config: {args.config}')
    if args.checkpoint and not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: no such checkpoint: {args.checkpoint}')
    os.makedirs(args.work_dir, exist_ok=True)
    render_test_set(args.data_dir, args.num_images, args.seed)
    checkpoint = args.checkpoint
    if checkpoint is None:
        checkpoint = osp.join(args.work_dir, 'initial_weights.pth')
        save_initial_checkpoint(args.config, checkpoint)
    out_dir = osp.join(args.work_dir, 'submission')
    timing = run_test(args.config, checkpoint, args.data_dir, out_dir,
                      args.threads)
    rows = count_rows(osp.join(out_dir, 'pred.csv'))
    result = dict(
        date=time.strftime('%Y-%m-%d %H:%M %Z'),
        images=args.num_images,
        img_s=args.num_images / timing['wall_s'],
        csv_rows=rows,
        cpu=cpu_name(),
        cpus=os.cpu_count(),
        threads=args.threads,
        torch=torch.__version__,
        checkpoint=args.checkpoint or 'initial weights (untrained)',
        **timing)
    print(write_report(result, args.work_dir))
    if rows != args.num_images:
        raise SystemExit(f'error: pred.csv has {rows} rows, '
                         f'expected {args.num_images}')


if __name__ == '__main__':
    main()
