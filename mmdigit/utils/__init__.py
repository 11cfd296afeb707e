from .checkpoint import (MIN_LOADED_FRACTION, check_state_dict_fits,
                         compare_state_dict, register_checkpoint_safe_globals)
from .config import cfg_set_data_root, cfg_set_img_scale, read_recorded_reading
from .digits import (DIGIT_CATEGORIES, DIGIT_CLASSES, category_id_to_label,
                     label_to_category_id, xywh_to_xyxy, xyxy_to_xywh)
from .errors import (DEBUG_ENV, CheckpointError, CheckpointNotFoundError,
                     ConfigError, InputNotFoundError, MMDigitUserError,
                     NonFiniteLossError, OutputExistsError,
                     PretrainedWeightsError, UserInputError, debug_enabled,
                     error_line, is_config_error)
from .fileio import (ATOMIC_BACKEND, AtomicLocalBackend, atomic_write_bytes,
                     atomic_write_files)
from .markdown import markdown_table
from .pretrained import (cache_path, ensure_pretrained_weights,
                         remote_checkpoints, resolve_url)

__all__ = [
    'MIN_LOADED_FRACTION', 'check_state_dict_fits', 'compare_state_dict',
    'register_checkpoint_safe_globals', 'cfg_set_data_root',
    'cfg_set_img_scale', 'read_recorded_reading', 'DIGIT_CATEGORIES',
    'DIGIT_CLASSES', 'category_id_to_label', 'label_to_category_id',
    'xywh_to_xyxy', 'xyxy_to_xywh', 'DEBUG_ENV', 'CheckpointError',
    'CheckpointNotFoundError', 'ConfigError', 'InputNotFoundError',
    'MMDigitUserError', 'NonFiniteLossError', 'OutputExistsError',
    'PretrainedWeightsError', 'UserInputError', 'debug_enabled', 'error_line',
    'is_config_error', 'ATOMIC_BACKEND', 'AtomicLocalBackend',
    'atomic_write_bytes', 'atomic_write_files', 'markdown_table', 'cache_path',
    'ensure_pretrained_weights', 'remote_checkpoints', 'resolve_url'
]
