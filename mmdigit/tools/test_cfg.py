"""What ``tools/test.py``'s flags do to a config: which split is tested,
what ``--out`` writes, and test-time augmentation."""
import copy
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

from mmengine.config import Config, ConfigDict

from ..utils.config import evaluator_metrics
from .runner_cfg import (CHECKPOINT_FIT_HOOK, require_checkpoint,
                         set_custom_hook)

SUBMISSION_DUMPER = 'DigitSubmissionDumper'
THRESHOLD_HOOK = 'DigitThresholdHook'
#: ``--out`` suffixes that mean "dump raw predictions" (mmdet's behaviour).
PICKLE_SUFFIXES = ('.pkl', '.pickle')
#: ``--tta`` scales, as multipliers of the test ``Resize`` scale (no flips:
#: a mirrored digit is another digit or none).
TTA_SCALE_RATIOS = (0.875, 1.0, 1.25)
#: ``--tta``'s model wrapper when the config has no ``tta_model``.
TTA_MODEL = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))


def build_scale_tta_pipeline(
        test_pipeline: Sequence[dict],
        ratios: Sequence[float] = TTA_SCALE_RATIOS) -> list:
    """Scale-only test-time augmentation built from a test pipeline.

    mmdet's default TTA flips images, which turns digits into other or
    invalid digits; this one only rescales. The loader stays first, every
    ``Resize`` of ``test_pipeline`` becomes one branch per ratio and
    ``PackDetInputs`` closes each branch.

    Args:
        test_pipeline (Sequence[dict]): Test pipeline with one ``Resize``.
        ratios (Sequence[float]): Multipliers of the Resize scale.
            Defaults to ``TTA_SCALE_RATIOS`` (0.875, 1.0, 1.25).

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
    meta_keys = tuple(pack.get('meta_keys', ()))
    pack['meta_keys'] = meta_keys + ('flip', 'flip_direction')
    middle = [t for t in pipeline[1:-1] if t['type'] != 'Resize']
    return [
        pipeline[0],
        dict(
            type='TestTimeAug',
            transforms=[
                branches, [dict(type='RandomFlip', prob=0.)],
                *[[t] for t in middle], [pack]
            ])
    ]


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


def resolve_test_out(out: Optional[str],
                     work_dir: str,
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


def use_checkpoint(cfg: Config, checkpoint: str) -> None:
    """Test ``checkpoint``: it must exist, its weights must fit the config's
    model exactly (:class:`~mmdigit.engine.CheckpointFitHook`), and it is
    read once, by the runner.

    Raises:
        CheckpointNotFoundError: No such checkpoint file.
    """
    require_checkpoint(checkpoint, 'checkpoint')
    cfg.load_from = checkpoint
    set_custom_hook(cfg, CHECKPOINT_FIT_HOOK, strict=True)


def select_test_split(cfg: Config, split: str) -> None:
    """``'test'``: the configured test set; ``'valid'``: the validation set
    and its metrics instead."""
    if split not in ('test', 'valid'):
        raise ValueError(f'split must be "test" or "valid", not {split!r}')
    if split == 'valid':
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = evaluator_metrics(cfg.val_evaluator)


def set_test_outputs(cfg: Config,
                     target: OutTarget,
                     json_score_thr: Optional[float] = None,
                     csv_score_thr: Optional[float] = None) -> None:
    """Make the test evaluator write ``target`` and nothing else.

    A pickle target: mmdet's ``DumpDetResults``, and any submission dumper
    of the config is removed. A submission target: the config's
    ``DigitSubmissionDumper`` (one is added when it has none) writes there;
    ``DigitThresholdHook`` (added when missing) gives it the threshold and
    reader options the checkpoint recorded, unless ``csv_score_thr`` is
    given.

    Args:
        cfg (Config): The config.
        target (OutTarget): From :func:`resolve_test_out`.
        json_score_thr (float, optional): Minimum score of a ``pred.json``
            box; the dumper's default (0) when None.
        csv_score_thr (float, optional): Score threshold for ``pred.csv``;
            the recorded one (else ``DEFAULT_CSV_SCORE_THR``) when None.
    """
    metrics = [
        m for m in evaluator_metrics(cfg.get('test_evaluator'))
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
        for dumper in dumpers:
            dumper.out_dir = target.out_dir
            dumper.zip_name = target.zip_name
            if csv_score_thr is not None:
                dumper.csv_score_thr = csv_score_thr
            if json_score_thr is not None:
                dumper.json_score_thr = json_score_thr
        set_custom_hook(cfg, THRESHOLD_HOOK, replace=False)
    cfg.test_evaluator = metrics


def use_scale_tta(cfg: Config) -> None:
    """Wrap the model in the config's ``tta_model`` (else :data:`TTA_MODEL`)
    with the config's ``tta_pipeline`` (else the scale-only one
    :func:`build_scale_tta_pipeline` builds from the test pipeline)."""
    if 'tta_model' not in cfg:
        cfg.tta_model = copy.deepcopy(TTA_MODEL)
    if 'tta_pipeline' not in cfg:
        cfg.tta_pipeline = build_scale_tta_pipeline(
            cfg.test_dataloader.dataset.pipeline)
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def use_read_model(cfg: Config) -> None:
    """Wrap the model in the config's ``read_model`` (a test-time model
    such as :class:`~mmdigit.models.DigitScaleNormTTAModel`), if it has one;
    ``--cfg-options read_model=None`` reads with the bare detector."""
    if cfg.get('read_model'):
        cfg.model = ConfigDict(**cfg.read_model, module=cfg.model)


def prepare_test_cfg(cfg: Config,
                     checkpoint: str,
                     out: Optional[str] = None,
                     split: str = 'test',
                     tta: bool = False,
                     json_score_thr: Optional[float] = None,
                     csv_score_thr: Optional[float] = None) -> Config:
    """Apply ``tools/test.py``'s flags: :func:`use_checkpoint`,
    :func:`select_test_split`, :func:`set_test_outputs` for
    :func:`resolve_test_out`'s target, then :func:`use_scale_tta` or else
    :func:`use_read_model`.

    Args:
        cfg (Config): Config from :func:`load_cfg`.
        checkpoint (str): Checkpoint to test.
        out (str, optional): Folder, ``.zip`` or ``.pkl`` path.
        split (str): ``'test'`` (the configured test set, by default the
            unlabelled ``test/`` folder) or ``'valid'`` (the validation set
            with its metrics). Defaults to ``'test'``.
        tta (bool): Scale-only test-time augmentation (instead of the
            config's ``read_model``). Defaults to False.
        json_score_thr (float, optional): Minimum score of a ``pred.json``
            box; the dumper's default (0) when None.
        csv_score_thr (float, optional): Score threshold for ``pred.csv``;
            when None, the checkpoint's recorded validation-best threshold,
            else ``DEFAULT_CSV_SCORE_THR``.

    Returns:
        Config: ``cfg``.

    Raises:
        CheckpointNotFoundError: No such checkpoint file.
    """
    select_test_split(cfg, split)
    use_checkpoint(cfg, checkpoint)
    set_test_outputs(cfg, resolve_test_out(out, cfg.work_dir, split),
                     json_score_thr, csv_score_thr)
    if tta:
        use_scale_tta(cfg)
    else:
        use_read_model(cfg)
    return cfg
