"""Test a checkpoint and write the course submission.

By default the configured test set (the unlabelled ``test/`` folder) is run
and ``pred.json``, ``pred.csv`` and ``submission.zip`` are written to
``--out`` (a folder or a ``.zip`` path; ``<work_dir>/submission`` without
it). ``--out x.pkl`` keeps mmdet's raw-pickle behaviour and writes nothing
else. ``--split valid`` runs the labelled validation set instead and prints
its metrics too. A checkpoint whose weights do not fit the config's model
stops with one ``error:`` line; Ctrl-C or SIGTERM leaves the previous
submission files (or none) and says so.

Example:
    python tools/test.py configs/faster_rcnn_r50_fpn_digits.py \
        work_dirs/faster_rcnn_r50_fpn_digits/epoch_12.pth --out submission/
"""
import argparse

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.utils import setup_cache_size_limit_of_dynamo

from mmdigit.tools import (add_common_args, build_runner, exit_on_interrupt,
                           exit_on_user_error, load_cfg, parse_common_args,
                           prepare_test_cfg, resolve_test_out)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Test a detector and write pred.json / pred.csv / '
        'submission.zip')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='submission folder or .zip path (pred.json, pred.csv, zip); '
        'a .pkl path dumps raw predictions as mmdet does')
    parser.add_argument(
        '--split',
        choices=['test', 'valid'],
        default='test',
        help='test: the configured test set (unlabelled test/ folder); '
        'valid: the labelled validation set, with its metrics')
    parser.add_argument(
        '--json-thr',
        type=float,
        help='minimum score of a pred.json box (default 0: keep all, which '
        'maximises mAP)')
    parser.add_argument(
        '--csv-thr',
        type=float,
        help='score threshold for reading numbers into pred.csv (default: '
        'the validation-best threshold recorded in the checkpoint, else 0.5)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved (under the '
        'work_dir/timestamp folder)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='scale-only test-time augmentation (never flips)')
    add_common_args(parser)
    return parse_common_args(parser)


def main():
    args = parse_args()
    setup_cache_size_limit_of_dynamo()
    with exit_on_user_error():
        cfg = load_cfg(args.config, args.work_dir, args.cfg_options,
                       args.launcher, args.data_root)
        target = resolve_test_out(args.out, cfg.work_dir, args.split)
        prepare_test_cfg(cfg, args.checkpoint, args.out, args.split, args.tta,
                         args.json_thr, args.csv_thr)
        if args.show or args.show_dir:
            cfg = trigger_visualization_hook(cfg, args)
        with exit_on_interrupt(target.files, str(target)):
            runner = build_runner(cfg)
            runner.test()


if __name__ == '__main__':
    main()
