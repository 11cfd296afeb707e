"""Train a detector: mmdet's tools/train.py plus ``--data-root``, a user's
mistake (bad dataset or config, ``--amp`` without CUDA, a missing or
ill-fitting checkpoint) stopping with one ``error:`` line
(``MMDIGIT_DEBUG=1``: the traceback).

Example:
    python tools/train.py configs/faster_rcnn_r50_fpn_digits.py \
        --data-root ../shared/data/svhn-mini
"""
import argparse
import os

from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdigit.utils import ConfigError
from mmdigit.utils.cli import (check_train_cfg, exit_on_user_error, load_cfg,
                               setup_distributed)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--data-root', help='dataset folder in the course layout')
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
        help='resume from this checkpoint, or without one from the latest '
        'in the work directory')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (lists: key="[a,b]")')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank to the script.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    setup_cache_size_limit_of_dynamo()
    with exit_on_user_error():
        cfg = load_cfg(args.config, args.work_dir, args.cfg_options,
                       args.launcher, args.data_root)
        if args.amp:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        if args.auto_scale_lr:
            if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
                raise ConfigError('--auto-scale-lr needs auto_scale_lr = '
                                  'dict(base_batch_size=...) in the config')
            cfg.auto_scale_lr.enable = True
        if args.resume == 'auto':
            cfg.resume = True
            cfg.load_from = None
        elif args.resume is not None:
            cfg.resume = True
            cfg.load_from = args.resume
        check_train_cfg(cfg)  # AMP needs CUDA; checkpoints must fit
        setup_distributed(cfg)
        if 'runner_type' not in cfg:
            runner = Runner.from_cfg(cfg)
        else:
            runner = RUNNERS.build(cfg)
        runner.train()


if __name__ == '__main__':
    main()
