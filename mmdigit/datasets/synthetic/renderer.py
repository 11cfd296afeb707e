"""SVHN-like house-number crops: the framing of each sample here, the
sample itself in ``scene._Scene``."""
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np

from ..framing import TEST_LENGTH_SHARES, TEST_RATIO_QUANTILES, _interp
from .fonts import find_fonts
from .palette import (BOX_GROWTH, FRAME_ASPECT, NUM_DIGITS_P,
                      TEST_DIGIT_PX_QUANTILES)
from .scene import _Scene

# Standard-normal z of the 10th and 90th percentiles.
_Z90 = 1.2816


def _from_quantiles(z: float, quantiles: Sequence[tuple]) -> float:
    """The value at normal score ``z``, linear through the given 10th, 50th
    and 90th percentiles."""
    (_, lo), (_, mid), (_, hi) = quantiles
    return _interp(z, [(-_Z90, lo), (0., mid), (_Z90, hi)])


class HouseNumberRenderer:
    """Renders SVHN-like house-number crops, sample ``index`` from
    ``(seed, index)`` alone.

    Args:
        seed (int): Non-negative seed.
        fonts (Sequence[str], optional): TrueType font paths; defaults to
            :func:`find_fonts`.
        test_framing (float): Share of samples framed like SVHN's test
            photos (size, digit/image height and length) instead of train.
    """

    def __init__(self,
                 seed: int = 0,
                 fonts: Optional[Sequence[str]] = None,
                 test_framing: float = 0.) -> None:
        if int(seed) < 0:
            raise ValueError(f'seed must be >= 0, got {seed}')
        if not 0 <= test_framing <= 1:
            raise ValueError(
                f'test_framing must be in [0, 1], got {test_framing}')
        self.seed = int(seed)
        self.test_framing = float(test_framing)
        self.fonts = list(fonts) if fonts else find_fonts()
        # Italic and hairline digits are rare on houses.
        rare = ('italic', 'oblique', 'ita.', 'light')
        weights = np.array([
            0.3 if any(k in osp.basename(f).lower() for k in rare) else 1.
            for f in self.fonts
        ])
        self.font_p = weights / weights.sum()

    def test_frame(self, index: int) -> Optional[float]:
        """Digit/image height ratio of a test-framed sample, else None."""
        if self.test_framing == 0:
            return None
        # Its own stream: train-framed samples stay those of test_framing=0.
        rng = np.random.default_rng([self.seed, int(index), 2])
        if rng.random() >= self.test_framing:
            return None
        ratio = _from_quantiles(rng.normal(), TEST_RATIO_QUANTILES)
        return float(np.clip(ratio / BOX_GROWTH, 0.12, 0.92))

    def frame(self, index: int) -> Tuple[int, int, int]:
        """Digit count, width and height of sample ``index`` (not rendered)."""
        rng = np.random.default_rng([self.seed, int(index), 0])
        ratio = self.test_frame(index)
        if ratio is None:
            n = int(
                rng.choice(list(NUM_DIGITS_P), p=list(NUM_DIGITS_P.values())))
            height = np.exp(rng.normal(np.log(47), 0.5))
        else:
            # Test photos: digit pixel height and ratio drawn apart, so large
            # photos hold small digits as in the test split.
            shares = np.array(list(TEST_LENGTH_SHARES.values()))
            n = int(
                rng.choice(list(TEST_LENGTH_SHARES), p=shares / shares.sum()))
            log_px = [(q, np.log(px)) for q, px in TEST_DIGIT_PX_QUANTILES]
            digit_px = np.exp(_from_quantiles(rng.normal(), log_px))
            height = digit_px / BOX_GROWTH / ratio
        height = int(np.clip(round(height), 18, 360))
        aspect = FRAME_ASPECT[n] * np.exp(rng.normal(0, 0.12))
        width = int(np.clip(round(height * aspect), 24, 1200))
        return n, width, height

    def render_array(self, index: int) -> Tuple[np.ndarray, list]:
        """Render sample ``index`` (>= 0): an RGB ``uint8`` array and its
        ``(digit, [x, y, w, h])`` boxes, left to right."""
        index = int(index)
        if index < 0:
            raise ValueError(f'index must be >= 0, got {index}')
        n, width, height = self.frame(index)
        rng = np.random.default_rng([self.seed, index, 1])
        return _Scene(self, rng, n, width, height,
                      self.test_frame(index)).render()
