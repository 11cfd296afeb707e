"""Compare configs trained under one budget, seed and dataset.

Each config trains for the same number of iterations (``--budget 200``) or
minutes (``--budget 15m``) of its own schedule, in its own process, then is
validated once. Writes ``<work-dir>/summary.{md,csv,png}`` with mAP, AP50,
AP75, digit accuracy, training time, images/s and peak memory. Configs that
already have ``<work-dir>/<name>/result.json`` are not re-run, so an
interrupted comparison resumes; delete that file to re-run one.

Example:
    python tools/ablate.py configs/faster_rcnn_r50_fpn_digits.py \
        configs/ablations/*.py --budget 200 \
        --data-root ../shared/data/svhn-mini
"""
import argparse

from mmengine.config import DictAction

from mmdigit.apis import run_ablation


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument(
        '--budget',
        default='200',
        help='ITERS (e.g. 200) or MINUTES with an m suffix (e.g. 15m) of '
        'training per config')
    parser.add_argument(
        '--data-root', help='dataset folder in the course layout')
    parser.add_argument(
        '--work-dir', default='work_dirs/ablation', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--batch-size', type=int, help='training batch size for every config')
    parser.add_argument(
        '--from-scratch',
        action='store_true',
        help='no pre-trained backbone weights (offline machines): train '
        'every backbone stage and BN statistics')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides applied to every config (xxx=yyy)')
    return parser.parse_args()


def main():
    args = parse_args()
    run_ablation(
        args.configs,
        work_dir=args.work_dir,
        budget=args.budget,
        data_root=args.data_root,
        cfg_options=args.cfg_options,
        seed=args.seed,
        batch_size=args.batch_size,
        from_scratch=args.from_scratch)
    print(open(f'{args.work_dir}/summary.md').read())


if __name__ == '__main__':
    main()
