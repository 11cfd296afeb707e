"""Config preparation behind ``tools/train.py`` and ``tools/test.py``.

The tools stay thin argparse wrappers; everything they do to a config lives
here so tests and other tools (demo, ablation) share it.
"""
import copy
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from ..evaluation.metrics.submission_dumper import DEFAULT_CSV_SCORE_THR
from ..utils.config import cfg_set_data_root, read_best_thr

SUBMISSION_DUMPER = 'DigitSubmissionDumper'


class AmpUnavailableError(RuntimeError):
    """``--amp`` (``AmpOptimWrapper``) was asked for without a CUDA GPU."""


def config_name(config: str) -> str:
    """A config's file name without ``.py`` (its default work-dir name)."""
    return osp.splitext(osp.basename(config))[0]


def load_cfg(config: str,
             work_dir: Optional[str] = None,
             cfg_options: Optional[dict] = None,
             launcher: str = 'none',
             data_root: Optional[str] = None) -> Config:
    """Load a config and apply the options common to training and testing.

    Args:
        config (str): Config file.
        work_dir (str, optional): Overrides ``cfg.work_dir``; by default
            ``work_dirs/<config name>``.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        launcher (str): ``none``, ``pytorch``, ``slurm`` or ``mpi``.
            Defaults to ``'none'``.
        data_root (str, optional): Dataset folder in the course layout;
            rewrites every dataloader and evaluator.

    Returns:
        Config: The loaded config.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root:
        cfg_set_data_root(cfg, data_root)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', config_name(config))
    return cfg


def require_amp_device() -> None:
    """Raise :class:`AmpUnavailableError` unless a CUDA device is present.

    MMEngine's ``AmpOptimWrapper`` otherwise dies deep inside the runner
    with an assertion.
    """
    import torch
    if not torch.cuda.is_available():
        raise AmpUnavailableError(
            'AMP (--amp / AmpOptimWrapper) needs a CUDA device and none is '
            'available; train without --amp on this machine.')


def check_amp(cfg: Config) -> None:
    """Fail early and clearly when a config asks for AMP without CUDA.

    Args:
        cfg (Config): Training config.

    Raises:
        AmpUnavailableError: ``AmpOptimWrapper`` without a CUDA device.
    """
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
        require_amp_device()


def prepare_train_cfg(cfg: Config,
                      amp: bool = False,
                      auto_scale_lr: bool = False,
                      resume: Optional[str] = None) -> Config:
    """Apply ``tools/train.py``'s flags, as mmdet's ``tools/train.py`` does.

    Args:
        cfg (Config): Config from :func:`load_cfg`.
        amp (bool): Mixed precision (``AmpOptimWrapper``, dynamic loss
            scale). Defaults to False.
        auto_scale_lr (bool): Scale the LR by the total batch size.
            Defaults to False.
        resume (str, optional): ``'auto'`` resumes from the work dir's last
            checkpoint, a path from that checkpoint. Defaults to None.

    Returns:
        Config: ``cfg``.

    Raises:
        AmpUnavailableError: AMP without a CUDA device.
    """
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    check_amp(cfg)
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr = '
                               'dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    return cfg


def build_scale_tta_pipeline(test_pipeline: Sequence[dict],
                             ratios: Sequence[float] = (0.875, 1.0, 1.25)
                             ) -> list:
    """Scale-only test-time augmentation built from a test pipeline.

    mmdet's default TTA flips images, which turns digits into other or
    invalid digits; this one only rescales. The loader stays first, every
    ``Resize`` of ``test_pipeline`` becomes one branch per ratio and
    ``PackDetInputs`` closes each branch.

    Args:
        test_pipeline (Sequence[dict]): Test pipeline with one ``Resize``.
        ratios (Sequence[float]): Multipliers of the Resize scale.
            Defaults to (0.875, 1.0, 1.25).

    Returns:
        list[dict]: The TTA pipeline.
    """
    pipeline = [copy.deepcopy(dict(t)) for t in test_pipeline]
    resize = next(t for t in pipeline if t['type'] == 'Resize')
    w, h = resize['scale']
    branches = [
        dict(resize, scale=(int(round(w * r)), int(round(h * r))))
        for r in ratios
    ]
    pack = pipeline[-1]
    # DetTTAModel reads flip/flip_direction when merging; RandomFlip with
    # prob=0 records "not flipped" and never flips.
    pack['meta_keys'] = tuple(pack.get('meta_keys', ())) + ('flip',
                                                           'flip_direction')
    middle = [t for t in pipeline[1:-1] if t['type'] != 'Resize']
    return [
        pipeline[0],
        dict(
            type='TestTimeAug',
            transforms=[branches, [dict(type='RandomFlip', prob=0.)],
                        *[[t] for t in middle], [pack]])
    ]


def _metrics_list(evaluator) -> list:
    if evaluator is None:
        return []
    if isinstance(evaluator, dict):
        return list(evaluator.get('metrics', [evaluator]))
    return list(evaluator)


def prepare_test_cfg(cfg: Config,
                     checkpoint: str,
                     out: Optional[str] = None,
                     split: str = 'test',
                     tta: bool = False,
                     json_score_thr: Optional[float] = None,
                     csv_score_thr: Optional[float] = None) -> Config:
    """Apply ``tools/test.py``'s flags and set up the submission dumper.

    Unless ``out`` is a ``.pkl`` file, the test evaluator writes
    ``pred.json``, ``pred.csv`` and ``submission.zip`` to ``out`` (a folder,
    or the zip's path), by default ``<work_dir>/submission[_valid]``.

    Args:
        cfg (Config): Config from :func:`load_cfg`.
        checkpoint (str): Checkpoint to test.
        out (str, optional): Folder, ``.zip`` or ``.pkl`` path.
        split (str): ``'test'`` (the configured test set, by default the
            unlabelled ``test/`` folder) or ``'valid'`` (the validation set
            with its metrics). Defaults to ``'test'``.
        tta (bool): Scale-only test-time augmentation. Defaults to False.
        json_score_thr (float, optional): Minimum score of a ``pred.json``
            box; the dumper's default (0) when None.
        csv_score_thr (float, optional): Score threshold for ``pred.csv``;
            when None, the checkpoint's recorded validation-best threshold,
            else ``DEFAULT_CSV_SCORE_THR``.

    Returns:
        Config: ``cfg``.
    """
    cfg.load_from = checkpoint
    if split == 'valid':
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = _metrics_list(cfg.val_evaluator)
    elif split != 'test':
        raise ValueError(f'split must be "test" or "valid", not {split!r}')
    metrics = _metrics_list(cfg.get('test_evaluator'))
    if out is None or not out.endswith(('.pkl', '.pickle')):
        dumpers = [m for m in metrics if m.get('type') == SUBMISSION_DUMPER]
        if not dumpers:
            dumpers = [ConfigDict(type=SUBMISSION_DUMPER)]
            metrics.append(dumpers[0])
        if out is None:
            out_dir, zip_name = osp.join(
                cfg.work_dir,
                'submission' if split == 'test' else 'submission_valid'), None
        elif out.endswith('.zip'):
            out_dir, zip_name = osp.dirname(out) or '.', osp.basename(out)
        else:
            out_dir, zip_name = out, None
        if csv_score_thr is None:
            csv_score_thr = read_best_thr(checkpoint)
            source = 'recorded on validation by the checkpoint\'s run'
            if csv_score_thr is None:
                csv_score_thr = DEFAULT_CSV_SCORE_THR
                source = 'default; the checkpoint recorded no digit/best_thr'
        else:
            source = 'given'
        print_log(f'pred.csv score threshold: {csv_score_thr} ({source})',
                  logger='current')
        for dumper in dumpers:
            dumper.out_dir = out_dir
            dumper.csv_score_thr = csv_score_thr
            if zip_name:
                dumper.zip_name = zip_name
            if json_score_thr is not None:
                dumper.json_score_thr = json_score_thr
    cfg.test_evaluator = metrics
    if tta:
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(
                type='DetTTAModel',
                tta_cfg=dict(
                    nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
        if 'tta_pipeline' not in cfg:
            cfg.tta_pipeline = build_scale_tta_pipeline(
                cfg.test_dataloader.dataset.pipeline)
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg
