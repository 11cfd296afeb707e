from .digit_string_metric import DigitStringMetric
from .submission_dumper import DEFAULT_CSV_SCORE_THR, DigitSubmissionDumper

__all__ = [
    'DigitStringMetric', 'DigitSubmissionDumper', 'DEFAULT_CSV_SCORE_THR'
]
