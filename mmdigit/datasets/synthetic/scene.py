"""One sample being rendered: number layout, composing the plane, the
camera (warp, exposure, blur, compression) and the digit boxes."""
from typing import TYPE_CHECKING, List, Optional, Tuple

import cv2
import numpy as np

from .painting import _ScenePainting
from .palette import (BOX_PAD_BOTTOM, BOX_PAD_TOP, BOX_PAD_X, ENAMEL,
                      FIRST_DIGIT_P, PLATE_COLOURS, WALL_COLOURS,
                      _jitter_colour)
from .textures import _wall

if TYPE_CHECKING:
    from .renderer import HouseNumberRenderer


class _Scene(_ScenePainting):
    """State of one sample being rendered (see ``HouseNumberRenderer``)."""

    def __init__(self,
                 renderer: 'HouseNumberRenderer',
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
