"""Config preparation behind ``tools/train.py`` and ``tools/test.py``.

The tools stay thin argparse wrappers; everything they do to a config lives
here so tests and other tools (demo, ablation) share it.
"""
import copy
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from ..evaluation.metrics.submission_dumper import DEFAULT_CSV_SCORE_THR
from ..utils.config import cfg_set_data_root, read_best_thr
from ..utils.errors import (CheckpointNotFoundError, ConfigError,
                            MMDigitUserError)

SUBMISSION_DUMPER = 'DigitSubmissionDumper'
CHECKPOINT_FIT_HOOK = 'CheckpointFitHook'
#: ``--out`` suffixes that mean "dump raw predictions" (mmdet's behaviour).
PICKLE_SUFFIXES = ('.pkl', '.pickle')


class AmpUnavailableError(MMDigitUserError, RuntimeError):
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

    Raises:
        ConfigError: The config file (or a ``_base_`` of it) is missing or
            not valid Python.
    """
    if not osp.isfile(config):
        raise ConfigError(f'config file not found: {config}')
    try:
        cfg = Config.fromfile(config)
    # a missing _base_ file or a syntax error in the config (mmengine's
    # message names the file); anything else keeps its traceback
    except (FileNotFoundError, SyntaxError) as e:
        raise ConfigError(f'{config}: {e}') from e
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

    A checkpoint to start from (``--resume`` or the config's ``load_from``)
    is checked before anything runs: it must exist, and its weights must
    fit the model (:class:`~mmdigit.engine.CheckpointFitHook`): exactly when
    resuming; when fine-tuning from ``load_from``, what does not load is
    logged and the run stops when less than half of the model would.

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
        ConfigError: ``--auto-scale-lr`` without ``base_batch_size``.
        CheckpointNotFoundError: ``load_from`` / ``--resume`` file missing.
    """
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    check_amp(cfg)
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ConfigError('--auto-scale-lr needs auto_scale_lr = '
                              'dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    load_from, resuming = cfg.get('load_from'), bool(cfg.get('resume'))
    if load_from:
        _require_checkpoint(
            load_from, '--resume checkpoint' if resuming else 'load_from',
            None if resuming else cfg.get('load_from_hint'))
    if load_from or resuming:
        _add_checkpoint_fit_hook(cfg, strict=resuming)
    return cfg


def _is_local(path: str) -> bool:
    return '://' not in path


def _require_checkpoint(path: str,
                        what: str,
                        made_by: Optional[str] = None) -> None:
    """Raise :class:`CheckpointNotFoundError` for a missing local file.

    Args:
        path (str): The checkpoint.
        what (str): What it is, for the message.
        made_by (str, optional): The command that writes it (a config's
            ``load_from_hint``, e.g. its pretraining), for the message.
    """
    if not _is_local(path) or osp.isfile(osp.expanduser(path)):
        return
    hint = ''
    if made_by:
        hint = f'; make it with: {made_by}'
    elif 'work_dirs' in osp.normpath(path).split(osp.sep):
        # e.g. a fine-tuning config's load_from pointing at the output of
        # the pretraining config
        hint = ('; it is a training output (under work_dirs/): train the '
                'config that writes it (e.g. the pretraining config) first')
    raise CheckpointNotFoundError(f'{what} file not found: {path}{hint}')


def _add_checkpoint_fit_hook(cfg: Config, **kwargs) -> None:
    """Add (or replace) :class:`CheckpointFitHook` in ``custom_hooks``."""
    hooks = [
        h for h in cfg.get('custom_hooks', None) or []
        if h.get('type') != CHECKPOINT_FIT_HOOK
    ]
    cfg.custom_hooks = hooks + [dict(type=CHECKPOINT_FIT_HOOK, **kwargs)]


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


@dataclass(frozen=True)
class OutTarget:
    """What ``tools/test.py --out`` writes (see :func:`resolve_test_out`).

    Args:
        pkl (str, optional): Raw-predictions pickle; then nothing else is
            written.
        out_dir (str, optional): Folder of ``pred.json`` and ``pred.csv``
            (and the zip) when writing a submission.
        zip_name (str): File name of the zip in ``out_dir``.
    """

    pkl: Optional[str] = None
    out_dir: Optional[str] = None
    zip_name: str = 'submission.zip'

    @property
    def files(self) -> List[str]:
        """Every file the test writes there."""
        if self.pkl is not None:
            return [self.pkl]
        return [
            osp.join(self.out_dir, name)
            for name in ('pred.json', 'pred.csv', self.zip_name)
        ]

    def __str__(self) -> str:
        if self.pkl is not None:
            return self.pkl
        if self.zip_name != 'submission.zip':
            return osp.join(self.out_dir, self.zip_name)
        return self.out_dir


def resolve_test_out(out: Optional[str], work_dir: str,
                     split: str = 'test') -> OutTarget:
    """Decide what ``tools/test.py --out`` means; the one place that does.

    - ``x.pkl`` / ``x.pickle``: mmdet's raw predictions, and nothing else;
    - ``x.zip``: a submission: ``pred.json``, ``pred.csv`` and the zip
      (named ``x.zip``) in the zip's folder;
    - any other path: a submission folder;
    - none: ``<work_dir>/submission`` (``submission_valid`` for
      ``split='valid'``).

    Args:
        out (str, optional): The ``--out`` value.
        work_dir (str): The run's work dir.
        split (str): ``'test'`` or ``'valid'``. Defaults to ``'test'``.

    Returns:
        OutTarget: Where the results go.
    """
    if out is None:
        name = 'submission' if split == 'test' else 'submission_valid'
        return OutTarget(out_dir=osp.join(work_dir, name))
    if out.endswith(PICKLE_SUFFIXES):
        return OutTarget(pkl=out)
    if out.endswith('.zip'):
        return OutTarget(
            out_dir=osp.dirname(out) or '.', zip_name=osp.basename(out))
    return OutTarget(out_dir=out)


def prepare_test_cfg(cfg: Config,
                     checkpoint: str,
                     out: Optional[str] = None,
                     split: str = 'test',
                     tta: bool = False,
                     json_score_thr: Optional[float] = None,
                     csv_score_thr: Optional[float] = None) -> Config:
    """Apply ``tools/test.py``'s flags and set up what the test writes.

    ``out`` is resolved by :func:`resolve_test_out`: for a ``.pkl`` path
    the test evaluator dumps raw predictions (mmdet's ``DumpDetResults``)
    and any submission dumper of the config is removed; otherwise
    ``DigitSubmissionDumper`` writes ``pred.json``, ``pred.csv`` and
    ``submission.zip``. The checkpoint must exist and its weights must fit
    the config's model exactly (:class:`~mmdigit.engine.CheckpointFitHook`).

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

    Raises:
        CheckpointNotFoundError: No such checkpoint file.
        CheckpointError: The file is not a checkpoint.
    """
    if split not in ('test', 'valid'):
        raise ValueError(f'split must be "test" or "valid", not {split!r}')
    _require_checkpoint(checkpoint, 'checkpoint')
    cfg.load_from = checkpoint
    _add_checkpoint_fit_hook(cfg, strict=True)
    if split == 'valid':
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = _metrics_list(cfg.val_evaluator)
    target = resolve_test_out(out, cfg.work_dir, split)
    metrics = [
        m for m in _metrics_list(cfg.get('test_evaluator'))
        if target.pkl is None or m.get('type') != SUBMISSION_DUMPER
    ]
    if target.pkl is not None:
        metrics.append(
            ConfigDict(type='DumpDetResults', out_file_path=target.pkl))
    else:
        dumpers = [m for m in metrics if m.get('type') == SUBMISSION_DUMPER]
        if not dumpers:
            dumpers = [ConfigDict(type=SUBMISSION_DUMPER)]
            metrics.append(dumpers[0])
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
            dumper.out_dir = target.out_dir
            dumper.zip_name = target.zip_name
            dumper.csv_score_thr = csv_score_thr
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
