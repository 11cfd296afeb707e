"""A test-like split: labelled training photos reframed as SVHN test photos.

The course grades SVHN's test split, whose photos are framed differently
from SVHN's train split, where every labelled image here comes from: the
digits are smaller relative to the frame and in pixels, and the numbers are
shorter (statistics of the public format-1 annotations, docs/data.md). A
model selected on train-framed photos is tuned for the wrong framing.

:func:`reframe_split` writes a labelled split as the test split would frame
it. Each photo keeps its own pixels and boxes, and

- is zoomed out into a larger canvas: the digit-height / image-height ratio
  of every photo is moved to the same quantile of the test distribution
  (quantile mapping between the two published distributions), so a photo
  framed tightly for train stays among the tightest of test;
- is scaled so that digits have the test split's pixel size;
- gets context from itself: the canvas is the photo stretched over it and
  blurred (its colours and light, no readable structure), the sharp photo
  pasted at a random place;
- and, if asked, the split is subsampled to the test split's mix of
  number lengths (it halves a small split).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.utils import track_iter_progress

from ..utils.digits import category_id_to_label
from ..utils.errors import OutputExistsError, UserInputError
from ..utils.fileio import atomic_write_bytes
from .checks import load_coco_json
from .svhn import write_split

#: (quantile, digit height / image height) of SVHN format-1 train and test,
#: from ../shared/data/svhn-framing.md (all 33,402 train, 13,068 test images).
TRAIN_RATIO_QUANTILES = ((0.1, 0.40), (0.5, 0.66), (0.9, 0.82))
TEST_RATIO_QUANTILES = ((0.1, 0.23), (0.5, 0.47), (0.9, 0.67))
#: Median digit box height in pixels, train and test.
TRAIN_DIGIT_PX, TEST_DIGIT_PX = 29, 24
#: Share of test images by number of digits.
TEST_LENGTH_SHARES = {1: 0.190, 2: 0.639, 3: 0.159, 4: 0.011}


def _interp(x: float, knots: Sequence[Tuple[float, float]]) -> float:
    """Piecewise-linear through ``knots`` ``(x, y)``, extended linearly past
    the first and last segment."""
    xs, ys = zip(*knots)
    if x < xs[0]:
        i = 0
    elif x > xs[-1]:
        i = len(xs) - 2
    else:
        return float(np.interp(x, xs, ys))
    slope = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
    return ys[i] + slope * (x - xs[i])


def to_test_ratio(ratio: float) -> float:
    """Map a train photo's digit/image height ratio to the test ratio of
    the same quantile.

    Args:
        ratio (float): Median digit height / image height of a photo.

    Returns:
        float: The ratio at the same quantile of the test distribution
        (quantiles clipped to 1-99 %).
    """
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
    """Zoom a photo out so that its digits are ``target_ratio`` of the
    frame's height.

    Args:
        img (np.ndarray): BGR photo.
        boxes (Sequence): ``[x, y, w, h, ...]`` digit boxes in its pixels.
        target_ratio (float): Median digit height / image height wanted.
            A photo already framed looser keeps its frame.
        content_scale (float): Resize the photo by this first (digits at
            the test split's pixel size).
        rng (np.random.Generator): Places the photo in the canvas.

    Returns:
        tuple: The new image and the boxes moved and scaled with it
        (``[x, y, w, h, ...]``, the rest of each box kept).
    """
    height, width = img.shape[:2]
    ratio, _ = digit_framing(boxes, height)
    zoom = max(1.0, ratio / target_ratio)
    new_w = max(1, round(width * content_scale))
    new_h = max(1, round(height * content_scale))
    content = mmcv.imresize(img, (new_w, new_h), interpolation='area')
    canvas_w, canvas_h = round(new_w * zoom), round(new_h * zoom)
    # the photo's own colours and light, with nothing readable left
    canvas = mmcv.imresize(content, (canvas_w, canvas_h))
    sigma = max(canvas_w, canvas_h) / 8
    canvas = cv2.GaussianBlur(canvas, (0, 0), sigma)
    left = int(rng.integers(0, canvas_w - new_w + 1))
    top = int(rng.integers(0, canvas_h - new_h + 1))
    canvas[top:top + new_h, left:left + new_w] = content
    sx, sy = new_w / width, new_h / height
    moved = [[left + b[0] * sx, top + b[1] * sy, b[2] * sx, b[3] * sy, *b[4:]]
             for b in boxes]
    return canvas, moved


def match_length_mix(lengths: Dict[int, int], shares: Dict[int, float],
                     rng: np.random.Generator) -> List[int]:
    """The largest subsample whose number lengths follow ``shares``.

    Args:
        lengths (dict[int, int]): Image id -> number of digits.
        shares (dict[int, float]): Number of digits -> share wanted;
            lengths not in it are left out.
        rng (np.random.Generator): Draws which images stay.

    Returns:
        list[int]: The ids kept, in their original order.
    """
    groups: Dict[int, List[int]] = {}
    for img_id, n in lengths.items():
        if n in shares:
            groups.setdefault(n, []).append(img_id)
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
                  content_scale: Optional[float] = None,
                  progress: bool = True) -> Dict[str, float]:
    """Write a labelled split reframed as the test split frames photos.

    Args:
        data_root (str): Source dataset in the course layout.
        out_root (str): Destination; gets ``<split>/``, ``<split>.json``
            (numbered from 1) and ``framing.json`` (the source ids and the
            framing before and after).
        split (str): The labelled split to reframe, written under the same
            name (``tools/test.py --split valid`` reads it). Defaults to
            ``'valid'``.
        seed (int): Seed of the placements and the length subsample.
            Defaults to 0.
        match_lengths (bool): Subsample to the test split's mix of number
            lengths (the largest such subsample: 89 of svhn-mini's 200
            ``valid/`` images). Defaults to False.
        content_scale (float, optional): Resize factor of each photo;
            defaults to test / train median digit height in pixels.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: ``images``, and the median digit/image height ratio and
        digit height in pixels ``before`` and ``after``.
    """
    dst_dir = osp.join(out_root, split)
    if osp.isdir(dst_dir) and os.listdir(dst_dir):
        raise OutputExistsError(f'{dst_dir} is not empty; remove it first')
    if content_scale is None:
        content_scale = TEST_DIGIT_PX / TRAIN_DIGIT_PX
    coco = load_coco_json(osp.join(data_root, f'{split}.json'))
    boxes: Dict[int, list] = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        boxes[ann['image_id']].append(
            [*ann['bbox'],
             int(category_id_to_label(ann['category_id']))])
    images = [img for img in coco['images'] if boxes[img['id']]]
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
    for img in track_iter_progress(images) if progress else images:
        photo = mmcv.imread(osp.join(data_root, split, img['file_name']))
        own = boxes[img['id']]
        before.append(digit_framing(own, photo.shape[0]))
        new, moved = reframe(photo, own, to_test_ratio(before[-1][0]),
                             content_scale, rng)
        after.append(digit_framing(moved, new.shape[0]))
        items.append(dict(image=new, boxes=[tuple(b) for b in moved]))
    counts = write_split(items, '', out_root, split, False, False)
    summary = dict(
        images=counts['images'],
        ratio_before=float(np.median([r for r, _ in before])),
        ratio_after=float(np.median([r for r, _ in after])),
        digit_px_before=float(np.median([px for _, px in before])),
        digit_px_after=float(np.median([px for _, px in after])))
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
