"""The renderer of SVHN-like house-number crops: fonts, glyphs and the
framing of each sample; a sample itself is rendered by ``scene._Scene``."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..framing import TEST_LENGTH_SHARES, TEST_RATIO_QUANTILES, _interp
from .fonts import find_fonts
from .palette import (BOX_GROWTH, FRAME_ASPECT, NUM_DIGITS_P,
                      TEST_DIGIT_PX_QUANTILES)
from .scene import _Scene

# Standard-normal z of the 10th and 90th percentiles.
_Z90 = 1.2816


def _from_quantiles(z: float,
                    quantiles: Sequence[Tuple[float, float]],
                    log: bool = False) -> float:
    """The value at standard-normal score ``z`` of a distribution given by
    its 10th / 50th / 90th percentiles, piecewise linear (in log space if
    ``log``) through them."""
    (_, lo), (_, mid), (_, hi) = quantiles
    knots = [(-_Z90, lo), (0., mid), (_Z90, hi)]
    if log:
        return float(np.exp(_interp(z, [(k, np.log(v)) for k, v in knots])))
    return _interp(z, knots)


class HouseNumberRenderer:
    """Renders SVHN-like house-number crops, sample ``index`` from
    ``(seed, index)`` alone.

    Every call of :meth:`render` with the same ``index`` returns the same
    bytes, whatever was rendered before; :meth:`render` without an index
    renders the next one (0, 1, 2, ...).

    Args:
        seed (int): Non-negative seed. Defaults to 0.
        fonts (Sequence[str], optional): TrueType font paths. Defaults to
            :func:`find_fonts`.
        test_framing (float): Share of samples framed like SVHN's test
            photos (image height, digit/image height ratio and number
            length drawn from the test split's distributions) instead of
            its train photos. Defaults to 0.
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
        weights = np.array([
            0.3 if any(
                k in osp.basename(f).lower()
                for k in ('italic', 'oblique', 'ita.', 'light')) else 1.
            for f in self.fonts
        ])
        self.font_p = weights / weights.sum()
        self.next_index = 0
        self._font_cache: Dict[Tuple[str, int], ImageFont.FreeTypeFont] = {}

    def __getstate__(self) -> dict:
        # FreeType handles do not pickle; workers reload them.
        state = self.__dict__.copy()
        state['_font_cache'] = {}
        return state

    def _font(self, path: str, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        font = self._font_cache.get(key)
        if font is None:
            if len(self._font_cache) > 512:
                self._font_cache.clear()
            font = self._font_cache[key] = ImageFont.truetype(path, size)
        return font

    def _font_for_height(self, path: str,
                         ink_height: float) -> ImageFont.FreeTypeFont:
        """The font at the size whose '0' is ``ink_height`` pixels tall."""
        ref = self._font(path, 100)
        _, top, _, bottom = ref.getbbox('0')
        size = int(round(ink_height * 100 / max(1, bottom - top)))
        return self._font(path, max(4, size))

    def test_frame(self, index: int) -> Optional[float]:
        """The digit/image height ratio of sample ``index`` if it is framed
        like a test photo, else None."""
        if self.test_framing == 0:
            return None
        # Its own stream: train-framed samples stay those of test_framing=0.
        rng = np.random.default_rng([self.seed, int(index), 2])
        if rng.random() >= self.test_framing:
            return None
        ratio = _from_quantiles(rng.normal(), TEST_RATIO_QUANTILES)
        return float(np.clip(ratio / BOX_GROWTH, 0.12, 0.92))

    def frame(self, index: int) -> Tuple[int, int, int]:
        """Digit count and size of sample ``index``, without rendering it.

        Args:
            index (int): Sample index (>= 0).

        Returns:
            tuple[int, int, int]: Number of digits, width and height.
        """
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
            digit_px = _from_quantiles(rng.normal(), TEST_DIGIT_PX_QUANTILES,
                                       True)
            height = digit_px / BOX_GROWTH / ratio
        height = int(np.clip(round(height), 18, 360))
        aspect = FRAME_ASPECT[n] * np.exp(rng.normal(0, 0.12))
        width = int(np.clip(round(height * aspect), 24, 1200))
        return n, width, height

    def _glyphs(self, text: str, font_path: str, ink_height: float,
                x_scale: float,
                stroke: int) -> List[Tuple[np.ndarray, float, float]]:
        """One tight float mask per character with its top-left corner
        relative to the text origin, laid out by advance widths."""
        font = self._font_for_height(font_path, ink_height)
        out = []
        for ch in text:
            left, top, right, bottom = font.getbbox(ch, stroke_width=stroke)
            img = Image.new('L', (right - left + 2, bottom - top + 2), 0)
            ImageDraw.Draw(img).text((1 - left, 1 - top),
                                     ch,
                                     fill=255,
                                     font=font,
                                     stroke_width=stroke,
                                     stroke_fill=255)
            mask = np.asarray(img, np.float32) / 255.
            ys, xs = np.nonzero(mask > 0.05)
            if len(xs) == 0:
                continue
            mask = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            y = top - 1 + ys.min()
            if x_scale != 1.:
                mask = cv2.resize(
                    mask,
                    (max(1, round(mask.shape[1] * x_scale)), mask.shape[0]),
                    interpolation=cv2.INTER_AREA)
            out.append((mask, 0., float(y)))
        return out

    def render(
        self,
        index: Optional[int] = None
    ) -> Tuple[Image.Image, List[Tuple[int, List[float]]]]:
        """Render one sample.

        Args:
            index (int, optional): Sample index. Defaults to the next one.

        Returns:
            tuple: The RGB image and a list of ``(digit, [x, y, w, h])`` in
            absolute pixels, left to right.
        """
        img, anns = self.render_array(index)
        return Image.fromarray(img), anns

    def render_array(
        self,
        index: Optional[int] = None
    ) -> Tuple[np.ndarray, List[Tuple[int, List[float]]]]:
        """Render one sample as an RGB ``uint8`` array.

        Args:
            index (int, optional): Sample index. Defaults to the next one.

        Returns:
            tuple: The ``(height, width, 3)`` RGB array and a list of
            ``(digit, [x, y, w, h])`` in absolute pixels, left to right.
        """
        if index is None:
            index = self.next_index
        index = int(index)
        if index < 0:
            raise ValueError(f'index must be >= 0, got {index}')
        self.next_index = index + 1
        n, width, height = self.frame(index)
        rng = np.random.default_rng([self.seed, index, 1])
        return _Scene(self, rng, n, width, height,
                      self.test_frame(index)).render()
