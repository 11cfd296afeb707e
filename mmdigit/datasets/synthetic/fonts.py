"""The TrueType fonts digits are rendered in: matplotlib's bundled families,
and the system's when asked for."""
import functools
import glob
import os.path as osp
from typing import List, Tuple

from PIL import ImageFont

# matplotlib fonts whose digits are not ordinary lining figures.
_FONT_BLOCKLIST = ('cmex', 'cmsy', 'cmmi', 'Math', 'Symbol', 'STIXSize',
                   'STIXNonUni', 'Display')


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
