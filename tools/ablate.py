"""Compare configs trained under one budget, seeds and dataset.

Each config trains for the same number of iterations (``--budget 200``) or
minutes (``--budget 15m``) of its own schedule, once per seed (``--seeds
N``: seeds ``--seed`` to ``--seed + N - 1``), each run in its own process
(``--jobs N`` of them at a time, the CPU cores shared), then is validated
once. Writes ``<work-dir>/summary.{md,csv,png}`` with
mAP, AP50, AP75, digit accuracy, training time, images/s and peak memory:
the mean over seeds, with several seeds also the standard deviation and
min-max range, and "within noise" where a config differs from the first
one by no more than that range. Runs that already have
``<work-dir>/<name>/seed_<seed>/result.json`` are not re-run, so an
interrupted comparison resumes; delete that file to re-run one.

Example:
    python tools/ablate.py configs/faster_rcnn_r50_fpn_digits.py \
        configs/ablations/*.py --budget 200 --seeds 2 \
        --data-root ../shared/data/svhn-mini
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from mmdigit.tools import (exit_on_interrupt, exit_on_user_error, parse_budget,
                           run_ablation)
from mmdigit.utils import ConfigError, UserInputError


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
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed of the first run')
    parser.add_argument(
        '--seeds',
        type=int,
        default=1,
        help='runs per config, with seeds SEED, SEED+1, ... (default 1)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='runs trained at a time, the CPU cores shared between them '
        '(default 1; on a 2-core CPU, --jobs 2 gets more done)')
    parser.add_argument(
        '--batch-size', type=int, help='training batch size for every config')
    parser.add_argument(
        '--from-scratch',
        action='store_true',
        help='no pre-trained backbone weights (offline machines): train '
        'every backbone stage and BN statistics')
    parser.add_argument(
        '--onto',
        help='apply each config\'s change onto this base config instead of '
        'its own (e.g. the CPU recipe\'s fine-tuning config, to rank the '
        'ablations from the synthetic-pretrained init); a config without a '
        'single local _base_ (the primary) stands for this base')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides applied to every config (xxx=yyy)')
    return parser.parse_args()


def check_args(args) -> None:
    """Reject missing configs, a bad budget or seed count before any run."""
    for config in args.configs + ([args.onto] if args.onto else []):
        if not osp.isfile(config):
            raise ConfigError(f'config file not found: {config}')
    try:
        parse_budget(args.budget)
    except ValueError as e:
        raise UserInputError(f'--budget: {e}') from e
    if args.seeds < 1:
        raise UserInputError(f'--seeds must be at least 1, got {args.seeds}')
    if args.jobs < 1:
        raise UserInputError(f'--jobs must be at least 1, got {args.jobs}')


def main():
    args = parse_args()
    summary = [
        osp.join(args.work_dir, f'summary.{ext}')
        for ext in ('md', 'csv', 'png')
    ]
    # Ctrl-C / SIGTERM: the runs in progress stop; finished ones are kept
    with exit_on_user_error(), exit_on_interrupt(
            summary, osp.join(args.work_dir, 'summary.*')):
        check_args(args)
        run_ablation(
            args.configs,
            work_dir=args.work_dir,
            budget=args.budget,
            data_root=args.data_root,
            cfg_options=args.cfg_options,
            seed=args.seed,
            seeds=args.seeds,
            jobs=args.jobs,
            batch_size=args.batch_size,
            from_scratch=args.from_scratch,
            onto=args.onto)
    print(open(f'{args.work_dir}/summary.md').read())


if __name__ == '__main__':
    main()
