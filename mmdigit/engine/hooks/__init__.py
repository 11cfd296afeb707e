from .digit_threshold_hook import DigitThresholdHook

__all__ = ['DigitThresholdHook']
