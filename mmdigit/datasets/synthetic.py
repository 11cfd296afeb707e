"""Synthetic SVHN-like house numbers: the project's pretraining data.

:class:`HouseNumberRenderer` renders street-view-like crops of house numbers
with one box per digit; sample ``i`` of seed ``s`` depends on ``(s, i)``
only, so :class:`~mmdigit.datasets.SyntheticDigitDataset` renders it on the
fly in data-loader workers and :func:`make_synthetic_dataset` writes the
same samples in the course layout (``train/``, ``valid/``, ``test/`` folders
of ``<id>.png`` plus ``train.json`` / ``valid.json``, no json for
``test/``).

What is rendered follows real SVHN format-1 crops (``svhn-mini``): image
sizes and digit counts, the number framed with wide side margins, digit boxes
of one height per image and a little looser than the ink; walls (brick,
stucco, siding, wood, glass, concrete, metal) in muted colours, plates and
tiles with borders or digits painted on the wall, door frames, cables,
letters and cut-off neighbouring digits (not annotated), lighting gradients
and shadows, perspective, low-resolution capture resized up, blur and JPEG.

A share of the samples (``test_framing``) can be framed like SVHN's test
photos instead, whose digits are smaller relative to the frame and whose
numbers are shorter (the published statistics in
:mod:`mmdigit.datasets.framing`).

Only numpy, OpenCV and Pillow are needed; fonts are matplotlib's bundled
families (DejaVu, STIX, Computer Modern), so a sample is the same on every
machine with the pinned matplotlib and Pillow (system fonts only when asked
for), varied further by condensing, emboldening, outlining, embossing,
extruding and stencil cuts.
"""
import functools
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..utils.digits import DIGIT_CATEGORIES, label_to_category_id
from .framing import TEST_LENGTH_SHARES, TEST_RATIO_QUANTILES, _interp

# Digits per image, as in SVHN (mostly 2-3).
NUM_DIGITS_P = {1: 0.14, 2: 0.53, 3: 0.26, 4: 0.06, 5: 0.01}
# SVHN test photos (../shared/data/svhn-framing.md): digit box height in px
# at the 10th / 50th / 90th percentile.
TEST_DIGIT_PX_QUANTILES = ((0.1, 16), (0.5, 24), (0.9, 44))
# Standard-normal z of the 10th and 90th percentiles.
_Z90 = 1.2816
# Median image aspect ratio (width / height) per digit count.
FRAME_ASPECT = {1: 1.96, 2: 2.18, 3: 2.43, 4: 2.88, 5: 3.3}
# First digit of a house number: never 0, small digits more often.
FIRST_DIGIT_P = np.array(
    [0.003, 0.28, 0.19, 0.13, 0.11, 0.09, 0.065, 0.05, 0.042, 0.04])
FIRST_DIGIT_P = FIRST_DIGIT_P / FIRST_DIGIT_P.sum()
# SVHN boxes around the ink, in units of the number's ink height: a little
# wider than the ink each side, looser below than above, and one height for
# every digit of an image.
BOX_PAD_X = 0.06
BOX_PAD_TOP = 0.06
BOX_PAD_BOTTOM = 0.08
# Final digit boxes come out this much taller than the laid-out box height
# (perspective and shear of the camera); test framing aims for the published
# box heights after it.
BOX_GROWTH = 1.07

# Muted real-world colours (RGB).
# yapf: disable
WALL_COLOURS = np.array([
    (232, 228, 218), (215, 205, 185), (222, 206, 160), (196, 176, 140),
    (170, 140, 105), (150, 150, 148), (110, 110, 112), (70, 72, 75),
    (40, 40, 42), (150, 72, 55), (120, 60, 45), (125, 90, 65), (95, 70, 50),
    (135, 145, 120), (70, 90, 70), (60, 70, 95), (160, 180, 190),
    (205, 185, 110), (200, 145, 120), (180, 170, 150)
], np.float32)
PLATE_COLOURS = np.concatenate([
    WALL_COLOURS,
    np.array([(20, 20, 22), (30, 45, 80), (35, 70, 45), (180, 150, 70),
              (200, 200, 205), (240, 240, 235), (245, 245, 240),
              (25, 25, 25)], np.float32)
])
INK_COLOURS = np.array([
    (15, 15, 15), (245, 245, 240), (190, 160, 80), (140, 100, 55),
    (30, 40, 85), (35, 60, 40), (140, 35, 30), (175, 175, 180),
    (60, 45, 35), (90, 90, 95), (230, 225, 200), (25, 25, 30)
], np.float32)
# yapf: enable
# Enamel street-number plates: white and blue.
ENAMEL = np.array([(35, 65, 140), (240, 240, 235)], np.float32)
LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ'
# matplotlib fonts whose digits are not ordinary lining figures.
_FONT_BLOCKLIST = ('cmex', 'cmsy', 'cmmi', 'Math', 'Symbol', 'STIXSize',
                   'STIXNonUni', 'Display')


def _luma(colour: np.ndarray) -> float:
    return float(colour[..., 0] * 0.299 + colour[..., 1] * 0.587 +
                 colour[..., 2] * 0.114)


@functools.lru_cache(maxsize=None)
def _find_fonts(system: bool) -> Tuple[str, ...]:
    paths = []
    try:
        import matplotlib
        mpl_fonts = osp.join(
            osp.dirname(matplotlib.__file__), 'mpl-data', 'fonts', 'ttf')
        paths += sorted(glob.glob(osp.join(mpl_fonts, '*.ttf')))
    except ImportError:  # matplotlib is a dependency; be lenient anyway
        pass
    if system:
        for folder in ('/usr/share/fonts', '/usr/local/share/fonts',
                       osp.expanduser('~/.fonts')):
            for ext in ('ttf', 'otf'):
                pattern = osp.join(folder, '**', f'*.{ext}')
                paths += sorted(glob.glob(pattern, recursive=True))
    usable, seen = [], set()
    for path in paths:
        name = osp.basename(path)
        if name in seen or any(b in name for b in _FONT_BLOCKLIST):
            continue
        try:
            font = ImageFont.truetype(path, 32)
            masks = [font.getmask(str(d)) for d in range(10)]
        except OSError:
            continue
        # Symbol fonts map digits to empty or identical glyphs.
        non_empty = all(m.size[0] * m.size[1] for m in masks)
        distinct = len({bytes(m) for m in masks}) == 10
        if non_empty and distinct:
            usable.append(path)
            seen.add(name)
    return tuple(usable)


def find_fonts(system: bool = False) -> List[str]:
    """List usable TrueType fonts.

    Args:
        system (bool): Add the system's fonts to matplotlib's bundled ones.
            Rendered samples then depend on the machine's fonts. Defaults to
            False.

    Returns:
        list[str]: matplotlib's bundled fonts with ordinary digits followed
        by any system ``.ttf`` / ``.otf`` font that renders ten distinct
        digits, de-duplicated by file name.
    """
    usable = list(_find_fonts(system))
    if not usable:
        raise RuntimeError('No TrueType font found (install matplotlib).')
    return usable


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


def _between(rng: np.random.Generator, a: float, b: float) -> float:
    """Uniform between ``a`` and ``b``, in either order."""
    return a + (b - a) * rng.random()


def _noise(rng: np.random.Generator, h: int, w: int,
           cell: float) -> np.ndarray:
    """Smooth noise in about [-1, 1] with features ``cell`` pixels wide."""
    gh = max(2, int(h / max(cell, 1.)) + 2)
    gw = max(2, int(w / max(cell, 1.)) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC) * 0.7


def _jitter_colour(rng: np.random.Generator,
                   colour: np.ndarray,
                   amount: float = 1.) -> np.ndarray:
    colour = colour * np.exp(rng.normal(0, 0.12 * amount)) + rng.normal(
        0, 7 * amount, 3)
    return np.clip(colour, 0, 255).astype(np.float32)


def _paint(img: np.ndarray, mask: np.ndarray, colour) -> None:
    """Alpha-blend ``colour`` (RGB or an image) into ``img`` in place."""
    m = mask[..., None]
    img *= 1 - m
    img += m * colour


def _shift(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)] = \
        mask[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    return out


def _rect_mask(shape: Tuple[int, int],
               x0: float,
               y0: float,
               x1: float,
               y1: float,
               radius: float = 0.) -> np.ndarray:
    """Anti-aliased filled (rounded) rectangle as a float mask."""
    h, w = shape
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    r = max(0., min(radius, (x1 - x0) / 2, (y1 - y0) / 2))
    # Signed distance to a rounded box (negative inside).
    qx = np.abs(xs - (x0 + x1) / 2) - ((x1 - x0) / 2 - r)
    qy = np.abs(ys - (y0 + y1) / 2) - ((y1 - y0) / 2 - r)
    outside = np.sqrt(np.maximum(qx, 0)**2 + np.maximum(qy, 0)**2)
    dist = outside + np.minimum(np.maximum(qx, qy), 0) - r
    return np.clip(0.5 - dist, 0, 1).astype(np.float32)


def _wall(rng: np.random.Generator, h: int, w: int, unit: float,
          colour: np.ndarray) -> np.ndarray:
    """A textured wall ``h x w`` (float RGB); ``unit`` is the digit height."""
    kinds = [
        'stucco', 'brick', 'siding', 'wood', 'glass', 'concrete', 'flat',
        'metal'
    ]
    kind_p = [0.2, 0.14, 0.15, 0.1, 0.07, 0.1, 0.17, 0.07]
    kind = str(rng.choice(kinds, p=kind_p))
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    base = np.broadcast_to(colour, (h, w, 3)).astype(np.float32)
    shade = np.zeros((h, w), np.float32)
    if kind == 'stucco':
        shade = _noise(rng, h, w, 1.5) * rng.uniform(4, 14) + _noise(
            rng, h, w, unit * rng.uniform(0.3, 1.5)) * rng.uniform(4, 20)
    elif kind == 'brick':
        colour = WALL_COLOURS[rng.choice([9, 10, 11, 12, 5, 3, 0])]
        base = np.broadcast_to(_jitter_colour(rng, colour), (h, w, 3))
        bh = unit * rng.uniform(0.25, 0.7)
        bw = bh * rng.uniform(2., 3.5)
        mortar = max(1., bh * rng.uniform(0.08, 0.2))
        yy = ys + rng.uniform(0, bh)
        row = np.floor(yy / bh)
        xx = xs + (row % 2) * bw * 0.5 + rng.uniform(0, bw)
        col = np.floor(xx / bw)
        # Per-brick tone from a hash of (row, col).
        tone = np.sin(row * 12.9898 + col * 78.233 + rng.uniform(0, 100))
        tone = (tone * 43758.5453) % 1.
        shade = (tone - 0.5) * rng.uniform(15, 50) + _noise(rng, h, w, 1.5) * 8
        joint = ((yy % bh) < mortar) | ((xx % bw) < mortar)
        mortar_colour = _jitter_colour(rng,
                                       WALL_COLOURS[rng.choice([1, 5, 6, 19])])
        base = np.where(joint[..., None], mortar_colour, base)
    elif kind == 'siding':
        period = unit * rng.uniform(0.3, 0.9)
        vertical = rng.random() < 0.2
        coord = (xs if vertical else ys) + rng.uniform(0, period)
        t = (coord % period) / period
        shade = -t * rng.uniform(10, 40) - (t < 0.08) * rng.uniform(15, 50)
        shade = shade + _noise(rng, h, w, 2) * 4
    elif kind == 'wood':
        colour = WALL_COLOURS[rng.choice([4, 11, 12, 3])]
        base = np.broadcast_to(_jitter_colour(rng, colour), (h, w, 3))
        period = unit * rng.uniform(0.4, 1.5)
        vertical = rng.random() < 0.5
        across = (xs if vertical else ys) + rng.uniform(0, period)
        plank = np.floor(across / period)
        warp = _noise(rng, h, w, unit * 0.7) * rng.uniform(1, 4)
        grain = np.sin(across * rng.uniform(0.5, 1.5) + warp + plank * 7.)
        shade = grain * rng.uniform(5, 18) + np.sin(plank * 91.7) * 12
        shade = shade - ((across % period) < 1.) * 35  # gaps
    elif kind == 'glass':
        colour = np.array([rng.uniform(20, 70)] * 3, np.float32) + \
            rng.normal(0, 8, 3).astype(np.float32)
        base = np.broadcast_to(np.clip(colour, 0, 255), (h, w, 3))
        angle = rng.uniform(0.3, 1.2)
        d = xs * np.cos(angle) + ys * np.sin(angle)
        wave = np.sin(d / (unit * rng.uniform(0.5, 2.)) + rng.uniform(0, 6))
        shade = np.clip(wave, 0, 1) * rng.uniform(20, 90)
        shade = shade + _noise(rng, h, w, unit) * 15
    elif kind == 'concrete':
        shade = _noise(rng, h, w, 1.2) * rng.uniform(6, 16) + _noise(
            rng, h, w, unit * 0.8) * rng.uniform(5, 20)
        if rng.random() < 0.5:  # block joints
            bh = unit * rng.uniform(1., 3.)
            bw = bh * rng.uniform(1.5, 2.5)
            row_joint = ((ys + rng.uniform(0, bh)) % bh) < 1.2
            col_joint = ((xs + rng.uniform(0, bw)) % bw) < 1.2
            joint = row_joint | col_joint
            shade = shade - joint * rng.uniform(15, 40)
    elif kind == 'metal':
        stretched = cv2.resize(
            rng.standard_normal((h, max(2, w // 8))).astype(np.float32),
            (w, h),
            interpolation=cv2.INTER_LINEAR)
        shade = stretched * rng.uniform(3, 10) + (ys / max(h, 1)) * \
            rng.uniform(-30, 30)
    else:  # flat paint
        noise = _noise(rng, h, w, 1.5) * rng.uniform(1, 5)
        shade = noise + (ys / max(h, 1) - 0.5) * rng.uniform(-20, 20)
    return base + shade[..., None]


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


class _Scene:
    """State of one sample being rendered (see ``HouseNumberRenderer``)."""

    def __init__(self,
                 renderer: HouseNumberRenderer,
                 rng: np.random.Generator,
                 n: int,
                 width: int,
                 height: int,
                 ratio: Optional[float] = None) -> None:
        self.r, self.rng = renderer, rng
        self.n, self.w, self.h = n, width, height
        # digit box height / image height; None: train framing
        self.ratio = ratio

    def digits(self) -> List[int]:
        rng = self.rng
        first = int(rng.choice(10, p=FIRST_DIGIT_P))
        return [first] + rng.integers(0, 10, self.n - 1).tolist()

    def render(self) -> Tuple[np.ndarray, List[Tuple[int, List[float]]]]:
        rng, w, h = self.rng, self.w, self.h
        digits = self.digits()
        # The camera's true resolution: large crops are blurry upsamplings.
        h_camera = np.exp(rng.normal(np.log(30), 0.35))
        if self.ratio is not None:
            # the same capture resolution per digit as in train framing
            h_camera *= 0.64 / self.ratio
        h_camera = round(h_camera)
        h_lo = int(min(h, max(12, h / 4, h_camera)))
        w_lo = max(8, int(round(w * h_lo / h)))
        # Compose at twice that resolution ("plane" pixels), then warp down.
        k = 2. * h_lo / h
        frame_w, frame_h = w * k, h * k
        border = int(np.ceil(0.35 * frame_h))
        hp = int(np.ceil(frame_h)) + 2 * border
        wp = int(np.ceil(frame_w)) + 2 * border

        # Number layout, in final pixels then in plane pixels.
        ratio = float(np.clip(rng.normal(0.64, 0.12), 0.3, 0.92))
        box_h = h * (ratio if self.ratio is None else self.ratio)
        ink_h = box_h / (1 + BOX_PAD_TOP + BOX_PAD_BOTTOM)
        font = self.r.fonts[rng.choice(len(self.r.fonts), p=self.r.font_p)]
        # House-number digits are narrower than the bundled fonts' (SVHN
        # boxes are about half as wide as tall).
        x_scale = float(
            np.clip(np.exp(rng.normal(np.log(0.66), 0.15)), 0.45, 1.1))
        bold = rng.random() < 0.35
        style = str(
            rng.choice(['painted', 'plate', 'tiles', 'enamel'],
                       p=[0.35, 0.42, 0.11, 0.12]))
        spacing_mode = rng.choice(3, p=[0.7, 0.17, 0.13])
        if style == 'tiles':
            spacing_mode = 2
        spacing = [
            float([
                np.clip(rng.normal(0.12, 0.06), 0.02, 0.4),
                rng.uniform(-0.03, 0.03),
                rng.uniform(0.3, 0.8)
            ][spacing_mode]) for _ in range(self.n - 1)
        ]
        for _ in range(2):  # shrink once if the number does not fit
            gh = ink_h * k
            stroke = max(1, int(round(gh * 0.04))) if bold else 0
            glyphs = self.r._glyphs(''.join(map(str, digits)), font, gh,
                                    x_scale, stroke)
            num_w = sum(g[0].shape[1] for g in glyphs) + gh * sum(spacing)
            need = num_w / k + 2 * BOX_PAD_X * ink_h + 0.5 * box_h
            if need <= 0.95 * w:
                break
            shrink = 0.95 * w / need
            box_h, ink_h = box_h * shrink, ink_h * shrink
        gh = ink_h * k
        box_w = num_w / k + 2 * BOX_PAD_X * ink_h
        box_x = (w - box_w) * rng.beta(5, 5)
        box_y = (h - box_h) * rng.beta(3, 3)
        ox = border + (box_x + BOX_PAD_X * ink_h) * k
        top0 = min(g[2] for g in glyphs)
        oy = border + (box_y + BOX_PAD_TOP * ink_h) * k - top0
        placed, x = [], ox
        for i, (mask, _, y) in enumerate(glyphs):
            jitter = rng.normal(0, 0.015 * gh)
            placed.append((mask, int(round(x)), int(round(oy + y + jitter))))
            x += mask.shape[1] + (gh * spacing[i] if i < len(spacing) else 0)
        num_box = np.array([
            min(p[1] for p in placed),
            min(p[2] for p in placed),
            max(p[1] + p[0].shape[1] for p in placed),
            max(p[2] + p[0].shape[0] for p in placed)
        ], np.float32)

        plane, ink_pts = self.compose(hp, wp, gh, placed, num_box, style, font,
                                      x_scale, stroke, border, frame_w,
                                      frame_h)

        # Camera: rotation, shear, aspect and perspective of the wall.
        cx, cy = (num_box[0] + num_box[2]) / 2, (num_box[1] + num_box[3]) / 2
        src = np.array(
            [[border, border], [border + frame_w, border],
             [border + frame_w, border + frame_h], [border, border + frame_h]],
            np.float32)
        angle = np.deg2rad(np.clip(rng.normal(0, 3), -10, 10))
        shear = np.clip(rng.normal(0, 0.08), -0.25, 0.25)
        aspect = np.exp(rng.normal(0, 0.06))
        lin = np.array([[np.cos(angle), -np.sin(angle)],
                        [np.sin(angle), np.cos(angle)]]) @ np.array(
                            [[aspect, shear], [0, 1]])
        src = (src - [cx, cy]) @ lin.T.astype(np.float32) + [cx, cy]
        src += rng.normal(0, 0.035 * frame_h, src.shape)
        src = src.astype(np.float32)
        dst = np.array([[0, 0], [w_lo, 0], [w_lo, h_lo], [0, h_lo]],
                       np.float32) - 0.5
        mat = cv2.getPerspectiveTransform(src - 0.5, dst)
        lo = cv2.warpPerspective(
            plane,
            mat, (w_lo, h_lo),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT)

        img = self.camera(lo, w_lo, h_lo)
        anns = self.boxes(digits, ink_pts, mat, w_lo, h_lo)
        return img, anns

    def compose(self, hp: int, wp: int, gh: float, placed: list,
                num_box: np.ndarray, style: str, font: str, x_scale: float,
                stroke: int, border: int, frame_w: float,
                frame_h: float) -> Tuple[np.ndarray, List[np.ndarray]]:
        """Paint the wall, context, plate and digits on the plane.

        Returns:
            tuple: The plane image (float32 RGB) and, per digit, the plane
            coordinates of its ink pixels.
        """
        rng = self.rng
        wall_colour = _jitter_colour(
            rng, WALL_COLOURS[rng.integers(len(WALL_COLOURS))])
        img = np.ascontiguousarray(
            _wall(rng, hp, wp, gh, wall_colour), np.float32)
        x0, y0, x1, y1 = num_box
        frame = (border, border, border + frame_w, border + frame_h)

        self.context(img, gh, num_box, frame)

        # Background right under the digits: a plate, tiles or the wall.
        bg_colour = img[int(y0):int(y1) + 1,
                        int(x0):int(x1) + 1].reshape(-1, 3).mean(0)
        if style != 'painted':
            plate_colour = _jitter_colour(
                rng, PLATE_COLOURS[rng.integers(len(PLATE_COLOURS))])
            if style == 'enamel':  # blue and white street-number plates
                plate_colour = _jitter_colour(rng, ENAMEL[rng.integers(2)])
            if style in ('plate', 'enamel'):
                big = rng.random() < 0.15
                px = gh * (
                    rng.uniform(1.5, 4) if big else rng.uniform(0.15, 0.9))
                py = gh * (
                    rng.uniform(1, 3) if big else rng.uniform(0.08, 0.5))
                rects = [(x0 - px, y0 - py, x1 + px, y1 + py)]
            else:
                pad = gh * rng.uniform(0.1, 0.3)
                rects = [(x - pad, y0 - pad, x + m.shape[1] + pad, y1 + pad)
                         for m, x, _ in placed]
            radius = gh * rng.uniform(0.05, 0.4) if rng.random() < 0.3 else 0
            for rx0, ry0, rx1, ry1 in rects:
                self.plate(
                    img, (rx0, ry0, rx1, ry1),
                    radius,
                    plate_colour,
                    gh,
                    enamel=style == 'enamel')
            bg_colour = plate_colour

        alpha = np.zeros((hp, wp), np.float32)
        ink_pts = []
        stencil = rng.random() < 0.05
        for mask, x, y in placed:
            mask = mask.copy()
            if stencil:  # cut a thin gap across the glyph
                cut = int(mask.shape[0] * rng.uniform(0.35, 0.65))
                mask[cut:cut + max(1, int(0.06 * mask.shape[0]))] = 0
            mh, mw = mask.shape
            ys0, xs0 = max(0, y), max(0, x)
            ys1, xs1 = min(hp, y + mh), min(wp, x + mw)
            sub = mask[ys0 - y:ys1 - y, xs0 - x:xs1 - x]
            np.maximum(
                alpha[ys0:ys1, xs0:xs1], sub, out=alpha[ys0:ys1, xs0:xs1])
            peak = float(sub.max()) if sub.size else 0.
            if peak > 0:
                # a faint, thin glyph may have no pixel above 0.5
                ys, xs = np.nonzero(sub > (0.5 if peak > 0.5 else peak / 2))
            else:  # no ink inside the plane: box the glyph's rectangle
                ys = np.array([0, mh - 1]) + y - ys0
                xs = np.array([0, mw - 1]) + x - xs0
            ink_pts.append(
                np.stack([xs + xs0, ys + ys0], 1).astype(np.float32))
        self.draw_ink(
            img, alpha, bg_colour, gh, ink_pts, enamel=style == 'enamel')
        self.neighbours(img, gh, num_box, frame, font, x_scale, stroke)
        self.lighting(img, hp, wp, gh)
        return img, ink_pts

    def ink_colour(self, bg: np.ndarray) -> np.ndarray:
        """An ink colour with a random, often low, contrast against
        ``bg``."""
        rng = self.rng
        bg_l = _luma(bg)
        colour = _jitter_colour(rng,
                                INK_COLOURS[rng.integers(len(INK_COLOURS))])
        contrast = rng.uniform(25, 130)
        lum = _luma(colour)
        dark = lum < bg_l
        if abs(lum - bg_l) < contrast:
            target = bg_l - contrast if dark else bg_l + contrast
            if not 5 <= target <= 250:
                dark = not dark
                target = bg_l - contrast if dark else bg_l + contrast
            target = float(np.clip(target, 5, 250))
            if dark:
                colour = colour * target / max(lum, 1)
            else:  # lighten towards white, keeping the hue
                t = (target - lum) / max(255 - lum, 1)
                colour = colour + (255 - colour) * t
        return np.clip(colour, 0, 255).astype(np.float32)

    def draw_ink(self,
                 img: np.ndarray,
                 alpha: np.ndarray,
                 bg: np.ndarray,
                 gh: float,
                 ink_pts: List[np.ndarray],
                 enamel: bool = False) -> None:
        rng = self.rng
        hp, wp = alpha.shape
        colour = self.ink_colour(bg)
        if enamel:  # white on blue or blue on white
            colour = _jitter_colour(rng, ENAMEL[int(_luma(bg) < 128)], 0.5)
        effect = 'none' if enamel else str(
            rng.choice(['none', 'outline', 'extrude', 'emboss', 'shadow'],
                       p=[0.55, 0.12, 0.1, 0.08, 0.15]))
        if effect == 'shadow':  # soft drop shadow
            d = max(1, int(round(gh * rng.uniform(0.03, 0.1))))
            shadow = _shift(alpha, d * int(rng.choice([-1, 1])), d)
            shadow = cv2.GaussianBlur(shadow, (0, 0), max(0.5, d * 0.6))
            img *= 1 - shadow[..., None] * rng.uniform(0.3, 0.7)
        elif effect == 'extrude':  # 3-D digits: a darker side face
            side = colour * rng.uniform(0.4, 0.7)
            d = max(1, int(round(gh * rng.uniform(0.03, 0.08))))
            dx, dy = int(rng.choice([-1, 1])), int(rng.choice([-1, 0, 1, 1]))
            for t in range(1, d + 1):
                _paint(img, _shift(alpha, dx * t, dy * t), side)
            for i, pts in enumerate(ink_pts):
                ink_pts[i] = np.concatenate([pts, pts + [dx * d, dy * d]])
        elif effect == 'outline':
            r = max(1, int(round(gh * rng.uniform(0.03, 0.08))))
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                               (2 * r + 1, 2 * r + 1))
            outer = cv2.dilate(alpha, kernel)
            if rng.random() < 0.4:  # hollow: only the outline is inked
                _paint(img, outer, colour)
                colour = bg
            else:
                _paint(img, outer, self.ink_colour(colour))
            for i, pts in enumerate(ink_pts):
                ink_pts[i] = np.concatenate(
                    [pts + [dx, dy] for dx in (-r, r)
                     for dy in (-r, r)] + [pts])
        elif effect == 'emboss':
            d = max(1, int(round(gh * 0.04)))
            light = np.minimum(bg * 1.35 + 20, 255)
            _paint(img, _shift(alpha, -d, -d) * 0.8, light)
            _paint(img, _shift(alpha, d, d) * 0.8, bg * 0.45)
            colour = colour * 0.6 + bg * 0.4  # near the plate's material
        texture = 1 + _noise(rng, hp, wp, gh * 0.3)[..., None] * \
            rng.uniform(0, 0.08)
        _paint(img, alpha, colour[None, None] * texture)

    def plate(self,
              img: np.ndarray,
              rect: Tuple[float, ...],
              radius: float,
              colour: np.ndarray,
              gh: float,
              enamel: bool = False) -> None:
        rng = self.rng
        hp, wp = img.shape[:2]
        x0, y0, x1, y1 = rect
        mask = _rect_mask((hp, wp), x0, y0, x1, y1, radius)
        if rng.random() < 0.4:  # the plate's shadow on the wall
            d = max(1, int(round(gh * rng.uniform(0.03, 0.12))))
            shadow = cv2.GaussianBlur(_shift(mask, d, d), (0, 0), d * 0.7)
            img *= 1 - shadow[..., None] * rng.uniform(0.3, 0.6)
        tex = colour[None, None] + _noise(
            rng, hp, wp, gh * 0.5)[..., None] * rng.uniform(2, 12)
        _paint(img, mask, tex)
        t = max(1., gh * rng.uniform(0.04, 0.1))
        edge = rng.choice(['none', 'border', 'bevel', 'frame'],
                          p=[0.35, 0.3, 0.2, 0.15])
        if enamel:
            edge = 'border'
        if edge == 'border':  # an inset line in a contrasting colour
            inset = gh * rng.uniform(0.06, 0.2)
            line = self.ink_colour(colour)
            if enamel:
                line = _jitter_colour(rng, ENAMEL[int(_luma(colour) < 128)],
                                      0.5)
            outer = _rect_mask((hp, wp), x0 + inset, y0 + inset, x1 - inset,
                               y1 - inset, max(0, radius - inset))
            inner = _rect_mask((hp, wp), x0 + inset + t, y0 + inset + t,
                               x1 - inset - t, y1 - inset - t,
                               max(0, radius - inset - t))
            _paint(img, np.clip(outer - inner, 0, 1), line)
        elif edge == 'bevel':
            inner = _rect_mask((hp, wp), x0 + t, y0 + t, x1 - t, y1 - t,
                               max(0, radius - t))
            ring = np.clip(mask - inner, 0, 1)
            ys = np.arange(hp, dtype=np.float32)[:, None]
            lit = (ys < (y0 + y1) / 2).astype(np.float32)
            _paint(img, ring * lit, np.minimum(colour * 1.3 + 25, 255))
            _paint(img, ring * (1 - lit), colour * 0.55)
        elif edge == 'frame':  # a raised frame in another colour
            inner = _rect_mask((hp, wp), x0 + t, y0 + t, x1 - t, y1 - t,
                               max(0, radius - t))
            frame_colour = PLATE_COLOURS[rng.integers(len(PLATE_COLOURS))]
            _paint(img, np.clip(mask - inner, 0, 1),
                   _jitter_colour(rng, frame_colour))
        if rng.random() < 0.15:  # screws
            r = max(1., gh * 0.05)
            for sx in (x0 + 3 * r, x1 - 3 * r):
                cv2.circle(img, (int(sx), int((y0 + y1) / 2)), int(r),
                           tuple(float(c) for c in colour * 0.5), -1,
                           cv2.LINE_AA)

    def context(self, img: np.ndarray, gh: float, num_box: np.ndarray,
                frame: Tuple[float, ...]) -> None:
        """Door frames, ledges, cables and sign letters around (never on)
        the number."""
        rng = self.rng
        hp, wp = img.shape[:2]
        x0, y0, x1, y1 = num_box
        fx0, fy0, fx1, fy1 = frame
        gap = 0.6 * gh
        for _ in range(rng.poisson(1.3)):
            kind = rng.choice(['post', 'ledge', 'cable', 'letters'],
                              p=[0.42, 0.27, 0.06, 0.25])
            colour = _jitter_colour(
                rng, WALL_COLOURS[rng.integers(len(WALL_COLOURS))])
            if kind == 'post':  # door or window frame, pillar, pipe
                width = gh * rng.uniform(0.15, 1.2)
                if rng.random() < 0.5:
                    a = _between(rng, 0, max(1, x0 - gap - width))
                else:
                    a = _between(rng, min(wp - 1, x1 + gap), wp)
                img[:, int(a):int(a + width)] = colour
                edge = max(1, int(gh * 0.05))
                img[:, int(a + width):int(a + width) + edge] *= \
                    rng.uniform(0.4, 0.8)
            elif kind == 'ledge':
                height = gh * rng.uniform(0.1, 0.6)
                if rng.random() < 0.5:
                    a = _between(rng, 0, max(1, y0 - 0.3 * gh - height))
                else:
                    a = _between(rng, min(hp - 1, y1 + 0.3 * gh), hp)
                img[int(a):int(a + height)] = colour
                edge = max(1, int(gh * 0.05))
                img[int(a + height):int(a + height) + edge] *= \
                    rng.uniform(0.4, 0.8)
            elif kind == 'cable':
                pts = np.stack([np.linspace(0, wp, 3),
                                rng.uniform(0, hp, 3)], 1)
                if rng.random() < 0.5:
                    pts = pts[:, ::-1] * [wp / hp, hp / wp]
                cv2.polylines(img, [pts.astype(np.int32)], False,
                              tuple(float(c) for c in colour * 0.3),
                              max(1, int(gh * rng.uniform(0.04, 0.15))),
                              cv2.LINE_AA)
            else:  # letters of a neighbouring sign, cut by the frame
                size = gh * rng.uniform(0.5, 1.4)
                text = ''.join(
                    rng.choice(list(LETTERS), int(rng.integers(1, 4))))
                path = self.r.fonts[int(rng.integers(len(self.r.fonts)))]
                glyphs = self.r._glyphs(text, path, size, 1., 0)
                width = sum(g[0].shape[1] for g in glyphs) + \
                    0.15 * size * (len(glyphs) - 1)
                if rng.random() < 0.6:  # beside the number
                    left = rng.random() < 0.5
                    if left:
                        x = _between(rng, fx0 - width, x0 - gap - width)
                    else:
                        x = _between(rng, x1 + gap, fx1)
                    y = _between(rng, y0 - size, y1)
                else:  # above or below
                    x = _between(rng, fx0 - width, fx1)
                    if rng.random() < 0.5:
                        y = _between(rng, fy0 - size, y0 - gap - size)
                    else:
                        y = _between(rng, y1 + gap,
                                     max(y1 + gap, fy1 - size * 0.5))
                letters = np.zeros((hp, wp), np.float32)
                for mask, _, gy in glyphs:
                    self._stamp(letters, mask, x, y + gy - glyphs[0][2])
                    x += mask.shape[1] + 0.15 * size
                _paint(img, letters, colour * rng.uniform(0.3, 1.4))

    @staticmethod
    def _stamp(alpha: np.ndarray, mask: np.ndarray, x: float,
               y: float) -> None:
        hp, wp = alpha.shape
        x, y = int(round(x)), int(round(y))
        mh, mw = mask.shape
        ys0, xs0 = max(0, y), max(0, x)
        ys1, xs1 = min(hp, y + mh), min(wp, x + mw)
        if ys1 <= ys0 or xs1 <= xs0:
            return
        np.maximum(
            alpha[ys0:ys1, xs0:xs1],
            mask[ys0 - y:ys1 - y, xs0 - x:xs1 - x],
            out=alpha[ys0:ys1, xs0:xs1])

    def neighbours(self, img: np.ndarray, gh: float, num_box: np.ndarray,
                   frame: Tuple[float, ...], font: str, x_scale: float,
                   stroke: int) -> None:
        """Digits of the neighbouring number, mostly cut off by the frame
        (SVHN leaves them unannotated)."""
        rng = self.rng
        x0, y0, x1, y1 = num_box
        fx0, _, fx1, _ = frame
        for side in (-1, 1):
            if rng.random() > 0.2:
                continue
            # Not a '1': a sliver of any digit would look like one.
            glyphs = self.r._glyphs(
                str(int(rng.choice([0] + list(range(2, 10))))), font, gh,
                x_scale, stroke)
            if not glyphs:
                continue
            mask, _, _ = glyphs[0]
            mw = mask.shape[1]
            # At most 35% of it inside the frame, clear of the number.
            inside = mw * rng.uniform(0.1, 0.35)
            x = fx0 + inside - mw if side < 0 else fx1 - inside
            near_left = side < 0 and x + mw > x0 - 0.25 * gh
            near_right = side > 0 and x < x1 + 0.25 * gh
            if near_left or near_right:
                continue
            alpha = np.zeros(img.shape[:2], np.float32)
            self._stamp(alpha, mask, x, y0 + rng.normal(0, 0.05 * gh))
            _paint(img, alpha, self.ink_colour(img[int(y0), int(x0)]))

    def lighting(self, img: np.ndarray, hp: int, wp: int, gh: float) -> None:
        rng = self.rng
        ys = np.arange(hp, dtype=np.float32)[:, None] / hp - 0.5
        xs = np.arange(wp, dtype=np.float32)[None, :] / wp - 0.5
        if rng.random() < 0.7:  # light falling off across the wall
            theta = rng.uniform(0, 2 * np.pi)
            gain = 1 + rng.uniform(0, 0.7) * (
                xs * np.cos(theta) + ys * np.sin(theta))
            img *= gain[..., None]
        if rng.random() < 0.25:  # a cast shadow with a soft edge
            theta = rng.uniform(0, 2 * np.pi)
            d = xs * np.cos(theta) + ys * np.sin(theta) - rng.uniform(
                -0.3, 0.3)
            soft = rng.uniform(0.005, 0.08)
            inside = np.clip(d / soft + 0.5, 0, 1)
            img *= (1 - inside * rng.uniform(0.3, 0.65))[..., None]
        if rng.random() < 0.1:  # glare
            cx, cy = rng.uniform(-0.5, 0.5, 2)
            blob = np.exp(-((xs - cx)**2 + (ys - cy)**2) /
                          (2 * rng.uniform(0.05, 0.3)**2))
            img += (blob * rng.uniform(20, 60))[..., None]

    def camera(self, lo: np.ndarray, w_lo: int, h_lo: int) -> np.ndarray:
        """Exposure, colour, noise and compression at the camera's
        resolution, then resized up to the crop size with blur."""
        rng, w, h = self.rng, self.w, self.h
        img = np.clip(lo, 0, 255) / 255.
        img = img**np.exp(rng.normal(0, 0.2))
        grey = img.mean(2, keepdims=True)
        img = img + (grey - img) * rng.uniform(0.1, 0.8)  # muted colours
        img = img * np.exp(rng.normal(0, 0.06, 3)) * rng.uniform(0.75, 1.15)
        img = img * 255 + rng.normal(0, rng.uniform(0.5, 6), img.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if rng.random() < 0.5:
            img = _jpeg(img, int(rng.integers(25, 90)))
        interp = [cv2.INTER_LINEAR, cv2.INTER_CUBIC,
                  cv2.INTER_NEAREST][rng.choice(3, p=[0.6, 0.3, 0.1])]
        img = cv2.resize(img, (w, h), interpolation=interp)
        up = h / h_lo
        if rng.random() < 0.7:
            sigma = rng.uniform(0.3, 1.2) * np.sqrt(up)
            img = cv2.GaussianBlur(img, (0, 0), sigma)
        if rng.random() < 0.15:  # motion blur
            length = max(2, int(round(h * rng.uniform(0.02, 0.06))))
            kernel = np.zeros((2 * length + 1, 2 * length + 1), np.float32)
            theta = rng.uniform(0, np.pi)
            for t in np.linspace(-length, length, 2 * length + 1):
                kernel[int(round(length + t * np.sin(theta))),
                       int(round(length + t * np.cos(theta)))] = 1
            img = cv2.filter2D(
                img, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)
        if rng.random() < 0.3:
            img = _jpeg(img, int(rng.integers(40, 95)))
        return np.ascontiguousarray(img)

    def boxes(self, digits: List[int], ink_pts: List[np.ndarray],
              mat: np.ndarray, w_lo: int,
              h_lo: int) -> List[Tuple[int, List[float]]]:
        """SVHN-style boxes from each digit's warped ink: one height for the
        image, a little looser than the ink."""
        w, h = self.w, self.h
        sx, sy = w / w_lo, h / h_lo
        corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)
        inks = []
        for pts in ink_pts:
            # Pixel (x, y) covers [x, x+1] x [y, y+1] on the plane.
            quad = (pts[:, None] + corners[None]).reshape(-1, 1, 2)
            lo = cv2.perspectiveTransform(quad - 0.5, mat).reshape(-1, 2)
            lo += 0.5
            inks.append([
                lo[:, 0].min() * sx, lo[:, 1].min() * sy, lo[:, 0].max() * sx,
                lo[:, 1].max() * sy
            ])
        inks = np.asarray(inks, np.float64)
        ink_h = float((inks[:, 3] - inks[:, 1]).max())
        anns = []
        for d, (x0, y0, x1, y1) in zip(digits, inks):
            bx0 = max(0., x0 - BOX_PAD_X * ink_h)
            bx1 = min(float(w), x1 + BOX_PAD_X * ink_h)
            by0 = max(0., y0 - BOX_PAD_TOP * ink_h)
            by1 = min(float(h), y0 + (1 + BOX_PAD_BOTTOM) * ink_h)
            bx0, by0 = round(bx0, 1), round(by0, 1)
            bbox = [bx0, by0, round(bx1 - bx0, 1), round(by1 - by0, 1)]
            anns.append((int(d), bbox))
        return anns


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """JPEG round trip of an RGB array."""
    ok, buf = cv2.imencode('.jpg', img[..., ::-1],
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]


#: Renderer seeds of the on-disk splits start here, above every seed a
#: config or user gives a dataset (``1000 * seed + j`` once made
#: ``SyntheticDigitDataset(seed=1)`` render the ``valid/`` of ``seed=0``).
SPLIT_SEED_BASE = 2**31


def split_seed(seed: int, split_index: int) -> int:
    """Renderer seed of split ``split_index`` (0 train, 1 valid, 2 test) of
    :func:`make_synthetic_dataset` with ``seed``.

    Distinct for every ``(seed, split_index)``, and never a seed below
    ``SPLIT_SEED_BASE``, so no on-the-fly dataset with such a seed renders
    an on-disk split (a pretraining never trains on the images it is
    validated on).
    """
    if not 0 <= split_index < 3:
        raise ValueError(f'split_index must be 0, 1 or 2, not {split_index}')
    return SPLIT_SEED_BASE + 3 * int(seed) + split_index


def make_synthetic_dataset(out_dir: str,
                           num_train: int = 3000,
                           num_valid: int = 300,
                           num_test: int = 300,
                           seed: int = 0,
                           progress: bool = True) -> Dict[str, int]:
    """Write a synthetic dataset in the course layout.

    Image ``k`` (from 1) of split ``j`` (0 train, 1 valid, 2 test) is
    sample ``k - 1`` of ``SyntheticDigitDataset(seed=split_seed(seed, j))``,
    so a split does not depend on the size of the others and the on-disk
    data are the samples rendered on the fly.

    Args:
        out_dir (str): Destination ``data_root``.
        num_train (int): Images in ``train/``. Defaults to 3000.
        num_valid (int): Images in ``valid/``. Defaults to 300.
        num_test (int): Unlabelled images in ``test/``. Defaults to 300.
        seed (int): Seed; the same seed gives byte-identical output.
            Defaults to 0.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict[str, int]: Number of images written per split.
    """
    from mmengine.utils import ProgressBar
    splits = [('train', num_train), ('valid', num_valid), ('test', num_test)]
    fonts = find_fonts()
    for i, (split, num) in enumerate(splits):
        renderer = HouseNumberRenderer(seed=split_seed(seed, i), fonts=fonts)
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        images, annotations = [], []
        bar = ProgressBar(num) if progress and num else None
        for img_id in range(1, num + 1):
            img, anns = renderer.render(img_id - 1)
            file_name = f'{img_id}.png'
            img.save(osp.join(out_dir, split, file_name))
            images.append(
                dict(
                    id=img_id,
                    file_name=file_name,
                    height=img.height,
                    width=img.width))
            for digit, bbox in anns:
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=img_id,
                        bbox=bbox,
                        category_id=label_to_category_id(digit),
                        area=round(bbox[2] * bbox[3], 2),
                        iscrowd=0))
            if bar is not None:
                bar.update()
        if bar is not None:
            print()
        if split != 'test':
            with open(osp.join(out_dir, f'{split}.json'), 'w') as f:
                json.dump(
                    dict(
                        images=images,
                        annotations=annotations,
                        categories=DIGIT_CATEGORIES), f)
    return dict(splits)
