"""What ``tools/train.py``'s flags do to a config."""
from typing import Optional

from mmengine.config import Config

from ..utils.errors import ConfigError, MMDigitUserError
from ..utils.pretrained import ensure_pretrained_weights
from .runner_cfg import (CHECKPOINT_FIT_HOOK, require_checkpoint,
                         set_custom_hook)


class AmpUnavailableError(MMDigitUserError, RuntimeError):
    """``--amp`` (``AmpOptimWrapper``) was asked for without a CUDA GPU."""


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

    Downloaded weights (a ``Pretrained`` init_cfg, a URL ``load_from``) are
    fetched into torch.hub's cache, or the run stops with one line
    (:func:`~mmdigit.utils.ensure_pretrained_weights`). A checkpoint to
    start from (``--resume`` or the config's ``load_from``) is checked
    before anything runs: it must exist, and its weights must
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
        PretrainedWeightsError: Downloaded weights neither cached nor
            downloadable.
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
        require_checkpoint(load_from,
                           '--resume checkpoint' if resuming else 'load_from',
                           None if resuming else cfg.get('load_from_hint'))
    if load_from or resuming:
        set_custom_hook(cfg, CHECKPOINT_FIT_HOOK, strict=resuming)
    if not resuming:  # a resumed run reads its weights from the checkpoint
        ensure_pretrained_weights(cfg)
    return cfg
