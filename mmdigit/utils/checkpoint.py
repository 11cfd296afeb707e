"""Reading MMEngine checkpoints safely, and checking that they fit a model.

torch >= 2.6 loads ``weights_only``, refusing the globals MMEngine pickles in
``message_hub`` (``HistoryBuffer``, numpy, ``getattr``, ``bytes``); we
allow-list exactly those, so a downloaded checkpoint still cannot run code.
"""
import logging
import os.path as osp
import pickle
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log

from .errors import CheckpointError, CheckpointNotFoundError

#: Least share of the model's weights (elements) ``load_from`` must fill.
MIN_LOADED_FRACTION = 0.5


def _history_buffer_getattr(obj: object, name: str) -> object:
    """``builtins.getattr`` limited to ``HistoryBuffer``'s statistics."""
    stats = {'min', 'max', 'current', 'mean'}
    if obj is HistoryBuffer and name in {*stats, *obj._statistics_methods}:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only '
        'HistoryBuffer statistics methods are allowed')


def _empty_bytes(*args) -> bytes:
    """``builtins.bytes`` limited to the empty ``bytes()`` (no allocation)."""
    if args:
        raise pickle.UnpicklingError(
            'checkpoint asks for bytes() with arguments; only the empty '
            'bytes() of pickle protocol 2 is allowed')
    return b''


def register_checkpoint_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint types for ``weights_only`` loading
    (idempotent; torch < 2.4 has no ``add_safe_globals`` and needs none) and
    read local checkpoints through :func:`load_from_local_file`."""
    from mmengine.runner import CheckpointLoader
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals([
            HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'),
            (_empty_bytes, 'builtins.bytes'), np.core.multiarray._reconstruct,
            np.core.multiarray.scalar, np.ndarray, np.dtype,
            *(getattr(np.dtypes, n)
              for n in dir(np.dtypes) if n.endswith('DType'))
        ])
    # '' is the scheme of plain local paths
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_file, force=True)


def load_from_local_file(filename: str, map_location=None) -> dict:
    """mmengine's ``load_from_local`` with one-line errors
    (:class:`CheckpointNotFoundError`, :class:`CheckpointError`)."""
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
    """How a checkpoint fits a model: missing and unexpected keys,
    ``(key, checkpoint shape, model shape)`` of mis-shaped ones, and the
    elements of the model's state dict that load, of ``total`` (``exact``:
    no mismatch; ``fraction``: the share loaded)."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    loaded: int = 0
    total: int = 0

    @property
    def exact(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def fraction(self) -> float:
        return self.loaded / self.total if self.total else 1.0

    def describe(self, num_keys: int = 3) -> str:
        """The mismatches on one line, naming ``num_keys`` of each kind."""
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
    """Compare a checkpoint (or bare state dict) with a model as
    ``Runner.load_checkpoint`` loads it: wrappers and TTA models unwrapped,
    ``module.`` stripped, BN ``num_batches_tracked`` ignored."""
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    ckpt = {
        k.removeprefix('module.'): tuple(v.shape)
        for k, v in checkpoint.get('state_dict', checkpoint).items()
        if hasattr(v, 'shape') and 'num_batches_tracked' not in k
    }
    state = model.state_dict()
    fit = StateDictFit(unexpected=[k for k in ckpt if k not in state])
    for key, value in state.items():
        if 'num_batches_tracked' in key:
            continue
        fit.total += value.numel()
        if key not in ckpt:
            fit.missing.append(key)
        elif ckpt[key] != value.shape:
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
    """Raise :class:`CheckpointError` before weights that do not fit the
    config's model load (MMEngine's ``strict=False`` would go on with a
    mostly random model).

    Args:
        strict (bool): Any mismatch is an error (testing, resuming);
            otherwise (fine-tuning) a warning, unless less than
            ``min_loaded`` of the weights load.
    """
    fit = compare_state_dict(model, checkpoint)
    if fit.exact:
        return fit
    run = (checkpoint.get('meta') or {}).get('experiment_name')
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
        f'{fit.describe()}', logger, logging.WARNING)
    return fit
