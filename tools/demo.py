"""The `make demo` job: synthetic data -> train -> submission -> pictures.

Renders the synthetic dataset if ``--data-root`` has none, trains
``--config``, writes the ``test/`` submission, scores ``valid/``, draws
predictions and curves and reads a few test images, each step running the
user-facing tool in a subprocess with its command printed (a walk-through).
"""
import argparse
import os.path as osp
import subprocess
import sys
import time

import mmengine

from mmdigit.apis.inferencer import list_images
from mmdigit.datasets import make_synthetic_dataset
from mmdigit.evaluation import (evaluate_submission, load_gt_numbers,
                                load_submission)
from mmdigit.evaluation.functional import resolve_reading
from mmdigit.utils import read_recorded_reading
from mmdigit.visualization import (mistakes_first, plot_predictions,
                                   plot_training_curves, read_training_curves)

TOOLS = osp.dirname(osp.abspath(__file__))


def parse_args():
    parser = argparse.ArgumentParser(description='Run the mmdigit demo')
    parser.add_argument(
        '--config', default='configs/faster_rcnn_r18_fpn_demo_digits.py')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--num-train', type=int, default=3000)
    parser.add_argument('--num-valid', type=int, default=300)
    parser.add_argument('--num-test', type=int, default=300)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='passed to tools/train.py')
    return parser.parse_args()


def run(cmd):
    """Run a tool, echoing its command line; stop the demo if it fails."""
    print('\n$ ' + ' '.join(cmd), flush=True)
    subprocess.run([sys.executable] + cmd, check=True)


def main():
    args = parse_args()
    start = time.time()
    if not osp.exists(osp.join(args.data_root, 'valid.json')):
        print(f'rendering the synthetic dataset into {args.data_root}')
        make_synthetic_dataset(args.data_root, args.num_train, args.num_valid,
                               args.num_test)
    common = ['--data-root', args.data_root, '--work-dir', args.work_dir]
    train = [osp.join(TOOLS, 'train.py'), args.config] + common
    if args.cfg_options:
        train += ['--cfg-options'] + args.cfg_options
    run(train)
    ckpt = mmengine.get_text(osp.join(args.work_dir, 'last_checkpoint'))
    ckpt = ckpt.strip()

    test_dir = osp.join(args.work_dir, 'submission')
    valid_dir = osp.join(args.work_dir, 'submission_valid')
    run([osp.join(TOOLS, 'test.py'), args.config, ckpt, '--out', test_dir] +
        common)
    run([
        osp.join(TOOLS, 'test.py'), args.config, ckpt, '--split', 'valid',
        '--out', valid_dir
    ] + common)

    ann_file = osp.join(args.data_root, 'valid.json')
    metrics = evaluate_submission(valid_dir, ann_file)
    mmengine.dump(
        metrics, osp.join(args.work_dir, 'valid_metrics.json'), indent=1)

    # draw the boxes pred.csv read its numbers from: the checkpoint's
    # recorded threshold and reader options, as tools/test.py used them
    thr, reader_cfg, _ = resolve_reading(recorded=read_recorded_reading(ckpt))
    pngs = []
    for split, sub_dir in (('test', test_dir), ('valid', valid_dir)):
        detections, numbers = load_submission(sub_dir)
        gt = load_gt_numbers(ann_file) if split == 'valid' else None
        pngs.append(
            plot_predictions(
                osp.join(args.data_root, split),
                detections,
                numbers,
                osp.join(args.work_dir, f'{split}_predictions.png'),
                # mistakes first: what a user wants to look at
                img_ids=None if gt is None else mistakes_first(numbers, gt),
                gt_numbers=gt,
                score_thr=thr,
                reader_cfg=reader_cfg))

    curves_png = plot_training_curves(
        read_training_curves(args.work_dir),
        osp.join(args.work_dir, 'curves.png'), args.work_dir)

    # test/ holds <id>.png: the first few ids
    read_dir = osp.join(args.work_dir, 'read_numbers')
    run([osp.join(TOOLS, 'read_numbers.py'), args.config, ckpt] +
        list_images(osp.join(args.data_root, 'test'))[:4] +
        ['--out-dir', read_dir])

    print(f'\nmmdigit demo finished in {(time.time() - start) / 60:.1f} min')
    print(f'  submission: {test_dir}/pred.json, pred.csv, submission.zip')
    print(f'  pictures:   {", ".join(pngs)}, {curves_png}')
    print(f'  read:       {osp.join(read_dir, "vis")} '
          '(tools/read_numbers.py CONFIG CKPT IMAGES...)')
    print(f'  valid metrics ({ann_file}):')
    for key, value in metrics.items():
        print(f'    {key:<24} {value:.4f}')


if __name__ == '__main__':
    main()
