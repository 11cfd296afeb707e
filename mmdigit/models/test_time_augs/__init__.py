from .digit_scale_norm import DigitScaleNormTTAModel

__all__ = ['DigitScaleNormTTAModel']
