from .confusion import digit_confusion_matrix
from .digit_string import (DEFAULT_CSV_SCORE_THR, NO_NUMBER, READER_OPTIONS,
                           SWEEP_THRS, check_reader_cfg, edit_distance,
                           gt_to_number, instances_to_numpy, number_instances,
                           number_metrics, read_number, resolve_reader_cfg,
                           select_digits, sweep_score_thr)
from .ensemble import CONF_TYPES, fuse_detections
from .submission import (evaluate_submission, load_gt_numbers, load_submission,
                         read_numbers, resolve_reading, write_submission)

__all__ = [
    'NO_NUMBER', 'READER_OPTIONS', 'SWEEP_THRS', 'check_reader_cfg',
    'edit_distance', 'select_digits', 'gt_to_number', 'number_metrics',
    'resolve_reader_cfg', 'sweep_score_thr', 'evaluate_submission',
    'load_gt_numbers', 'load_submission', 'read_numbers', 'write_submission',
    'digit_confusion_matrix', 'CONF_TYPES', 'fuse_detections',
    'DEFAULT_CSV_SCORE_THR', 'resolve_reading', 'read_number',
    'number_instances', 'instances_to_numpy'
]
