from .checkpoint import (mmengine_checkpoint_globals,
                         register_checkpoint_safe_globals)
from .config import cfg_set_data_root, cfg_set_img_scale, read_best_thr
from .fileio import ATOMIC_BACKEND, AtomicLocalBackend, atomic_write_bytes

__all__ = [
    'mmengine_checkpoint_globals', 'register_checkpoint_safe_globals',
    'cfg_set_data_root', 'cfg_set_img_scale', 'read_best_thr',
    'ATOMIC_BACKEND',
    'AtomicLocalBackend', 'atomic_write_bytes'
]
