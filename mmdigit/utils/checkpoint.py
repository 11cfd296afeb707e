"""Reading MMEngine checkpoints safely, and checking that they fit a model.

torch >= 2.6 unpickles with ``weights_only=True`` by default, which refuses
every global not on its allow-list. MMEngine 0.10.7 checkpoints carry a few
such globals in ``message_hub`` (``HistoryBuffer`` holding numpy arrays and
scalars, its statistics methods pickled as ``getattr(HistoryBuffer,
'mean')``, and ``bytes()`` for the raw data of an empty buffer), so
``--resume``, ``load_from`` and ``tools/test.py CKPT`` fail with
``UnpicklingError``. We allow-list exactly those types. ``weights_only``
stays on: a checkpoint downloaded from the internet still cannot run code.

Reading a local checkpoint also goes through :func:`load_from_local_file`
(registered with mmengine's ``CheckpointLoader``), so a missing file or one
that is not a checkpoint is a one-line :class:`CheckpointError`, and
:func:`check_state_dict_fits` tells whether the weights fit a model before
they are loaded into it.
"""
import os.path as osp
import pickle
import re
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from .errors import CheckpointError, CheckpointNotFoundError

#: Statistics methods every ``HistoryBuffer`` carries in its pickled state.
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')

#: Fine-tuning (``load_from`` in training) stops when less than this share
#: of the model's weights (elements of its state dict) finds a same-named,
#: same-shaped tensor in the checkpoint. A head for another number of
#: classes is a small share and loads with a warning; a checkpoint of
#: another backbone or width, or with other key names, falls below it.
MIN_LOADED_FRACTION = 0.5

#: mmengine's ``Runner.load_checkpoint`` default key revision.
_REVISE_KEYS = ((r'^module\.', ''), )


def _history_buffer_getattr(obj: object, name: str) -> object:
    """Stand-in for ``builtins.getattr`` while unpickling checkpoints.

    ``HistoryBuffer.__getstate__`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing the real ``getattr``
    would let a checkpoint reach any attribute (module globals included), so
    this only returns statistics methods of ``HistoryBuffer``.

    Raises:
        pickle.UnpicklingError: For any other object or name.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = set(_DEFAULT_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only '
        'HistoryBuffer statistics methods are allowed')


def _empty_bytes(*args) -> bytes:
    """Stand-in for ``builtins.bytes`` while unpickling checkpoints.

    Pickle protocol 2 (``torch.save``'s) writes an empty ``bytes`` as
    ``bytes()``, e.g. the raw data of the empty numpy arrays in a fresh
    ``HistoryBuffer``; non-empty ones are ``_codecs.encode``, which torch
    allows. Only the no-argument call is accepted: ``bytes(10**12)`` from a
    crafted file would allocate that much memory.

    Raises:
        pickle.UnpicklingError: When called with arguments.
    """
    if args:
        raise pickle.UnpicklingError(
            'checkpoint asks for bytes() with arguments; only the empty '
            'bytes() of pickle protocol 2 is allowed')
    return b''


def mmengine_checkpoint_globals() -> List[object]:
    """The non-tensor types that MMEngine checkpoints pickle.

    Returns:
        list: Classes and functions (or ``(stand-in, pickled name)`` pairs)
        to pass to ``torch.serialization.add_safe_globals``.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    try:  # numpy >= 1.25 exposes per-dtype classes that get pickled too
        from numpy import dtypes as np_dtypes
        dtype_classes = [
            getattr(np_dtypes, name) for name in dir(np_dtypes)
            if name.endswith('DType')
        ]
    except ImportError:  # pragma: no cover - older numpy
        dtype_classes = []
    return [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_empty_bytes, 'builtins.bytes'),
        # numpy arrays and scalars inside HistoryBuffer / runtime_info
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
    ]


def register_checkpoint_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint types for ``weights_only`` loading.

    Also makes mmengine's ``CheckpointLoader`` read local files through
    :func:`load_from_local_file`. Idempotent; the allow-list is a no-op on
    torch versions without ``add_safe_globals`` (< 2.4), which also do not
    default to ``weights_only=True``.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(mmengine_checkpoint_globals())
    from mmengine.runner import CheckpointLoader

    # '' is the scheme of plain local paths (mmengine's load_from_local)
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_file, force=True)


def load_from_local_file(filename: str,
                         map_location=None) -> Mapping[str, object]:
    """Read a local checkpoint, or say in one line why it cannot be read.

    mmengine's ``load_from_local`` with one difference: a missing file, a
    file that is not a checkpoint (``KeyError: 101`` from ``torch.load`` on
    a text file), a truncated one, one holding something other than a dict
    or one with a type outside the allow-list raise :class:`CheckpointError`
    naming the file, instead of the unpickler's own exception.

    Args:
        filename (str): Local checkpoint path.
        map_location (optional): As for ``torch.load``.

    Returns:
        dict: The checkpoint (or a bare state dict).

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
    """How a checkpoint's weights fit a model.

    Args:
        missing (list[str]): Model keys the checkpoint lacks.
        unexpected (list[str]): Checkpoint keys the model lacks.
        mismatched (list[tuple[str, tuple, tuple]]): ``(key, checkpoint
            shape, model shape)`` of keys in both with different shapes.
        loaded (int): Elements of the model's state dict that load.
        total (int): Elements of the model's state dict.
    """

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    loaded: int = 0
    total: int = 0

    @property
    def exact(self) -> bool:
        """Every key present on both sides, with the same shape."""
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def fraction(self) -> float:
        """Share of the model's weights (elements) the checkpoint fills."""
        return self.loaded / self.total if self.total else 1.0

    def describe(self, num_keys: int = 3) -> str:
        """The mismatches on one line, with the first ``num_keys`` of each.

        Args:
            num_keys (int): Keys named per kind. Defaults to 3.

        Returns:
            str: e.g. ``'2 mis-shaped (backbone.conv1.weight: [16, 3, 7, 7]
            in the checkpoint, [8, 3, 7, 7] in the model), 1 missing (...)'``.
        """

        def first(items):
            more = ', ...' if len(items) > num_keys else ''
            return ', '.join(items[:num_keys]) + more

        parts = []
        if self.mismatched:
            shapes = [
                f'{k}: {list(a)} in the checkpoint, {list(b)} in the model'
                for k, a, b in self.mismatched
            ]
            parts.append(f'{len(self.mismatched)} mis-shaped '
                         f'({first(shapes)})')
        if self.missing:
            parts.append(f'{len(self.missing)} missing from the checkpoint '
                         f'({first(self.missing)})')
        if self.unexpected:
            parts.append(f'{len(self.unexpected)} not in the model '
                         f'({first(self.unexpected)})')
        return '; '.join(parts) if parts else 'all keys match'


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module mmengine's ``load_state_dict`` loads into."""
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def compare_state_dict(
        model: torch.nn.Module,
        checkpoint: Mapping[str, object],
        revise_keys: Sequence[Tuple[str, str]] = _REVISE_KEYS) -> StateDictFit:
    """Compare a checkpoint's weights with a model, as mmengine loads them.

    Keys are revised as ``Runner.load_checkpoint`` does (``module.``
    stripped); BN ``num_batches_tracked`` counters are ignored, as mmengine
    ignores them.

    Args:
        model (nn.Module): The model (wrappers and TTA models unwrapped).
        checkpoint (Mapping): The checkpoint, or a bare state dict.
        revise_keys (Sequence[tuple[str, str]]): ``(pattern, replacement)``
            applied to checkpoint keys. Defaults to stripping ``module.``.

    Returns:
        StateDictFit: Missing, unexpected and mis-shaped keys.
    """
    state = checkpoint.get('state_dict', checkpoint)
    ckpt_shapes = {}
    for key, value in state.items():
        for pattern, replacement in revise_keys:
            key = re.sub(pattern, replacement, key)
        if hasattr(value, 'shape'):
            ckpt_shapes[key] = tuple(value.shape)

    def counted(key):
        return 'num_batches_tracked' not in key

    fit = StateDictFit()
    model_state = _unwrap(model).state_dict()
    for key, value in model_state.items():
        if not counted(key):
            continue
        fit.total += value.numel()
        if key not in ckpt_shapes:
            fit.missing.append(key)
        elif ckpt_shapes[key] != tuple(value.shape):
            fit.mismatched.append((key, ckpt_shapes[key], tuple(value.shape)))
        else:
            fit.loaded += value.numel()
    fit.unexpected = [
        k for k in ckpt_shapes if k not in model_state and counted(k)
    ]
    return fit


def _trained_by(checkpoint: Mapping[str, object]) -> str:
    """`` (written by run 'NAME')`` when the checkpoint names its run."""
    meta = checkpoint.get('meta')
    name = meta.get('experiment_name') if isinstance(meta, Mapping) else None
    return f" (written by the run '{name}')" if name else ''


def check_state_dict_fits(model: torch.nn.Module,
                          checkpoint: Mapping[str, object],
                          checkpoint_name: str,
                          config_name: str,
                          strict: bool = True,
                          min_loaded: float = MIN_LOADED_FRACTION,
                          logger: Optional[str] = 'current') -> StateDictFit:
    """Stop before weights that do not fit the config's model are loaded.

    MMEngine loads with ``strict=False``: a checkpoint of another config
    only logs size-mismatch warnings and leaves a mostly random model, which
    then writes a submission that reads nothing, with exit code 0.

    Args:
        model (nn.Module): The config's model.
        checkpoint (Mapping): The loaded checkpoint.
        checkpoint_name (str): Its path, for the message.
        config_name (str): The config's path, for the message.
        strict (bool): Any missing, unexpected or mis-shaped key is an error
            (testing, reading numbers, resuming). Otherwise (fine-tuning
            from ``load_from``) what does not load is logged as a warning,
            and only a fit below ``min_loaded`` is an error.
            Defaults to True.
        min_loaded (float): Smallest share of the model's weights that must
            load when not ``strict``. Defaults to
            :data:`MIN_LOADED_FRACTION`.
        logger (str, optional): mmengine logger for the warning.
            Defaults to ``'current'``.

    Returns:
        StateDictFit: The comparison.

    Raises:
        CheckpointError: The weights do not fit (see ``strict``).
    """
    from mmengine.logging import print_log
    fit = compare_state_dict(model, checkpoint)
    if fit.exact:
        return fit
    if strict:
        raise CheckpointError(
            f'checkpoint {checkpoint_name}{_trained_by(checkpoint)} does not '
            f'fit the model of config {config_name}: {fit.describe()}; use '
            'the config the checkpoint was trained with')
    # one decimal: a new head is well under 1% of a detector
    share = f'{fit.fraction:.1%} of the model\'s weights'
    if fit.fraction < min_loaded:
        raise CheckpointError(
            f'load_from {checkpoint_name}{_trained_by(checkpoint)} fits only '
            f'{share} of config {config_name} (at least {min_loaded:.0%} '
            f'must load to fine-tune): {fit.describe()}')
    import logging
    print_log(
        f'load_from {checkpoint_name}: loaded {share}; not loaded: '
        f'{fit.describe()}',
        logger=logger,
        level=logging.WARNING)
    return fit
