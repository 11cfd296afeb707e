from .confusion import digit_confusion_matrix
from .digit_string import (NO_NUMBER, boxes_to_number, edit_distance,
                           gt_to_number, number_metrics)
from .submission import (evaluate_submission, load_gt_numbers,
                         load_submission)

__all__ = [
    'NO_NUMBER', 'boxes_to_number', 'edit_distance', 'gt_to_number',
    'number_metrics', 'evaluate_submission', 'load_gt_numbers',
    'load_submission', 'digit_confusion_matrix'
]
