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
import copy
import os
import os.path as osp
from typing import List, Optional, Tuple

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
#: --tta scales, as multipliers of the test Resize scale (no flips: a
#: mirrored digit is another digit or none).
TTA_SCALE_RATIOS = (0.875, 1.0, 1.25)
#: --tta's model wrapper when the config has no tta_model.
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
        '--data-root',
        help='dataset folder in the course layout (train/, valid/, test/, '
        'train.json, valid.json); overrides the config')
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
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b')
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


def resolve_out(out: Optional[str], work_dir: str,
                split: str) -> Tuple[Optional[str], str, str]:
    """What ``--out`` means: ``(pickle, submission folder, zip name)``.

    ``x.pkl`` / ``x.pickle``: mmdet's raw predictions and nothing else;
    ``x.zip``: ``pred.json``, ``pred.csv`` and the zip in the zip's folder;
    another path: a submission folder; none: ``<work_dir>/submission``
    (``submission_valid`` for ``--split valid``).
    """
    if out is None:
        name = 'submission' if split == 'test' else 'submission_valid'
        return None, osp.join(work_dir, name), ZIP_NAME
    if out.endswith(('.pkl', '.pickle')):
        return out, None, None
    if out.endswith('.zip'):
        return None, osp.dirname(out) or '.', osp.basename(out)
    return None, out, ZIP_NAME


def set_outputs(cfg: Config, args) -> Tuple[List[str], str]:
    """Make the test evaluator write what ``--out`` asks for, nothing else.

    A pickle: mmdet's ``DumpDetResults`` instead of the config's submission
    dumper. A submission: the config's ``DigitSubmissionDumper`` (added if
    missing) writes it; ``DigitThresholdHook`` (added if missing) gives it
    the threshold and reader options the checkpoint recorded, unless
    ``--csv-thr``.

    Returns:
        tuple[list[str], str]: The files written and what to call them.
    """
    pkl, out_dir, zip_name = resolve_out(args.out, cfg.work_dir, args.split)
    metrics = [
        m for m in evaluator_metrics(cfg.get('test_evaluator'))
        if pkl is None or m.get('type') != DUMPER
    ]
    if pkl is not None:
        cfg.test_evaluator = metrics + [
            ConfigDict(type='DumpDetResults', out_file_path=pkl)
        ]
        return [pkl], pkl
    dumpers = [m for m in metrics if m.get('type') == DUMPER]
    if not dumpers:
        dumpers = [ConfigDict(type=DUMPER)]
        metrics += dumpers
    for dumper in dumpers:
        dumper.update(out_dir=out_dir, zip_name=zip_name)
        if args.csv_thr is not None:
            dumper.csv_score_thr = args.csv_thr
        if args.json_thr is not None:
            dumper.json_score_thr = args.json_thr
    add_custom_hook(cfg, 'DigitThresholdHook', replace=False)
    cfg.test_evaluator = metrics
    files = [osp.join(out_dir, n) for n in ('pred.json', 'pred.csv', zip_name)]
    return files, out_dir if zip_name == ZIP_NAME else files[-1]


def use_scale_tta(cfg: Config) -> None:
    """Wrap the model in the config's ``tta_model`` (else :data:`TTA_MODEL`)
    and test with its ``tta_pipeline``, else a scale-only one: the test
    pipeline with its ``Resize`` as one branch per :data:`TTA_SCALE_RATIOS`
    (mmdet's default flips, which mirrors digits)."""
    if 'tta_model' not in cfg:
        cfg.tta_model = copy.deepcopy(TTA_MODEL)
    if 'tta_pipeline' not in cfg:
        pipeline = [
            copy.deepcopy(dict(t))
            for t in cfg.test_dataloader.dataset.pipeline
        ]
        resize = next(t for t in pipeline if t['type'] == 'Resize')
        w, h = resize['scale']
        # DetTTAModel merges by flip/flip_direction, which RandomFlip with
        # prob=0 records as "not flipped"
        pack = pipeline[-1]
        pack['meta_keys'] = (*pack.get('meta_keys',
                                       ()), 'flip', 'flip_direction')
        cfg.tta_pipeline = [
            pipeline[0],
            dict(
                type='TestTimeAug',
                transforms=[
                    [
                        dict(resize, scale=(round(w * r), round(h * r)))
                        for r in TTA_SCALE_RATIOS
                    ],
                    [dict(type='RandomFlip', prob=0.)],
                    *[[t] for t in pipeline[1:-1] if t['type'] != 'Resize'],
                    [pack],
                ])
        ]
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def prepare_cfg(cfg: Config, args) -> Tuple[List[str], str]:
    """Apply the flags to a config from :func:`load_cfg`.

    Returns:
        tuple[list[str], str]: What :func:`set_outputs` writes.
    """
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
            if 'runner_type' not in cfg:
                runner = Runner.from_cfg(cfg)
            else:
                runner = RUNNERS.build(cfg)
            runner.test()


if __name__ == '__main__':
    main()
