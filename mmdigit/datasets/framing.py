"""A test-like split: labelled photos reframed as SVHN's test split frames
them (smaller digits and shorter numbers than train; docs/data.md)."""
import json
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import mmcv
import numpy as np

from ..utils.errors import UserInputError
from ..utils.fileio import atomic_write_bytes
from .layout import ensure_empty, progress_bar, read_split, write_split

#: (quantile, digit height / image height) of SVHN format-1 train and test,
#: from ../shared/data/svhn-framing.md (all 33,402 train, 13,068 test images).
TRAIN_RATIO_QUANTILES = ((0.1, 0.40), (0.5, 0.66), (0.9, 0.82))
TEST_RATIO_QUANTILES = ((0.1, 0.23), (0.5, 0.47), (0.9, 0.67))
#: Median digit box height in pixels, train and test.
TRAIN_DIGIT_PX, TEST_DIGIT_PX = 29, 24
#: Share of test images by number of digits.
TEST_LENGTH_SHARES = {1: 0.190, 2: 0.639, 3: 0.159, 4: 0.011}


def _interp(x: float, knots: Sequence[Tuple[float, float]]) -> float:
    """Piecewise-linear through ``knots`` ``(x, y)``, extrapolated."""
    xs, ys = zip(*knots)
    if xs[0] <= x <= xs[-1]:
        return float(np.interp(x, xs, ys))
    i = 0 if x < xs[0] else len(xs) - 2
    slope = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
    return ys[i] + slope * (x - xs[i])


def to_test_ratio(ratio: float) -> float:
    """The test digit/image height ratio at the quantile (clipped to 1-99 %)
    that a train photo's ``ratio`` has in train."""
    quantile = _interp(ratio, [(r, q) for q, r in TRAIN_RATIO_QUANTILES])
    quantile = min(max(quantile, 0.01), 0.99)
    return _interp(quantile, TEST_RATIO_QUANTILES)


def digit_framing(boxes: Sequence[Sequence[float]],
                  height: int) -> Tuple[float, float]:
    """A photo's median digit height in pixels and as a share of its
    height: ``(ratio, digit_px)``."""
    digit_px = float(np.median([b[3] for b in boxes]))
    return digit_px / height, digit_px


def reframe(img: np.ndarray, boxes: Sequence[Sequence[float]],
            target_ratio: float, content_scale: float,
            rng: np.random.Generator) -> Tuple[np.ndarray, List[List[float]]]:
    """A BGR photo resized by ``content_scale`` and pasted at a random place
    of a blurred canvas of itself in which its median digit height is
    ``target_ratio`` of the image height (a looser photo keeps its frame),
    and its moved ``[x, y, w, h, ...]`` boxes."""
    height, width = img.shape[:2]
    ratio, _ = digit_framing(boxes, height)
    zoom = max(1.0, ratio / target_ratio)
    new_w, new_h = (max(1, round(s * content_scale)) for s in (width, height))
    content = mmcv.imresize(img, (new_w, new_h), interpolation='area')
    canvas_w, canvas_h = round(new_w * zoom), round(new_h * zoom)
    # the photo's own colours and light, with nothing readable left
    canvas = cv2.GaussianBlur(
        mmcv.imresize(content, (canvas_w, canvas_h)), (0, 0),
        max(canvas_w, canvas_h) / 8)
    left = int(rng.integers(0, canvas_w - new_w + 1))
    top = int(rng.integers(0, canvas_h - new_h + 1))
    canvas[top:top + new_h, left:left + new_w] = content
    sx, sy = new_w / width, new_h / height
    moved = [[left + b[0] * sx, top + b[1] * sy, b[2] * sx, b[3] * sy, *b[4:]]
             for b in boxes]
    return canvas, moved


def match_length_mix(lengths: Dict[int, int], shares: Dict[int, float],
                     rng: np.random.Generator) -> List[int]:
    """The ids (in order) of the largest subsample of ``lengths`` (image id:
    number of digits) with ``shares`` (number of digits: share)."""
    groups = {
        n: [i for i, m in lengths.items() if m == n]
        for n in dict.fromkeys(lengths.values()) if n in shares
    }
    total = min(
        len(groups.get(n, [])) / share for n, share in shares.items()
        if share > 0)
    kept = set()
    for n, ids in groups.items():
        count = min(len(ids), round(total * shares[n]))
        kept.update(rng.choice(ids, count, replace=False).tolist())
    return [img_id for img_id in lengths if img_id in kept]


def reframe_split(data_root: str,
                  out_root: str,
                  split: str = 'valid',
                  seed: int = 0,
                  match_lengths: bool = False,
                  progress: bool = True) -> Dict[str, float]:
    """Write a labelled split reframed as the test split frames photos;
    returns the number of ``images`` and their median digit/image height
    ratio and digit height in pixels before and after.

    Args:
        out_root (str): Destination; gets ``<split>/``, ``<split>.json``
            and ``framing.json`` (source ids, framing before and after).
        match_lengths (bool): Keep the largest subsample with the test
            split's mix of number lengths.
    """
    ensure_empty(osp.join(out_root, split))
    content_scale = TEST_DIGIT_PX / TRAIN_DIGIT_PX  # test digit px size
    images, boxes = read_split(data_root, split)
    images = [img for img in images if boxes[img['id']]]
    if not images:
        raise UserInputError(f'{split}.json has no image with a box')
    rng = np.random.default_rng(seed)
    if match_lengths:
        keep = set(
            match_length_mix(
                {img['id']: len(boxes[img['id']])
                 for img in images}, TEST_LENGTH_SHARES, rng))
        images = [img for img in images if img['id'] in keep]
        if not images:
            raise UserInputError(
                f'{split} has no subsample with the test mix of number '
                'lengths (a length is missing); leave out --match-lengths')
    items, before, after = [], [], []
    for img in progress_bar(images, progress):
        photo = mmcv.imread(osp.join(data_root, split, img['file_name']))
        own = boxes[img['id']]
        before.append(digit_framing(own, photo.shape[0]))
        new, moved = reframe(photo, own, to_test_ratio(before[-1][0]),
                             content_scale, rng)
        after.append(digit_framing(moved, new.shape[0]))
        items.append(dict(image=new, boxes=moved))
    write_split(items, '', out_root, split)
    (ratio0, px0), (ratio1, px1) = np.median([before, after], axis=1).tolist()
    summary = dict(
        images=len(items),
        ratio_before=ratio0,
        ratio_after=ratio1,
        digit_px_before=px0,
        digit_px_after=px1)
    record = dict(
        source=osp.abspath(osp.join(data_root, split)),
        source_ids=[img['id'] for img in images],
        seed=seed,
        match_lengths=match_lengths,
        content_scale=content_scale,
        **summary)
    atomic_write_bytes(
        osp.join(out_root, 'framing.json'),
        json.dumps(record, indent=1).encode())
    return summary
