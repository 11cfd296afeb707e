"""Reading a whole house number from digit detections (Task 2)."""
import inspect
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

#: What ``pred.csv`` holds for an image where no digit is kept.
NO_NUMBER = '-1'

#: Score threshold for reading numbers (and ``pred.csv``) when none was
#: chosen on validation.
DEFAULT_CSV_SCORE_THR = 0.5

#: Score thresholds tried when choosing the ``pred.csv`` threshold:
#: 0.05, 0.10, ..., 0.95.
SWEEP_THRS = tuple(float(t) for t in np.round(np.arange(0.05, 1.0, 0.05), 2))

#: Reader options: the keyword arguments of :func:`select_digits` after
#: ``score_thr``, which a ``reader_cfg`` dict may set.
READER_OPTIONS = ('nms_ios_thr', 'line_tol', 'height_tol')


def select_digits(bboxes: np.ndarray,
                  scores: np.ndarray,
                  score_thr: float = DEFAULT_CSV_SCORE_THR,
                  nms_ios_thr: float = 0.5,
                  line_tol: float = 0.5,
                  height_tol: float = 1.4) -> np.ndarray:
    """Choose the boxes a number is read from, in reading order.

    1. Boxes scoring at least ``score_thr`` go through class-agnostic
       greedy suppression, highest score first: a box is dropped when its
       intersection over the smaller box (IoS) with a kept box exceeds
       ``nms_ios_thr``, so one digit detected as two classes, or a small
       box inside a bigger one, is read once (IoS is never below the IoU,
       so this also drops what an IoU rule at the same threshold would).
    2. One line, one height: the best-scored box is the reference; a box
       whose centre is more than ``line_tol`` reference heights above or
       below the reference's, or whose height is more than ``height_tol``
       times the reference's (or less than its inverse), is dropped. A
       house number's digits share a line and a size; a window edge read
       as a tall ``1`` or a sign's digit below does not.
    3. The kept boxes are sorted by left edge; equal edges keep the higher
       score first.

    Args:
        bboxes (np.ndarray): (N, 4) boxes, ``x1, y1, x2, y2``.
        scores (np.ndarray): (N, ) scores.
        score_thr (float): Minimum score. Defaults to 0.5.
        nms_ios_thr (float): IoS above which a lower-scored box is dropped;
            1 keeps every box. Defaults to 0.5.
        line_tol (float): Largest centre offset from the reference, in
            its heights; ``inf`` turns the rule off. Defaults to 0.5.
        height_tol (float): Largest height ratio to the reference, either
            way; ``inf`` turns the rule off. Defaults to 1.4.

    The defaults were chosen on held-out test-framed photos
    (docs/synthetic.md#reading-for-it-one-line-one-height).

    Returns:
        np.ndarray: Indices of the kept boxes, left to right.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    keep = np.flatnonzero(scores >= score_thr)
    # highest score first; stable, so equal scores keep input order
    keep = keep[np.argsort(-scores[keep], kind='stable')]
    areas = np.prod(bboxes[:, 2:] - bboxes[:, :2], axis=1)
    eps = np.finfo(np.float32).eps
    kept: List[int] = []
    for i in keep:
        wh = np.minimum(bboxes[i, 2:], bboxes[kept, 2:]) - np.maximum(
            bboxes[i, :2], bboxes[kept, :2])
        inter = np.prod(np.maximum(wh, 0), axis=1)
        ios = inter / np.maximum(np.minimum(areas[i], areas[kept]), eps)
        if not (ios > nms_ios_thr).any():
            kept.append(i)
    keep = np.asarray(kept, dtype=np.int64)
    if keep.size > 1:
        heights = np.maximum(bboxes[keep, 3] - bboxes[keep, 1], eps)
        centres = (bboxes[keep, 1] + bboxes[keep, 3]) / 2
        ratios = np.maximum(heights / heights[0], heights[0] / heights)
        keep = keep[(np.abs(centres - centres[0]) <= line_tol * heights[0])
                    & (ratios <= height_tol)]
    # keep is in score order: a stable sort by x_min keeps it on ties
    return keep[np.argsort(bboxes[keep, 0], kind='stable')]


def read_number(bboxes: np.ndarray,
                scores: np.ndarray,
                labels: np.ndarray,
                score_thr: float = DEFAULT_CSV_SCORE_THR,
                **reader_cfg) -> Tuple[str, Optional[float]]:
    """Read the number that digit detections spell, with its score.

    Joins the labels (label ``i`` = digit ``i``) of the boxes
    :func:`select_digits` keeps (same arguments; ``reader_cfg``: its
    ``READER_OPTIONS``), left to right, leading zeros included. The score
    is the lowest among the digits read: a number is only right if every
    digit is.

    Returns:
        tuple[str, float | None]: The digits and their lowest score;
        ``('', None)`` when no box is kept.
    """
    keep = select_digits(bboxes, scores, score_thr, **reader_cfg)
    if keep.size == 0:
        return '', None
    labels = np.asarray(labels).reshape(-1)[keep]
    return (''.join(str(int(label)) for label in labels),
            float(np.asarray(scores).reshape(-1)[keep].min()))


def boxes_to_number(bboxes: np.ndarray,
                    scores: np.ndarray,
                    labels: np.ndarray,
                    score_thr: float = DEFAULT_CSV_SCORE_THR,
                    **reader_cfg) -> str:
    """The digits :func:`read_number` reads (same arguments), ``''`` when
    none is kept."""
    return read_number(bboxes, scores, labels, score_thr, **reader_cfg)[0]


def check_reader_cfg(reader_cfg: Optional[dict]) -> dict:
    """A plain-dict copy of reader options, ``{}`` for None.

    Raises:
        KeyError: An option not in ``READER_OPTIONS`` (a typo, or one the
            reader no longer has), at build time rather than after a
            whole validation.
    """
    reader_cfg = dict(reader_cfg or {})
    unknown = sorted(set(reader_cfg) - set(READER_OPTIONS))
    if unknown:
        raise KeyError(f'unknown reader option(s) {unknown}; known: '
                       f'{list(READER_OPTIONS)}')
    return reader_cfg


def resolve_reader_cfg(reader_cfg: Optional[dict] = None) -> dict:
    """Every reader option: :func:`select_digits`'s defaults updated with
    ``reader_cfg``, so a recorded copy reads the same if a default
    changes."""
    params = inspect.signature(select_digits).parameters
    return {
        **{name: params[name].default
           for name in READER_OPTIONS},
        **check_reader_cfg(reader_cfg)
    }


def gt_to_number(bboxes: np.ndarray, labels: np.ndarray) -> str:
    """The ground-truth number: the labels of ``(N, 4)`` boxes ``x1, y1,
    x2, y2`` sorted by left edge, ``''`` without boxes."""
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    order = np.argsort(bboxes[:, 0], kind='stable')
    return ''.join(str(int(label)) for label in np.asarray(labels)[order])


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance: the fewest single-element insertions,
    deletions and substitutions turning ``a`` into ``b``."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(
                min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def number_metrics(preds: Sequence[str],
                   gts: Sequence[str]) -> Dict[str, float]:
    """Whole-number metrics of read numbers (``''`` or ``'-1'``: none)
    against the ground-truth numbers in the same order.

    Returns:
        dict[str, float]: ``accuracy`` (exact match), ``count_accuracy``
        (right number of digits), ``char_error_rate`` (total edit distance
        / total GT digits) and ``acc_len{n}`` per GT length ``n``.
    """
    assert len(preds) == len(gts), 'one prediction per ground truth'
    preds = ['' if p == NO_NUMBER else p for p in preds]
    correct = np.array([p == g for p, g in zip(preds, gts)], dtype=bool)
    lengths = np.array([len(g) for g in gts])
    same_count = [len(p) == len(g) for p, g in zip(preds, gts)]
    metrics = OrderedDict()
    metrics['accuracy'] = float(correct.mean()) if len(gts) else 0.0
    metrics['count_accuracy'] = float(np.mean(same_count)) if len(gts) else 0.0
    metrics['char_error_rate'] = sum(
        edit_distance(p, g)
        for p, g in zip(preds, gts)) / max(1, int(lengths.sum()))
    for n in sorted(set(lengths.tolist())):
        metrics[f'acc_len{n}'] = float(correct[lengths == n].mean())
    return metrics


def sweep_score_thr(
        read: Callable[[float], Sequence[str]],
        gts: Sequence[str],
        thrs: Sequence[float] = SWEEP_THRS
) -> Tuple[float, float, List[float]]:
    """Find the score threshold of ``thrs`` at which ``read(thr)`` (every
    image's number, in the order of ``gts``) reads the most numbers right.

    Returns:
        tuple[float, float, list[float]]: The best threshold (the lowest on
        ties), its exact-match accuracy, and the accuracy at each of
        ``thrs``.
    """
    accuracies = [number_metrics(read(thr), gts)['accuracy'] for thr in thrs]
    best = int(np.argmax(accuracies))  # first maximum: the lowest threshold
    return float(thrs[best]), accuracies[best], accuracies
