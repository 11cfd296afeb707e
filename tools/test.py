"""Test a checkpoint and write the course submission.

The test set (``--split valid``: the validation set, with its metrics) is
read into ``pred.json``, ``pred.csv`` and ``submission.zip`` in ``--out``
(a folder or a ``.zip`` path); ``--out x.pkl`` dumps mmdet's raw
predictions only. Ctrl-C or SIGTERM leaves the previous files (or none).

Example:
    python tools/test.py configs/faster_rcnn_r50_fpn_digits.py \
        work_dirs/faster_rcnn_r50_fpn_digits/epoch_12.pth --out submission/
"""
import argparse
import copy
import os
import os.path as osp
from typing import List, Tuple

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdigit.utils.cli import (add_custom_hook, exit_on_interrupt,
                               exit_on_user_error, load_cfg,
                               require_checkpoint, setup_distributed)
from mmdigit.utils.config import evaluator_metrics

DUMPER = 'DigitSubmissionDumper'
ZIP_NAME = 'submission.zip'
#: --tta scales, times the test Resize scale; no flips (they mirror digits)
TTA_SCALE_RATIOS = (0.875, 1.0, 1.25)
#: --tta's model wrapper when the config has no tta_model (as mmdet's)
TTA_MODEL = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test a detector and write pred.json / pred.csv / '
        'submission.zip')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--data-root', help='dataset folder in the course layout')
    parser.add_argument(
        '--out',
        help='submission folder or .zip path; a .pkl path dumps raw '
        'predictions as mmdet does')
    parser.add_argument(
        '--split',
        choices=['test', 'valid'],
        default='test',
        help='valid: the labelled validation set, with its metrics')
    parser.add_argument(
        '--json-thr',
        type=float,
        help='minimum score of a pred.json box (default 0: all)')
    parser.add_argument(
        '--csv-thr',
        type=float,
        help='score threshold of pred.csv (default: the checkpoint\'s '
        'recorded one, else 0.5)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='save painted images under work_dir/timestamp/')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true', help='scale-only test-time augmentation')
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
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def set_outputs(cfg: Config, args) -> Tuple[List[str], str]:
    """Make the test evaluator write what ``--out`` asks for, nothing else:
    ``x.pkl``: mmdet's ``DumpDetResults``; else ``DigitSubmissionDumper``
    (added if missing) writes to ``--out`` (default
    ``<work_dir>/submission[_valid]``), at the reading ``DigitThresholdHook``
    (added if missing) recorded unless ``--csv-thr``.

    Returns:
        tuple[list[str], str]: The files written and what to call them.
    """
    out, metrics = args.out, evaluator_metrics(cfg.get('test_evaluator'))
    if out and out.endswith(('.pkl', '.pickle')):
        cfg.test_evaluator = [
            m for m in metrics if m.get('type') != DUMPER
        ] + [dict(type='DumpDetResults', out_file_path=out)]
        return [out], out
    if out is None:
        out = osp.join(
            cfg.work_dir,
            'submission' if args.split == 'test' else 'submission_valid')
    out_dir, zip_name = (osp.dirname(out) or '.', osp.basename(out)) \
        if out.endswith('.zip') else (out, ZIP_NAME)
    dumpers = [m for m in metrics if m.get('type') == DUMPER]
    if not dumpers:
        dumpers = [ConfigDict(type=DUMPER)]
        metrics += dumpers
    thrs = dict(csv_score_thr=args.csv_thr, json_score_thr=args.json_thr)
    for dumper in dumpers:
        dumper.update(out_dir=out_dir, zip_name=zip_name)
        dumper.update({k: v for k, v in thrs.items() if v is not None})
    add_custom_hook(cfg, 'DigitThresholdHook', replace=False)
    cfg.test_evaluator = metrics
    files = [osp.join(out_dir, n) for n in ('pred.json', 'pred.csv', zip_name)]
    return files, out_dir if zip_name == ZIP_NAME else files[-1]


def use_scale_tta(cfg: Config) -> None:
    """Test with ``tta_model`` and ``tta_pipeline``, by default
    :data:`TTA_MODEL` and one ``Resize`` per :data:`TTA_SCALE_RATIOS`."""
    if 'tta_model' not in cfg:
        cfg.tta_model = copy.deepcopy(TTA_MODEL)
    if 'tta_pipeline' not in cfg:
        load, *middle, pack = copy.deepcopy(
            cfg.test_dataloader.dataset.pipeline)
        resize = next(t for t in middle if t['type'] == 'Resize')
        w, h = resize['scale']
        # DetTTAModel merges by flip/flip_direction, which RandomFlip with
        # prob=0 records as "not flipped"
        pack['meta_keys'] = (*pack.get('meta_keys',
                                       ()), 'flip', 'flip_direction')
        cfg.tta_pipeline = [
            load,
            dict(
                type='TestTimeAug',
                transforms=[
                    [
                        dict(resize, scale=(round(w * r), round(h * r)))
                        for r in TTA_SCALE_RATIOS
                    ],
                    [dict(type='RandomFlip', prob=0.)],
                    *[[t] for t in middle if t['type'] != 'Resize'],
                    [pack],
                ])
        ]
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def prepare_cfg(cfg: Config, args) -> Tuple[List[str], str]:
    """Apply the flags; returns :func:`set_outputs`' answer."""
    if args.split == 'valid':
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = evaluator_metrics(cfg.val_evaluator)
    # read once by the runner; its weights must fit the model exactly
    require_checkpoint(args.checkpoint, 'checkpoint')
    cfg.load_from = args.checkpoint
    add_custom_hook(cfg, 'CheckpointFitHook', strict=True)
    outputs = set_outputs(cfg, args)
    if args.tta:
        use_scale_tta(cfg)
    elif cfg.get('read_model'):  # e.g. DigitScaleNormTTAModel
        cfg.model = ConfigDict(**cfg.read_model, module=cfg.model)
    return outputs


def main():
    args = parse_args()
    setup_cache_size_limit_of_dynamo()
    with exit_on_user_error():
        cfg = load_cfg(args.config, args.work_dir, args.cfg_options,
                       args.launcher, args.data_root)
        files, what = prepare_cfg(cfg, args)
        if args.show or args.show_dir:
            cfg = trigger_visualization_hook(cfg, args)
        with exit_on_interrupt(files, what):
            setup_distributed(cfg)
            runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
                Runner.from_cfg(cfg)
            runner.test()


if __name__ == '__main__':
    main()
