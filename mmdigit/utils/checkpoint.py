"""Let ``torch.load(weights_only=True)`` read MMEngine checkpoints.

torch >= 2.6 unpickles with ``weights_only=True`` by default, which refuses
every global not on its allow-list. MMEngine 0.10.7 checkpoints carry a few
such globals in ``message_hub`` (``HistoryBuffer`` holding numpy arrays and
scalars, and its statistics methods pickled as ``getattr(HistoryBuffer,
'mean')``), so ``--resume``, ``load_from`` and ``tools/test.py CKPT`` fail with
``UnpicklingError``. We allow-list exactly those types. ``weights_only`` stays
on: a checkpoint downloaded from the internet still cannot run code.
"""
import pickle
from typing import List

import numpy as np
import torch

#: Statistics methods every ``HistoryBuffer`` carries in its pickled state.
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


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
        # numpy arrays and scalars inside HistoryBuffer / runtime_info
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
    ]


def register_checkpoint_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint types for ``weights_only`` loading.

    Idempotent; a no-op on torch versions without ``add_safe_globals``
    (< 2.4), which also do not default to ``weights_only=True``.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(mmengine_checkpoint_globals())
