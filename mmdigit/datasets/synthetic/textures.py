"""Smooth noise, float masks and the textured walls."""
from typing import Tuple

import cv2
import numpy as np

from .palette import WALL_COLOURS, _jitter_colour, _pick_colour


def _noise(rng: np.random.Generator, h: int, w: int,
           cell: float) -> np.ndarray:
    """Smooth noise in about [-1, 1] with features ``cell`` pixels wide."""
    gh = max(2, int(h / max(cell, 1.)) + 2)
    gw = max(2, int(w / max(cell, 1.)) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC) * 0.7


def _paint(img: np.ndarray, mask: np.ndarray, colour) -> None:
    """Alpha-blend ``colour`` (RGB or an image) into ``img`` in place."""
    m = mask[..., None]
    img *= 1 - m
    img += m * colour


def _shift(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``mask`` moved by ``(dx, dy)``, zero-filled."""
    return cv2.warpAffine(
        mask,
        np.float32([[1, 0, dx], [0, 1, dy]]),
        mask.shape[::-1],
        flags=cv2.INTER_NEAREST)


def _stamp(alpha: np.ndarray, mask: np.ndarray, x: float,
           y: float) -> Tuple[np.ndarray, int, int]:
    """Max ``mask`` into ``alpha`` with its top-left at ``(x, y)``, rounded;
    returns the part of ``mask`` inside ``alpha`` and that part's corner."""
    x, y = int(round(x)), int(round(y))
    (mh, mw), (h, w) = mask.shape, alpha.shape
    ys0, xs0 = max(0, y), max(0, x)
    ys1, xs1 = max(ys0, min(h, y + mh)), max(xs0, min(w, x + mw))
    sub = mask[ys0 - y:ys1 - y, xs0 - x:xs1 - x]
    np.maximum(alpha[ys0:ys1, xs0:xs1], sub, out=alpha[ys0:ys1, xs0:xs1])
    return sub, xs0, ys0


def _inset(rect: Tuple[float, ...], d: float) -> Tuple[float, ...]:
    """A rounded rectangle ``(x0, y0, x1, y1, radius)`` shrunk by ``d``."""
    x0, y0, x1, y1, radius = rect
    return x0 + d, y0 + d, x1 - d, y1 - d, max(0, radius - d)


def _rect_mask(shape: Tuple[int, int], rect: Tuple[float, ...]) -> np.ndarray:
    """Anti-aliased rounded rectangle ``(x0, y0, x1, y1, radius)`` mask."""
    (h, w), (x0, y0, x1, y1, radius) = shape, rect
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    r = max(0., min(radius, (x1 - x0) / 2, (y1 - y0) / 2))
    # Signed distance to a rounded box (negative inside).
    qx = np.abs(xs - (x0 + x1) / 2) - ((x1 - x0) / 2 - r)
    qy = np.abs(ys - (y0 + y1) / 2) - ((y1 - y0) / 2 - r)
    outside = np.sqrt(np.maximum(qx, 0)**2 + np.maximum(qy, 0)**2)
    dist = outside + np.minimum(np.maximum(qx, qy), 0) - r
    return np.clip(0.5 - dist, 0, 1).astype(np.float32)


def _wall(rng: np.random.Generator, h: int, w: int, unit: float) -> np.ndarray:
    """A textured ``h x w`` float32 RGB wall; ``unit``: the digit height."""
    colour = _pick_colour(rng, WALL_COLOURS)
    kinds = 'stucco brick siding wood glass concrete flat metal'.split()
    kind = rng.choice(kinds, p=[0.2, 0.14, 0.15, 0.1, 0.07, 0.1, 0.17, 0.07])
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    if kind == 'stucco':
        shade = _noise(rng, h, w, 1.5) * rng.uniform(4, 14) + _noise(
            rng, h, w, unit * rng.uniform(0.3, 1.5)) * rng.uniform(4, 20)
    elif kind == 'brick':
        colour = _jitter_colour(
            rng, WALL_COLOURS[rng.choice([9, 10, 11, 12, 5, 3, 0])])
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
        mortar = _jitter_colour(rng, WALL_COLOURS[rng.choice([1, 5, 6, 19])])
        colour = np.where(joint[..., None], mortar, colour)
    elif kind == 'siding':
        period = unit * rng.uniform(0.3, 0.9)
        vertical = rng.random() < 0.2
        coord = (xs if vertical else ys) + rng.uniform(0, period)
        t = (coord % period) / period
        shade = -t * rng.uniform(10, 40) - (t < 0.08) * rng.uniform(15, 50)
        shade = shade + _noise(rng, h, w, 2) * 4
    elif kind == 'wood':
        colour = _jitter_colour(rng, WALL_COLOURS[rng.choice([4, 11, 12, 3])])
        period = unit * rng.uniform(0.4, 1.5)
        vertical = rng.random() < 0.5
        across = (xs if vertical else ys) + rng.uniform(0, period)
        plank = np.floor(across / period)
        warp = _noise(rng, h, w, unit * 0.7) * rng.uniform(1, 4)
        grain = np.sin(across * rng.uniform(0.5, 1.5) + warp + plank * 7.)
        shade = grain * rng.uniform(5, 18) + np.sin(plank * 91.7) * 12
        shade = shade - ((across % period) < 1.) * 35  # gaps
    elif kind == 'glass':
        colour = np.clip(
            np.float32([rng.uniform(20, 70)] * 3) +
            rng.normal(0, 8, 3).astype(np.float32), 0, 255)
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
            joint = (((ys + rng.uniform(0, bh)) % bh) < 1.2) | ((
                (xs + rng.uniform(0, bw)) % bw) < 1.2)
            shade = shade - joint * rng.uniform(15, 40)
    elif kind == 'metal':
        grain = rng.standard_normal((h, max(2, w // 8))).astype(np.float32)
        shade = cv2.resize(grain, (w, h), interpolation=cv2.INTER_LINEAR) * \
            rng.uniform(3, 10) + (ys / h) * rng.uniform(-30, 30)
    else:  # flat paint
        noise = _noise(rng, h, w, 1.5) * rng.uniform(1, 5)
        shade = noise + (ys / h - 0.5) * rng.uniform(-20, 20)
    return np.ascontiguousarray(colour + shade[..., None], np.float32)
