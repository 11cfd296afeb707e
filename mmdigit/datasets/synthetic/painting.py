"""What a scene paints on the wall's plane besides the wall: ink, plates,
context (frames, ledges, cables, letters), neighbouring digits and
lighting."""
from typing import List, Tuple

import cv2
import numpy as np

from .palette import (ENAMEL, INK_COLOURS, LETTERS, PLATE_COLOURS,
                      WALL_COLOURS, _jitter_colour, _luma)
from .textures import _noise, _paint, _rect_mask, _shift


def _between(rng: np.random.Generator, a: float, b: float) -> float:
    """Uniform between ``a`` and ``b``, in either order."""
    return a + (b - a) * rng.random()


class _ScenePainting:
    """Painting steps of :class:`_Scene` on its plane; they draw from the
    scene's ``rng`` and use its renderer ``r`` for glyphs and fonts."""

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
