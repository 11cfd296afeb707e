"""torchvision's ``ColorJitter`` and ``GaussianBlur`` (which MMDetection 3.3
lacks; the course reports used them), touching only ``img``."""
from typing import Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.registry import TRANSFORMS
from mmengine.utils import to_2tuple

# brightness, contrast, saturation, hue: mmcv's blends of 0-255 BGR images
_JITTERS = (mmcv.adjust_brightness, mmcv.adjust_contrast, mmcv.adjust_color,
            mmcv.adjust_hue)


def _factor_range(value: float, name: str) -> Optional[Tuple[float, float]]:
    """torchvision's range ``[max(0, 1 - x), 1 + x]`` of a jitter ``x``."""
    if value < 0:
        raise ValueError(f'{name} must be non-negative, got {value}')
    return (max(0.0, 1.0 - value), 1.0 + value) if value else None


def _repr(transform: BaseTransform) -> str:
    """``Name(arg=value, ...)`` of the attributes set in ``__init__``."""
    args = ', '.join(f'{k}={v}' for k, v in vars(transform).items())
    return f'{type(transform).__name__}({args})'


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Randomly change brightness, contrast, saturation and hue of ``img``.

    Each enabled change once, in random order, by mmcv's ``adjust_*``.

    Args:
        brightness, contrast, saturation (float): Jitter ``x`` of each.
            Defaults to 0.
        hue (float): Hue shift bound in turns, in ``[0, 0.5]``. Defaults to 0.
        prob (float): Probability of jittering an image. Defaults to 1.0.
    """

    def __init__(self,
                 brightness: float = 0.,
                 contrast: float = 0.,
                 saturation: float = 0.,
                 hue: float = 0.,
                 prob: float = 1.0) -> None:
        if not 0 <= hue <= 0.5:
            raise ValueError(f'hue must be in [0, 0.5], got {hue}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.brightness = _factor_range(brightness, 'brightness')
        self.contrast = _factor_range(contrast, 'contrast')
        self.saturation = _factor_range(saturation, 'saturation')
        self.hue = (-hue, hue) if hue > 0 else None
        self.prob = prob

    @cache_randomness
    def _sample(self) -> list:
        if np.random.rand() >= self.prob:
            return []
        bounds = (self.brightness, self.contrast, self.saturation, self.hue)
        return [(int(i), float(np.random.uniform(*bounds[i])))
                for i in np.random.permutation(4) if bounds[i] is not None]

    def transform(self, results: dict) -> dict:
        """Jitter ``results['img']``."""
        for idx, factor in self._sample():
            results['img'] = _JITTERS[idx](results['img'], factor)
        return results

    __repr__ = _repr


@TRANSFORMS.register_module()
class GaussianBlur(BaseTransform):
    """Blur ``img`` with a Gaussian kernel of random sigma (reflect padding).

    Args:
        kernel_size (int | Sequence[int]): Odd kernel size, or
            ``(width, height)``. Defaults to 3.
        sigma (float | Sequence[float]): Sigma, or its ``(min, max)`` range.
            Defaults to ``(0.1, 2.0)``.
        prob (float): Probability of blurring an image. Defaults to 1.0.
    """

    def __init__(self,
                 kernel_size: Union[int, Sequence[int]] = 3,
                 sigma: Union[float, Sequence[float]] = (0.1, 2.0),
                 prob: float = 1.0) -> None:
        ksize, sigma = tuple(to_2tuple(kernel_size)), tuple(to_2tuple(sigma))
        if len(ksize) != 2 or any(k <= 0 or k % 2 == 0 for k in ksize):
            raise ValueError(
                f'kernel_size must be positive and odd, got {kernel_size}')
        if len(sigma) != 2 or not 0 < sigma[0] <= sigma[1]:
            raise ValueError(f'sigma must be > 0 and min <= max, got {sigma}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.kernel_size, self.sigma, self.prob = ksize, sigma, prob

    @cache_randomness
    def _sample(self) -> Optional[float]:
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(*self.sigma))

    def transform(self, results: dict) -> dict:
        """Blur ``results['img']``."""
        sigma, img = self._sample(), results['img']
        if sigma is not None:  # cv2 pads by reflection, drops a 1-channel axis
            blurred = cv2.GaussianBlur(img, self.kernel_size, sigma)
            results['img'] = blurred.reshape(img.shape)
        return results

    __repr__ = _repr
