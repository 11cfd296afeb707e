"""Synthetic SVHN-like house-number generator.

Renders multi-digit house numbers as small street-photo-like crops and writes
them in the course layout (``train/``, ``valid/``, ``test/`` folders of
``<id>.png`` plus ``train.json`` / ``valid.json`` in COCO format, no json for
``test/``). The size statistics follow real SVHN format-1 crops (measured on
``svhn-mini``): image width median ~104 px (5-95%: 50-300), height median
~47 px (21-127), digit boxes median ~14x30 px, digit height ~0.65 of the image
height, and 1-5 digits per image, mostly 2-3.

Only numpy and Pillow are needed; fonts are matplotlib's bundled DejaVu family
plus any TrueType fonts installed on the system.
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# category_id = digit + 1, as in the course data.
DIGIT_CATEGORIES = [dict(id=d + 1, name=str(d)) for d in range(10)]
# Mix of digit counts per image, close to SVHN's (mostly 2-3 digits).
NUM_DIGITS_P = {1: 0.13, 2: 0.45, 3: 0.30, 4: 0.10, 5: 0.02}


def find_fonts() -> List[str]:
    """List usable TrueType fonts.

    Returns:
        list[str]: matplotlib's bundled DejaVu fonts followed by any system
        ``.ttf`` font that renders digits, de-duplicated and sorted.
    """
    paths = []
    try:
        import matplotlib
        mpl_fonts = osp.join(
            osp.dirname(matplotlib.__file__), 'mpl-data', 'fonts', 'ttf')
        paths += sorted(glob.glob(osp.join(mpl_fonts, 'DejaVu*.ttf')))
    except ImportError:  # matplotlib is a dependency; be lenient anyway
        pass
    for folder in ('/usr/share/fonts', '/usr/local/share/fonts',
                   osp.expanduser('~/.fonts')):
        paths += sorted(glob.glob(osp.join(folder, '**', '*.ttf'),
                                  recursive=True))
    usable, seen = [], set()
    for path in paths:
        name = osp.basename(path)
        if name in seen:
            continue
        try:
            font = ImageFont.truetype(path, 32)
            # Symbol fonts map digits to empty or identical glyphs.
            glyphs = {bytes(font.getmask(str(d))) for d in range(10)}
        except OSError:
            continue
        if len(glyphs) == 10:
            usable.append(path)
            seen.add(name)
    if not usable:
        raise RuntimeError('No TrueType font found (install matplotlib).')
    return usable


def _smooth_noise(rng: np.random.Generator, h: int, w: int,
                  cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid upsampled."""
    grid = rng.random((cells, max(2, cells * w // max(h, 1))))
    img = Image.fromarray((grid * 255).astype(np.uint8)).resize(
        (w, h), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.


def _random_colours(rng: np.random.Generator
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Foreground / background colours with a random (sometimes low)
    luminance contrast, as on real house-number plates."""
    bg = rng.uniform(0, 255, 3)
    contrast = rng.choice([rng.uniform(40, 90), rng.uniform(90, 220)],
                          p=[0.25, 0.75])
    lum = bg.mean()
    sign = -1 if lum > 127 else 1
    if rng.random() < 0.2:  # occasionally invert the natural polarity
        sign = -sign
    fg_lum = np.clip(lum + sign * contrast, 0, 255)
    tint = rng.normal(0, 30, 3)
    fg = np.clip(fg_lum + tint - tint.mean(), 0, 255)
    return fg.astype(np.float32), bg.astype(np.float32)


def _perspective_coeffs(src: np.ndarray, dst: np.ndarray) -> List[float]:
    """PIL perspective coefficients mapping output points ``dst`` to input
    points ``src`` (both 4x2)."""
    a = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    b = src.reshape(8)
    return np.linalg.solve(np.asarray(a, dtype=np.float64), b).tolist()


class HouseNumberRenderer:
    """Renders one SVHN-like house-number crop at a time.

    Args:
        seed (int): Seed of the random generator. Defaults to 0.
        fonts (Sequence[str], optional): TrueType font paths. Defaults to
            :func:`find_fonts`.
    """

    def __init__(self, seed: int = 0,
                 fonts: Optional[Sequence[str]] = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.fonts = list(fonts) if fonts else find_fonts()

    def _glyph_layers(self, digits: Sequence[int], font_path: str,
                      height: int) -> Tuple[List[Image.Image], Tuple[int,
                                                                     int]]:
        """Draw each digit on its own mask, laid out left to right on a
        canvas with room for geometric jitter and cut-off neighbours."""
        rng = self.rng
        font = ImageFont.truetype(font_path, size=height)
        # Scale the font so the ink of a '0' is ``height`` pixels tall.
        x0, y0, x1, y1 = font.getbbox('0')
        font = ImageFont.truetype(
            font_path, size=max(6, int(height * height / max(1, y1 - y0))))
        spacing = rng.uniform(-0.05, 0.35) * height
        widths = [font.getbbox(str(d))[2] - font.getbbox(str(d))[0]
                  for d in digits]
        text_w = sum(widths) + spacing * (len(digits) - 1)
        pad = int(2.5 * height)
        canvas = (int(text_w + 2 * pad), int(height + 2 * pad))
        layers, x = [], float(pad)
        for d, w in zip(digits, widths):
            mask = Image.new('L', canvas, 0)
            bx0, by0, _, _ = font.getbbox(str(d))
            jitter_y = rng.normal(0, 0.03 * height)
            ImageDraw.Draw(mask).text(
                (x - bx0, pad - by0 + jitter_y), str(d), fill=255, font=font)
            layers.append(mask)
            x += w + spacing
        return layers, canvas

    def render(self) -> Tuple[Image.Image, List[Tuple[int, List[float]]]]:
        """Render one image.

        Returns:
            tuple: The RGB image and a list of ``(digit, [x, y, w, h])`` in
            absolute pixels, left to right.
        """
        rng = self.rng
        n = int(rng.choice(list(NUM_DIGITS_P), p=list(NUM_DIGITS_P.values())))
        digits = rng.integers(0, 10, n).tolist()
        if n > 1 and digits[0] == 0 and rng.random() < 0.8:
            digits[0] = int(rng.integers(1, 10))  # leading zeros are rare
        # Digit ink height in output pixels; log-normal around SVHN's 30 px.
        height = int(np.clip(rng.lognormal(np.log(30), 0.4), 10, 110))
        render_h = max(height, 24)  # render small digits large, then shrink
        font = self.fonts[int(rng.integers(len(self.fonts)))]
        layers, (cw, ch) = self._glyph_layers(digits, font, render_h)

        # Cut-off neighbouring digits (not annotated) left and/or right.
        extra = []
        for side in (-1, 1):
            if rng.random() < 0.25:
                extra_layers, _ = self._glyph_layers(
                    [int(rng.integers(0, 10))], font, render_h)
                extra.append((side, extra_layers[0]))

        # Geometric jitter: rotation, shear, aspect and perspective, applied
        # to every mask so the boxes stay exact.
        cx, cy = cw / 2, ch / 2
        angle = np.deg2rad(rng.normal(0, 5))
        shear = rng.normal(0, 0.12)
        sx = rng.uniform(0.8, 1.2)
        rot = np.array([[np.cos(angle), -np.sin(angle)],
                        [np.sin(angle), np.cos(angle)]])
        lin = rot @ np.array([[sx, shear], [0, 1]])
        corners = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float64)
        dst = (corners - [cx, cy]) @ lin.T + [cx, cy]
        dst += rng.normal(0, 0.02 * render_h, dst.shape)  # perspective
        coeffs = _perspective_coeffs(corners, dst)

        def warp(mask: Image.Image) -> Image.Image:
            return mask.transform((cw, ch), Image.PERSPECTIVE, coeffs,
                                  Image.BILINEAR)

        layers = [warp(m) for m in layers]
        boxes = []
        for m in layers:
            ys, xs = np.nonzero(np.asarray(m) > 96)
            boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        boxes = np.asarray(boxes, np.float64)
        num_x0, num_y0 = boxes[:, 0].min(), boxes[:, 1].min()
        num_x1, num_y1 = boxes[:, 2].max(), boxes[:, 3].max()

        # Crop around the number like SVHN: the digits fill ~65% of the
        # height, with wider and more variable horizontal margins.
        num_h = num_y1 - num_y0
        mt, mb = rng.uniform(0.05, 0.5, 2) * num_h
        ml, mr = rng.uniform(0.15, 1.3, 2) * num_h
        crop = np.array([num_x0 - ml, num_y0 - mt, num_x1 + mr, num_y1 + mb])
        crop = np.clip(np.round(crop), [0, 0, 0, 0], [cw, ch, cw, ch])

        alpha = np.zeros((ch, cw), np.float32)
        for m in layers:
            alpha = np.maximum(alpha, np.asarray(m, np.float32) / 255.)
        for side, m in extra:
            # Place the neighbour so roughly half of it sticks out.
            m = warp(m)
            arr = np.asarray(m, np.float32) / 255.
            ys, xs = np.nonzero(arr > 0.4)
            if len(xs) == 0:
                continue
            gw = xs.max() - xs.min() + 1
            edge = crop[0] if side < 0 else crop[2]
            target = edge - side * rng.uniform(0.2, 0.5) * gw
            shift = int(target - (xs.max() if side < 0 else xs.min()))
            arr = np.roll(arr, shift, axis=1)
            if side < 0:
                arr[:, int(crop[0]) + 1:] = 0  # never over the number
            else:
                arr[:, :int(crop[2]) - 1] = 0
            alpha = np.maximum(alpha, arr)

        fg, bg = _random_colours(rng)
        texture = _smooth_noise(rng, ch, cw, int(rng.integers(2, 8)))
        background = bg[None, None] + (texture[..., None] - 0.5) * \
            rng.uniform(10, 80) * rng.normal(1, 0.2, 3)
        if rng.random() < 0.3:  # plate border / wall edge
            y = int(rng.uniform(crop[1], crop[3]))
            background[max(0, y - 1):y + 2] *= rng.uniform(0.4, 0.8)
        foreground = fg[None, None] + (
            _smooth_noise(rng, ch, cw, 3)[..., None] - 0.5) * 30
        if rng.random() < 0.2:  # drop shadow
            shadow = np.roll(alpha, (2, 2), axis=(0, 1))[..., None]
            background = background * (1 - 0.5 * shadow)
        img = background * (1 - alpha[..., None]) + \
            foreground * alpha[..., None]
        # Illumination gradient across the crop.
        gx = np.linspace(rng.uniform(0.7, 1.1), rng.uniform(0.7, 1.1), cw)
        img = img * gx[None, :, None]

        x0, y0, x1, y1 = crop.astype(int)
        img = Image.fromarray(np.clip(img[y0:y1, x0:x1], 0, 255).astype(
            np.uint8))
        boxes -= [x0, y0, x0, y0]
        # Bring the digits to the sampled output height.
        scale = height / max(1., num_h)
        out_w = max(8, int(round(img.width * scale)))
        out_h = max(8, int(round(img.height * scale)))
        scale_x, scale_y = out_w / img.width, out_h / img.height
        img = img.resize((out_w, out_h), Image.BILINEAR)
        boxes *= [scale_x, scale_y, scale_x, scale_y]

        # Photometric degradations: blur, sensor noise, JPEG artefacts.
        if rng.random() < 0.6:
            img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.2)))
        arr = np.asarray(img, np.float32)
        arr += rng.normal(0, rng.uniform(0, 8), arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        if rng.random() < 0.7:
            from io import BytesIO
            buf = BytesIO()
            img.save(buf, format='JPEG', quality=int(rng.integers(30, 95)))
            img = Image.open(buf).convert('RGB')

        anns = []
        for d, (bx0, by0, bx1, by1) in zip(digits, boxes):
            bx0, bx1 = np.clip([bx0, bx1], 0, out_w)
            by0, by1 = np.clip([by0, by1], 0, out_h)
            anns.append((d, [round(float(bx0), 1), round(float(by0), 1),
                             round(float(bx1 - bx0), 1),
                             round(float(by1 - by0), 1)]))
        return img, anns


def make_synthetic_dataset(out_dir: str,
                           num_train: int = 3000,
                           num_valid: int = 300,
                           num_test: int = 300,
                           seed: int = 0,
                           progress: bool = True) -> Dict[str, int]:
    """Write a synthetic dataset in the course layout.

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
        # One generator per split: a split's content does not depend on the
        # size of the others.
        renderer = HouseNumberRenderer(seed=seed * 1000 + i, fonts=fonts)
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        images, annotations = [], []
        bar = ProgressBar(num) if progress and num else None
        for img_id in range(1, num + 1):
            img, anns = renderer.render()
            file_name = f'{img_id}.png'
            img.save(osp.join(out_dir, split, file_name))
            images.append(dict(id=img_id, file_name=file_name,
                               height=img.height, width=img.width))
            for digit, bbox in anns:
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=img_id, bbox=bbox,
                    category_id=digit + 1, area=round(bbox[2] * bbox[3], 2),
                    iscrowd=0))
            if bar is not None:
                bar.update()
        if bar is not None:
            print()
        if split != 'test':
            with open(osp.join(out_dir, f'{split}.json'), 'w') as f:
                json.dump(dict(images=images, annotations=annotations,
                               categories=DIGIT_CATEGORIES), f)
    return dict(splits)
