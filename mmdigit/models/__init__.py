from .test_time_augs import DigitScaleNormTTAModel

__all__ = ['DigitScaleNormTTAModel']
