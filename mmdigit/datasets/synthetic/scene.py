"""One sample being rendered: number layout, composing the plane, the
camera (warp, exposure, blur, compression) and the digit boxes."""
import dataclasses
from typing import TYPE_CHECKING, List, Optional, Tuple

import cv2
import numpy as np

from .fonts import glyph_masks
from .painting import _ScenePainting
from .palette import (BOX_PAD_BOTTOM, BOX_PAD_TOP, BOX_PAD_X, ENAMEL,
                      FIRST_DIGIT_P, PLATE_COLOURS, _pick_colour)
from .textures import _stamp, _wall

if TYPE_CHECKING:
    from .renderer import HouseNumberRenderer


@dataclasses.dataclass
class _Scene(_ScenePainting):
    """One sample being rendered: ``n`` digits in ``w x h`` pixels."""
    r: 'HouseNumberRenderer'
    rng: np.random.Generator
    n: int
    w: int
    h: int
    ratio: Optional[float]  # digit box / image height; None: train framing

    def render(self) -> Tuple[np.ndarray, List[Tuple[int, List[float]]]]:
        rng, w, h = self.rng, self.w, self.h
        first = int(rng.choice(10, p=FIRST_DIGIT_P))
        digits = [first] + rng.integers(0, 10, self.n - 1).tolist()
        # The camera's true resolution: large crops are blurry upsamplings.
        h_camera = np.exp(rng.normal(np.log(30), 0.35))
        if self.ratio is not None:
            # the same capture resolution per digit as in train framing
            h_camera *= 0.64 / self.ratio
        h_lo = int(min(h, max(12, h / 4, round(h_camera))))
        w_lo = max(8, int(round(w * h_lo / h)))
        # Compose at twice that resolution ("plane" pixels), then warp down.
        k = 2. * h_lo / h
        frame_w, frame_h = w * k, h * k
        border = int(np.ceil(0.35 * frame_h))
        self.frame = (border, border, border + frame_w, border + frame_h)
        placed, style = self.layout(digits, k, border)
        plane, ink_pts = self.compose(
            int(np.ceil(frame_h)) + 2 * border,
            int(np.ceil(frame_w)) + 2 * border, placed, style)
        # Camera: rotation, shear, aspect and perspective of the wall.
        x0, y0, x1, y1 = self.num_box
        centre = [(x0 + x1) / 2, (y0 + y1) / 2]
        fx0, fy0, fx1, fy1 = self.frame
        src = np.float32([[fx0, fy0], [fx1, fy0], [fx1, fy1], [fx0, fy1]])
        angle = np.deg2rad(np.clip(rng.normal(0, 3), -10, 10))
        shear = np.clip(rng.normal(0, 0.08), -0.25, 0.25)
        aspect = np.exp(rng.normal(0, 0.06))
        cos, sin = np.cos(angle), np.sin(angle)
        lin = np.array([[cos, -sin], [sin, cos]]) @ [[aspect, shear], [0, 1]]
        src = (src - centre) @ lin.T.astype(np.float32) + centre
        src = np.float32(src + rng.normal(0, 0.035 * frame_h, src.shape))
        dst = np.float32([[0, 0], [w_lo, 0], [w_lo, h_lo], [0, h_lo]]) - 0.5
        mat = cv2.getPerspectiveTransform(src - 0.5, dst)
        lo = cv2.warpPerspective(
            plane, mat, (w_lo, h_lo), borderMode=cv2.BORDER_REFLECT)
        anns = self.boxes(digits, ink_pts, mat, w_lo, h_lo)
        return self.camera(lo, h_lo), anns

    def layout(self, digits: List[int], k: float,
               border: int) -> Tuple[list, str]:
        """Lay the number out (``k`` plane pixels a crop pixel), setting
        ``font``, ``x_scale``, ``stroke``, ``gh`` and ``num_box``; returns
        the placed glyphs ``(mask, x, y)`` and the style."""
        rng, w, h = self.rng, self.w, self.h
        ratio = float(np.clip(rng.normal(0.64, 0.12), 0.3, 0.92))
        box_h = h * (ratio if self.ratio is None else self.ratio)
        ink_h = box_h / (1 + BOX_PAD_TOP + BOX_PAD_BOTTOM)
        self.font = self.r.fonts[rng.choice(
            len(self.r.fonts), p=self.r.font_p)]
        # House numbers are narrower than these fonts (SVHN boxes: w ~ h / 2)
        self.x_scale = float(
            np.clip(np.exp(rng.normal(np.log(0.66), 0.15)), 0.45, 1.1))
        bold = rng.random() < 0.35
        style = str(
            rng.choice(['painted', 'plate', 'tiles', 'enamel'],
                       p=[0.35, 0.42, 0.11, 0.12]))
        spacing_mode = rng.choice(3, p=[0.7, 0.17, 0.13])
        spacing_mode = 2 if style == 'tiles' else spacing_mode
        spacing = [  # every mode is drawn, one is used
            float([
                np.clip(rng.normal(0.12, 0.06), 0.02, 0.4),
                rng.uniform(-0.03, 0.03),
                rng.uniform(0.3, 0.8)
            ][spacing_mode]) for _ in range(self.n - 1)
        ]
        for _ in range(2):  # shrink once if the number does not fit
            gh = ink_h * k
            self.stroke = max(1, int(round(gh * 0.04))) if bold else 0
            glyphs = glyph_masks(''.join(map(str, digits)), self.font, gh,
                                 self.x_scale, self.stroke)
            num_w = sum(m.shape[1] for m, _ in glyphs) + gh * sum(spacing)
            need = num_w / k + 2 * BOX_PAD_X * ink_h + 0.5 * box_h
            if need <= 0.95 * w:
                break
            shrink = 0.95 * w / need
            box_h, ink_h = box_h * shrink, ink_h * shrink
        self.gh = gh = ink_h * k
        box_w = num_w / k + 2 * BOX_PAD_X * ink_h
        x = border + ((w - box_w) * rng.beta(5, 5) + BOX_PAD_X * ink_h) * k
        ink_y = (h - box_h) * rng.beta(3, 3) + BOX_PAD_TOP * ink_h
        top = border + ink_y * k - min(y for _, y in glyphs)
        placed = []
        for (mask, y), space in zip(glyphs, spacing + [0.]):
            jitter = rng.normal(0, 0.015 * gh)
            placed.append((mask, int(round(x)), int(round(top + y + jitter))))
            x += mask.shape[1] + gh * space
        boxes = np.array([(x, y, x + m.shape[1], y + m.shape[0])
                          for m, x, y in placed])
        self.num_box = np.float32([*boxes[:, :2].min(0), *boxes[:, 2:].max(0)])
        return placed, style

    def compose(self, hp: int, wp: int, placed: list,
                style: str) -> Tuple[np.ndarray, List[np.ndarray]]:
        """Paint the wall, context, plate and digits on the plane: returns
        it (float32 RGB) and each digit's ink pixels on it."""
        rng, gh = self.rng, self.gh
        img = _wall(rng, hp, wp, gh)
        x0, y0, x1, y1 = self.num_box
        enamel = style == 'enamel'  # blue and white street-number plates
        self.context(img)
        # Background right under the digits: a plate, tiles or the wall.
        bg_colour = img[int(y0):int(y1) + 1,
                        int(x0):int(x1) + 1].reshape(-1, 3).mean(0)
        if style != 'painted':
            plate_colour = _pick_colour(rng, PLATE_COLOURS)
            if enamel:
                plate_colour = _pick_colour(rng, ENAMEL)
            if style in ('plate', 'enamel'):
                big = rng.random() < 0.15
                px = gh * rng.uniform(*((1.5, 4) if big else (0.15, 0.9)))
                py = gh * rng.uniform(*((1, 3) if big else (0.08, 0.5)))
                rects = [(x0 - px, y0 - py, x1 + px, y1 + py)]
            else:
                pad = gh * rng.uniform(0.1, 0.3)
                rects = [(x - pad, y0 - pad, x + m.shape[1] + pad, y1 + pad)
                         for m, x, _ in placed]
            radius = gh * rng.uniform(0.05, 0.4) if rng.random() < 0.3 else 0
            for rect in rects:
                self.plate(img, (*rect, radius), plate_colour, enamel)
            bg_colour = plate_colour
        alpha = np.zeros((hp, wp), np.float32)
        ink_pts = []
        stencil = rng.random() < 0.05
        for mask, x, y in placed:
            if stencil:  # cut a thin gap across the glyph
                mask = mask.copy()
                cut = int(mask.shape[0] * rng.uniform(0.35, 0.65))
                mask[cut:cut + max(1, int(0.06 * mask.shape[0]))] = 0
            sub, xs0, ys0 = _stamp(alpha, mask, x, y)
            peak = float(sub.max()) if sub.size else 0.
            if peak > 0:
                # a faint, thin glyph may have no pixel above 0.5
                ys, xs = np.nonzero(sub > (0.5 if peak > 0.5 else peak / 2))
                pts = np.stack([xs + xs0, ys + ys0], 1)
            else:  # no ink inside the plane: box the glyph's rectangle
                mh, mw = mask.shape
                pts = np.array([[x, y], [x + mw - 1, y + mh - 1]])
            ink_pts.append(pts.astype(np.float32))
        self.draw_ink(img, alpha, bg_colour, ink_pts, enamel)
        self.neighbours(img)
        self.lighting(img)
        return img, ink_pts

    def camera(self, lo: np.ndarray, h_lo: int) -> np.ndarray:
        """Exposure, colour, noise and JPEG, then up to the crop size, blur."""
        rng, w, h = self.rng, self.w, self.h
        img = (np.clip(lo, 0, 255) / 255.)**np.exp(rng.normal(0, 0.2))
        img = img + (img.mean(2, keepdims=True) - img) * rng.uniform(0.1, 0.8)
        img = img * np.exp(rng.normal(0, 0.06, 3)) * rng.uniform(0.75, 1.15)
        img = img * 255 + rng.normal(0, rng.uniform(0.5, 6), img.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if rng.random() < 0.5:
            img = _jpeg(img, int(rng.integers(25, 90)))
        interp = [cv2.INTER_LINEAR, cv2.INTER_CUBIC,
                  cv2.INTER_NEAREST][rng.choice(3, p=[0.6, 0.3, 0.1])]
        img = cv2.resize(img, (w, h), interpolation=interp)
        if rng.random() < 0.7:  # more blur the more it was upsampled
            sigma = rng.uniform(0.3, 1.2) * np.sqrt(h / h_lo)
            img = cv2.GaussianBlur(img, (0, 0), sigma)
        if rng.random() < 0.15:  # motion blur
            length = max(2, int(round(h * rng.uniform(0.02, 0.06))))
            kernel = np.zeros((2 * length + 1, 2 * length + 1), np.float32)
            theta = rng.uniform(0, np.pi)
            t = np.linspace(-length, length, 2 * length + 1)
            kernel[np.round(length + t * np.sin(theta)).astype(int),
                   np.round(length + t * np.cos(theta)).astype(int)] = 1
            img = cv2.filter2D(
                img, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)
        if rng.random() < 0.3:
            img = _jpeg(img, int(rng.integers(40, 95)))
        return np.ascontiguousarray(img)

    def boxes(self, digits: List[int], ink_pts: List[np.ndarray],
              mat: np.ndarray, w_lo: int,
              h_lo: int) -> List[Tuple[int, List[float]]]:
        """SVHN-style boxes of the warped ink, one height for the image."""
        w, h = self.w, self.h
        corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)
        inks = []
        for pts in ink_pts:
            # Pixel (x, y) covers [x, x+1] x [y, y+1] on the plane.
            quad = (pts[:, None] + corners[None]).reshape(-1, 1, 2)
            lo = cv2.perspectiveTransform(quad - 0.5, mat).reshape(-1, 2) + .5
            inks.append([*lo.min(0), *lo.max(0)])
        inks = np.asarray(inks, np.float64) * np.tile([w / w_lo, h / h_lo], 2)
        ink_h = float((inks[:, 3] - inks[:, 1]).max())
        anns = []
        for d, (x0, y0, x1, _) in zip(digits, inks):
            bx0 = round(max(0., x0 - BOX_PAD_X * ink_h), 1)
            by0 = round(max(0., y0 - BOX_PAD_TOP * ink_h), 1)
            bx1 = min(float(w), x1 + BOX_PAD_X * ink_h)
            by1 = min(float(h), y0 + (1 + BOX_PAD_BOTTOM) * ink_h)
            bbox = [bx0, by0, round(bx1 - bx0, 1), round(by1 - by0, 1)]
            anns.append((int(d), bbox))
        return anns


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """JPEG round trip of an RGB array."""
    ok, buf = cv2.imencode('.jpg', img[..., ::-1],
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
