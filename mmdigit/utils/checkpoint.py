"""Reading MMEngine checkpoints safely, and checking that they fit a model.

torch >= 2.6 unpickles with ``weights_only=True``, which refuses the few
non-tensor globals MMEngine 0.10.7 pickles in ``message_hub``
(``HistoryBuffer`` with numpy arrays and scalars, its statistics methods as
``getattr(HistoryBuffer, 'mean')``, ``bytes()`` for an empty buffer). We
allow-list exactly those: a downloaded checkpoint still cannot run code.
"""
import logging
import os.path as osp
import pickle
import re
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Tuple

import numpy as np
import torch

from .errors import CheckpointError, CheckpointNotFoundError

#: Fine-tuning (``load_from``) stops when less than this share of the
#: model's weights (elements) finds a same-named, same-shaped tensor: a new
#: head loads with a warning, another backbone or key naming does not.
MIN_LOADED_FRACTION = 0.5


def _history_buffer_getattr(obj: object, name: str) -> object:
    """``builtins.getattr`` while unpickling: only ``HistoryBuffer``'s
    statistics methods (the real one would reach any module global)."""
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = {'min', 'max', 'current', 'mean'}
    if obj is HistoryBuffer and name in allowed.union(
            HistoryBuffer._statistics_methods):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only '
        'HistoryBuffer statistics methods are allowed')


def _empty_bytes(*args) -> bytes:
    """``builtins.bytes`` while unpickling: only the empty ``bytes()`` of
    pickle protocol 2 (``bytes(10**12)`` would allocate that much)."""
    if args:
        raise pickle.UnpicklingError(
            'checkpoint asks for bytes() with arguments; only the empty '
            'bytes() of pickle protocol 2 is allowed')
    return b''


def register_checkpoint_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint types for ``weights_only`` loading.

    Also makes mmengine's ``CheckpointLoader`` read local files through
    :func:`load_from_local_file`. Idempotent; torch < 2.4 has no
    ``add_safe_globals`` and no ``weights_only`` default, and needs none.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner import CheckpointLoader
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        dtypes = [
            getattr(np.dtypes, name) for name in dir(np.dtypes)
            if name.endswith('DType')
        ]
        add_safe_globals([
            HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'),
            (_empty_bytes, 'builtins.bytes'), np.core.multiarray._reconstruct,
            np.core.multiarray.scalar, np.ndarray, np.dtype, *dtypes
        ])
    # '' is the scheme of plain local paths
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_file, force=True)


def load_from_local_file(filename: str,
                         map_location=None) -> Mapping[str, object]:
    """mmengine's ``load_from_local``, but a missing, unreadable or non-dict
    file is a one-line :class:`CheckpointError` naming it.

    Raises:
        CheckpointNotFoundError: No such file.
        CheckpointError: Not a readable checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointNotFoundError(f'checkpoint not found: {filename}')
    try:
        checkpoint = torch.load(filename, map_location=map_location)
    except MemoryError:
        raise
    except Exception as e:  # the unpickler raises many types for bad input
        reason = (str(e).strip().splitlines() or [''])[0]
        raise CheckpointError(f'{filename} is not a readable checkpoint '
                              f'({type(e).__name__}: {reason})') from e
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(
            f'{filename} holds a {type(checkpoint).__name__}, not a '
            'checkpoint (a dict of weights)')
    return checkpoint


@dataclass
class StateDictFit:
    """How a checkpoint's weights fit a model: its missing and unexpected
    keys, ``(key, checkpoint shape, model shape)`` of mis-shaped ones, and
    how many elements of the model's state dict load, of ``total``."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    loaded: int = 0
    total: int = 0

    @property
    def exact(self) -> bool:
        """Every key on both sides, with the same shape."""
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def fraction(self) -> float:
        """Share of the model's weights (elements) the checkpoint fills."""
        return self.loaded / self.total if self.total else 1.0

    def describe(self, num_keys: int = 3) -> str:
        """The mismatches on one line, the first ``num_keys`` of each kind
        named."""
        shapes = [
            f'{k}: {list(a)} in the checkpoint, {list(b)} in the model'
            for k, a, b in self.mismatched
        ]
        parts = [
            f'{len(keys)} {kind} ({", ".join(keys[:num_keys])}'
            f'{", ..." if len(keys) > num_keys else ""})'
            for kind, keys in (('mis-shaped', shapes),
                               ('missing from the checkpoint', self.missing),
                               ('not in the model', self.unexpected)) if keys
        ]
        return '; '.join(parts) or 'all keys match'


def compare_state_dict(model: torch.nn.Module,
                       checkpoint: Mapping[str, object]) -> StateDictFit:
    """Compare a checkpoint's weights with a model as
    ``Runner.load_checkpoint`` loads them: wrappers and TTA models
    unwrapped, ``module.`` stripped, BN ``num_batches_tracked`` ignored.

    Args:
        model (nn.Module): The model.
        checkpoint (Mapping): The checkpoint, or a bare state dict.

    Returns:
        StateDictFit: Missing, unexpected and mis-shaped keys.
    """
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    ckpt = {
        re.sub(r'^module\.', '', k): tuple(v.shape)
        for k, v in checkpoint.get('state_dict', checkpoint).items()
        if hasattr(v, 'shape') and 'num_batches_tracked' not in k
    }
    state = {
        k: v
        for k, v in model.state_dict().items()
        if 'num_batches_tracked' not in k
    }
    fit = StateDictFit(unexpected=[k for k in ckpt if k not in state])
    for key, value in state.items():
        fit.total += value.numel()
        if key not in ckpt:
            fit.missing.append(key)
        elif ckpt[key] != tuple(value.shape):
            fit.mismatched.append((key, ckpt[key], tuple(value.shape)))
        else:
            fit.loaded += value.numel()
    return fit


def check_state_dict_fits(model: torch.nn.Module,
                          checkpoint: Mapping[str, object],
                          checkpoint_name: str,
                          config_name: str,
                          strict: bool = True,
                          min_loaded: float = MIN_LOADED_FRACTION,
                          logger: Optional[str] = 'current') -> StateDictFit:
    """Stop before weights that do not fit the config's model are loaded
    (MMEngine loads with ``strict=False`` and would go on with a mostly
    random model).

    Args:
        model (nn.Module): The config's model.
        checkpoint (Mapping): The loaded checkpoint.
        checkpoint_name (str): Its path, for the message.
        config_name (str): The config's path, for the message.
        strict (bool): Any mismatch is an error (testing, resuming).
            Otherwise (fine-tuning) it is a warning, and a fit below
            ``min_loaded`` an error. Defaults to True.
        min_loaded (float): Smallest loaded share when not ``strict``.
        logger (str, optional): mmengine logger for the warning.

    Returns:
        StateDictFit: The comparison.

    Raises:
        CheckpointError: The weights do not fit.
    """
    from mmengine.logging import print_log
    fit = compare_state_dict(model, checkpoint)
    if fit.exact:
        return fit
    meta = checkpoint.get('meta')
    run = meta.get('experiment_name') if isinstance(meta, Mapping) else None
    by = f" (written by the run '{run}')" if run else ''
    if strict:
        raise CheckpointError(
            f'checkpoint {checkpoint_name}{by} does not fit the model of '
            f'config {config_name}: {fit.describe()}; use the config the '
            'checkpoint was trained with')
    # one decimal: a new head is well under 1% of a detector
    share = f'{fit.fraction:.1%} of the model\'s weights'
    if fit.fraction < min_loaded:
        raise CheckpointError(
            f'load_from {checkpoint_name}{by} fits only {share} of config '
            f'{config_name} (at least {min_loaded:.0%} must load to '
            f'fine-tune): {fit.describe()}')
    print_log(
        f'load_from {checkpoint_name}: loaded {share}; not loaded: '
        f'{fit.describe()}',
        logger=logger,
        level=logging.WARNING)
    return fit
