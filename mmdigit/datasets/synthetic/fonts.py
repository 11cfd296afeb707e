"""The TrueType fonts digits are rendered in, and their glyph masks."""
import functools
import glob
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# matplotlib fonts whose digits are not ordinary lining figures.
_FONT_BLOCKLIST = ('cmex', 'cmsy', 'cmmi', 'Math', 'Symbol', 'STIXSize',
                   'STIXNonUni', 'Display')


@functools.lru_cache(maxsize=None)
def _find_fonts(system: bool) -> Tuple[str, ...]:
    import matplotlib
    mpl_fonts = osp.join(matplotlib.get_data_path(), 'fonts', 'ttf')
    paths = sorted(glob.glob(osp.join(mpl_fonts, '*.ttf')))
    if system:
        for folder in ('/usr/share/fonts', '/usr/local/share/fonts',
                       osp.expanduser('~/.fonts')):
            pattern = osp.join(folder, '**', '*.[ot]tf')
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
        distinct = len({bytes(m) for m in masks}) == 10
        if distinct and all(m.size[0] * m.size[1] for m in masks):
            usable.append(path)
            seen.add(name)
    if not usable:
        raise RuntimeError('No TrueType font found (install matplotlib).')
    return tuple(usable)


def find_fonts(system: bool = False) -> List[str]:
    """matplotlib's bundled fonts with ordinary digits, then (if ``system``:
    samples then depend on the machine) system ``.ttf`` / ``.otf`` fonts
    with ten distinct digits, de-duplicated by file name."""
    return list(_find_fonts(system))


_font = functools.lru_cache(maxsize=512)(ImageFont.truetype)  # (path, size)


def glyph_masks(text: str, font_path: str, ink_height: float, x_scale: float,
                stroke: int) -> List[Tuple[np.ndarray, float]]:
    """A tight float mask per character of ``text`` (condensed by ``x_scale``,
    '0' ``ink_height`` tall) and its top relative to the text origin."""
    _, top, _, bottom = _font(font_path, 100).getbbox('0')
    size = int(round(ink_height * 100 / max(1, bottom - top)))
    font = _font(font_path, max(4, size))
    out = []
    for ch in text:
        left, top, right, bottom = font.getbbox(ch, stroke_width=stroke)
        img = Image.new('L', (right - left + 2, bottom - top + 2), 0)
        draw = ImageDraw.Draw(img)
        draw.text((1 - left, 1 - top), ch, 255, font, stroke_width=stroke)
        mask = np.asarray(img, np.float32) / 255.
        ys, xs = np.nonzero(mask > 0.05)
        if len(xs) == 0:
            continue
        mask = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        if x_scale != 1.:
            mask = cv2.resize(
                mask, (max(1, round(mask.shape[1] * x_scale)), mask.shape[0]),
                interpolation=cv2.INTER_AREA)
        out.append((mask, float(top - 1 + ys.min())))
    return out
