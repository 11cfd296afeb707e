"""What a scene paints on the wall's plane besides the wall: ink, plates,
context (frames, ledges, cables, letters), neighbouring digits and
lighting."""
from typing import List, Tuple

import cv2
import numpy as np

from .fonts import glyph_masks
from .palette import (INK_COLOURS, LETTERS, PLATE_COLOURS, WALL_COLOURS,
                      _enamel_ink, _luma, _pick_colour)
from .textures import _inset, _noise, _paint, _rect_mask, _shift, _stamp


def _between(rng: np.random.Generator, *ranges: Tuple[float, float]) -> float:
    """Uniform in the range ``(a, b)`` (either order), or in one of two, each
    half the time."""
    a, b = ranges[0] if len(ranges) < 2 or rng.random() < 0.5 else ranges[1]
    return a + (b - a) * rng.random()


class _ScenePainting:
    """Painting steps of :class:`_Scene` on its plane ``img`` (float RGB):
    they draw from its ``rng`` and read its layout (``gh``, ``num_box``,
    ``frame``, ``font``, ``x_scale``, ``stroke``)."""

    def ink_colour(self, bg: np.ndarray) -> np.ndarray:
        """An ink colour with a random, often low, contrast to ``bg``."""
        colour = _pick_colour(self.rng, INK_COLOURS)
        contrast = self.rng.uniform(25, 130)
        lum, bg_l = _luma(colour), _luma(bg)
        dark = lum < bg_l
        if abs(lum - bg_l) < contrast:
            if not 5 <= bg_l + (-contrast if dark else contrast) <= 250:
                dark = not dark
            target = np.clip(bg_l + (-contrast if dark else contrast), 5, 250)
            if dark:
                colour = colour * target / max(lum, 1)
            else:  # lighten towards white, keeping the hue
                t = (target - lum) / max(255 - lum, 1)
                colour = colour + (255 - colour) * t
        return np.clip(colour, 0, 255).astype(np.float32)

    def draw_ink(self, img: np.ndarray, alpha: np.ndarray, bg: np.ndarray,
                 ink_pts: List[np.ndarray], enamel: bool) -> None:
        """Ink the digits' ``alpha`` on ``bg`` with an effect (outline,
        extrusion, emboss or shadow) and grow ``ink_pts`` by its ink."""
        rng, gh, offsets = self.rng, self.gh, []
        colour = self.ink_colour(bg)
        colour = _enamel_ink(rng, bg) if enamel else colour
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
            offsets = [[dx * d, dy * d]]
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
            offsets = [[dx, dy] for dx in (-r, r) for dy in (-r, r)]
        elif effect == 'emboss':
            d = max(1, int(round(gh * 0.04)))
            light = np.minimum(bg * 1.35 + 20, 255)
            _paint(img, _shift(alpha, -d, -d) * 0.8, light)
            _paint(img, _shift(alpha, d, d) * 0.8, bg * 0.45)
            colour = colour * 0.6 + bg * 0.4  # near the plate's material
        texture = 1 + _noise(rng, *alpha.shape, gh * 0.3)[..., None] * \
            rng.uniform(0, 0.08)
        _paint(img, alpha, colour[None, None] * texture)
        for i, pts in enumerate(ink_pts):  # grown by what the effect inks
            ink_pts[i] = np.concatenate([pts] + [pts + o for o in offsets])

    def plate(self, img: np.ndarray, rect: Tuple[float, ...],
              colour: np.ndarray, enamel: bool) -> None:
        """A plate ``rect`` (``x0, y0, x1, y1, radius``) with its shadow,
        edge and screws."""
        rng, gh = self.rng, self.gh
        shape = img.shape[:2]
        x0, y0, x1, y1, _ = rect
        mask = _rect_mask(shape, rect)
        if rng.random() < 0.4:  # the plate's shadow on the wall
            d = max(1, int(round(gh * rng.uniform(0.03, 0.12))))
            shadow = cv2.GaussianBlur(_shift(mask, d, d), (0, 0), d * 0.7)
            img *= 1 - shadow[..., None] * rng.uniform(0.3, 0.6)
        tex = colour[None, None] + _noise(
            rng, *shape, gh * 0.5)[..., None] * rng.uniform(2, 12)
        _paint(img, mask, tex)
        t = max(1., gh * rng.uniform(0.04, 0.1))
        edge = rng.choice(['none', 'border', 'bevel', 'frame'],
                          p=[0.35, 0.3, 0.2, 0.15])
        edge = 'border' if enamel else edge
        if edge in ('bevel', 'frame'):
            ring = np.clip(mask - _rect_mask(shape, _inset(rect, t)), 0, 1)
        if edge == 'border':  # an inset line in a contrasting colour
            outer = _inset(rect, gh * rng.uniform(0.06, 0.2))
            line = self.ink_colour(colour)
            line = _enamel_ink(rng, colour) if enamel else line
            inner = _rect_mask(shape, _inset(outer, t))
            _paint(img, np.clip(_rect_mask(shape, outer) - inner, 0, 1), line)
        elif edge == 'bevel':
            lit = np.float32(np.arange(shape[0])[:, None] < (y0 + y1) / 2)
            _paint(img, ring * lit, np.minimum(colour * 1.3 + 25, 255))
            _paint(img, ring * (1 - lit), colour * 0.55)
        elif edge == 'frame':  # a raised frame in another colour
            _paint(img, ring, _pick_colour(rng, PLATE_COLOURS))
        if rng.random() < 0.15:  # screws
            r = max(1., gh * 0.05)
            for sx in (x0 + 3 * r, x1 - 3 * r):
                cv2.circle(img, (int(sx), int((y0 + y1) / 2)), int(r),
                           (colour * 0.5).tolist(), -1, cv2.LINE_AA)

    def context(self, img: np.ndarray) -> None:
        """Door frames, ledges, cables and sign letters beside the number."""
        rng, gh = self.rng, self.gh
        hp, wp = img.shape[:2]
        x0, y0, x1, y1 = self.num_box
        fx0, fy0, fx1, fy1 = self.frame
        gap = 0.6 * gh
        for _ in range(rng.poisson(1.3)):
            kind = rng.choice(['post', 'ledge', 'cable', 'letters'],
                              p=[0.42, 0.27, 0.06, 0.25])
            colour = _pick_colour(rng, WALL_COLOURS)
            if kind in ('post', 'ledge'):
                # posts (door frames, pipes) are ledges of the transposed plane
                post = kind == 'post'
                rows = img.transpose(1, 0, 2) if post else img
                lo, hi, margin = (x0, x1, gap) if post else (y0, y1, 0.3 * gh)
                size = gh * rng.uniform(*((0.15, 1.2) if post else (0.1, 0.6)))
                a = _between(rng, (0, max(1, lo - margin - size)),
                             (min(len(rows) - 1, hi + margin), len(rows)))
                rows[int(a):int(a + size)] = colour
                edge = int(a + size) + max(1, int(gh * 0.05))
                rows[int(a + size):edge] *= rng.uniform(0.4, 0.8)
            elif kind == 'cable':
                pts = np.stack([np.linspace(0, wp, 3),
                                rng.uniform(0, hp, 3)], 1)
                if rng.random() < 0.5:
                    pts = pts[:, ::-1] * [wp / hp, hp / wp]
                cv2.polylines(img, [pts.astype(np.int32)], False,
                              (colour * 0.3).tolist(),
                              max(1, int(gh * rng.uniform(0.04, 0.15))),
                              cv2.LINE_AA)
            else:  # letters of a neighbouring sign, cut by the frame
                size = gh * rng.uniform(0.5, 1.4)
                text = ''.join(
                    rng.choice(list(LETTERS), int(rng.integers(1, 4))))
                path = self.r.fonts[int(rng.integers(len(self.r.fonts)))]
                glyphs = glyph_masks(text, path, size, 1., 0)
                width = sum(m.shape[1] for m, _ in glyphs) + \
                    0.15 * size * (len(glyphs) - 1)
                if rng.random() < 0.6:  # beside the number
                    x = _between(rng, (fx0 - width, x0 - gap - width),
                                 (x1 + gap, fx1))
                    y = _between(rng, (y0 - size, y1))
                else:  # above or below
                    x = _between(rng, (fx0 - width, fx1))
                    y = _between(rng, (fy0 - size, y0 - gap - size),
                                 (y1 + gap, max(y1 + gap, fy1 - size * 0.5)))
                letters = np.zeros((hp, wp), np.float32)
                for mask, top in glyphs:
                    _stamp(letters, mask, x, y + top - glyphs[0][1])
                    x += mask.shape[1] + 0.15 * size
                _paint(img, letters, colour * rng.uniform(0.3, 1.4))

    def neighbours(self, img: np.ndarray) -> None:
        """Unannotated digits of the neighbouring number, cut by the frame."""
        rng, gh = self.rng, self.gh
        x0, y0, x1, _ = self.num_box
        fx0, _, fx1, _ = self.frame
        for side in (-1, 1):
            if rng.random() > 0.2:
                continue
            # Not a '1': a sliver of any digit would look like one.
            glyphs = glyph_masks(
                str(int(rng.choice([0] + list(range(2, 10))))), self.font, gh,
                self.x_scale, self.stroke)
            if not glyphs:
                continue
            mask, mw = glyphs[0][0], glyphs[0][0].shape[1]
            # At most 35% of it inside the frame, clear of the number.
            inside = mw * rng.uniform(0.1, 0.35)
            x = fx0 + inside - mw if side < 0 else fx1 - inside
            if x + mw > x0 - 0.25 * gh if side < 0 else x < x1 + 0.25 * gh:
                continue
            alpha = np.zeros(img.shape[:2], np.float32)
            _stamp(alpha, mask, x, y0 + rng.normal(0, 0.05 * gh))
            _paint(img, alpha, self.ink_colour(img[int(y0), int(x0)]))

    def lighting(self, img: np.ndarray) -> None:
        """Light falling off across the wall, a cast shadow and glare."""
        rng = self.rng
        hp, wp = img.shape[:2]
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
