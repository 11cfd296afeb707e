from .inferencer import DigitInferencer

__all__ = ['DigitInferencer']
