"""Train a detector: mmdet's tools/train.py plus ``--data-root``, and one
``error:`` line (no traceback) for a user's mistake: a bad dataset or
config, ``--amp`` without CUDA, a missing ``load_from`` / ``--resume`` file,
or a ``load_from`` checkpoint that fits less than half of the model
(``MMDIGIT_DEBUG=1`` shows every traceback).

Example:
    python tools/train.py configs/faster_rcnn_r50_fpn_digits.py \
        --data-root ../shared/data/svhn-mini
"""
import argparse

from mmdet.utils import setup_cache_size_limit_of_dynamo

from mmdigit.tools import (add_common_args, build_runner, exit_on_user_error,
                           load_cfg, parse_common_args, prepare_train_cfg)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (CUDA only)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    add_common_args(parser)
    return parse_common_args(parser)


def main():
    args = parse_args()
    setup_cache_size_limit_of_dynamo()
    with exit_on_user_error():
        cfg = load_cfg(args.config, args.work_dir, args.cfg_options,
                       args.launcher, args.data_root)
        prepare_train_cfg(cfg, args.amp, args.auto_scale_lr, args.resume)
        runner = build_runner(cfg)
        runner.train()


if __name__ == '__main__':
    main()
