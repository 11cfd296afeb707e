from .digit_string_metric import DigitStringMetric
from .submission_dumper import DigitSubmissionDumper

__all__ = ['DigitStringMetric', 'DigitSubmissionDumper']
