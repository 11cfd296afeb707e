"""Reading a whole house number from digit detections (Task 2)."""
import inspect
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

#: What ``pred.csv`` holds for an image where no digit is kept.
NO_NUMBER = '-1'

#: Score threshold of numbers (and ``pred.csv``) when none was chosen on
#: validation.
DEFAULT_CSV_SCORE_THR = 0.5

#: Thresholds the ``pred.csv`` threshold is chosen from: 0.05, ..., 0.95.
SWEEP_THRS = tuple(float(t) for t in np.round(np.arange(0.05, 1.0, 0.05), 2))

#: The options of :func:`select_digits` a ``reader_cfg`` dict may set.
READER_OPTIONS = ('nms_ios_thr', 'line_tol', 'height_tol')


def select_digits(bboxes: np.ndarray,
                  scores: np.ndarray,
                  score_thr: float = DEFAULT_CSV_SCORE_THR,
                  nms_ios_thr: float = 0.5,
                  line_tol: float = 0.5,
                  height_tol: float = 1.4) -> np.ndarray:
    """Choose the boxes a number is read from, in reading order.

    1. Boxes scoring ``score_thr`` go through class-agnostic greedy
       suppression, best first: a box whose intersection over the smaller
       box (IoS, never below the IoU) with a kept one exceeds
       ``nms_ios_thr`` is dropped, so a digit found as two classes, or a
       box inside a bigger one, is read once (1: keep all).
    2. One line, one height: a box whose centre is more than ``line_tol``
       heights of the best box off its centre, or whose height ratio to it
       exceeds ``height_tol`` either way, is dropped (a window edge read as
       ``1``, a sign's digit below); ``inf`` turns a rule off.
    3. The rest are sorted by left edge, ties by score.

    The defaults were chosen on held-out test-framed photos
    (docs/synthetic.md#reading-for-it-one-line-one-height).

    Args:
        bboxes (np.ndarray): (N, 4) boxes, ``x1, y1, x2, y2``.
        scores (np.ndarray): (N, ) scores.

    Returns:
        np.ndarray: Indices of the kept boxes, left to right.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    keep = np.flatnonzero(scores >= score_thr)
    # highest score first; stable, so equal scores keep input order
    keep = keep[np.argsort(-scores[keep], kind='stable')]
    iof = bbox_overlaps(bboxes[keep], bboxes[keep], mode='iof')
    ios = np.maximum(iof, iof.T)  # over the smaller box
    kept: List[int] = []
    for i in range(keep.size):
        if not (ios[i, kept] > nms_ios_thr).any():
            kept.append(i)
    keep = keep[kept]
    if keep.size > 1:
        heights = np.maximum(bboxes[keep, 3] - bboxes[keep, 1],
                             np.finfo(np.float32).eps)
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
    """The number digit detections spell (label ``i``: digit ``i``) and its
    score, the lowest of its digits': a number is right only if every
    digit is.

    The digits are those :func:`select_digits` keeps (same arguments,
    ``reader_cfg`` its ``READER_OPTIONS``), leading zeros included.

    Returns:
        tuple[str, float | None]: ``('', None)`` when no box is kept.
    """
    keep = select_digits(bboxes, scores, score_thr, **reader_cfg)
    if keep.size == 0:
        return '', None
    labels = np.asarray(labels).reshape(-1)[keep]
    return (''.join(str(int(label)) for label in labels),
            float(np.asarray(scores).reshape(-1)[keep].min()))


def number_instances(sample):
    """The boxes a prediction's number is read from: its
    ``number_instances`` where the reading model keeps them apart from the
    ``pred_instances`` of ``pred.json``
    (:class:`~mmdigit.models.DigitScaleNormTTAModel` with ``fuse``), else
    its ``pred_instances``.

    Args:
        sample (DetDataSample | dict): A prediction, or its ``to_dict()``.
    """
    instances = sample.get('number_instances')
    return sample.get('pred_instances') if instances is None else instances


def instances_to_numpy(instances) -> Tuple[np.ndarray, ...]:
    """``(bboxes, scores, labels)`` of an ``InstanceData`` (or its dict) as
    numpy arrays, :func:`read_number`'s first arguments."""
    return tuple(instances[key].cpu().numpy()
                 for key in ('bboxes', 'scores', 'labels'))


def check_reader_cfg(reader_cfg: Optional[dict]) -> dict:
    """A plain-dict copy of reader options, ``{}`` for None; a
    :class:`KeyError` names options not in ``READER_OPTIONS`` (at build
    time, not after a whole validation)."""
    reader_cfg = dict(reader_cfg or {})
    unknown = sorted(set(reader_cfg) - set(READER_OPTIONS))
    if unknown:
        raise KeyError(f'unknown reader option(s) {unknown}; known: '
                       f'{list(READER_OPTIONS)}')
    return reader_cfg


def resolve_reader_cfg(reader_cfg: Optional[dict] = None) -> dict:
    """Every reader option, ``reader_cfg`` over :func:`select_digits`'s
    defaults, so a recorded copy reads the same if a default changes."""
    params = inspect.signature(select_digits).parameters
    defaults = {name: params[name].default for name in READER_OPTIONS}
    return {**defaults, **check_reader_cfg(reader_cfg)}


def gt_to_number(bboxes: np.ndarray, labels: np.ndarray) -> str:
    """The ground-truth number: the labels of ``(N, 4)`` boxes ``x1, y1,
    x2, y2`` by left edge, ``''`` without boxes."""
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    order = np.argsort(bboxes[:, 0], kind='stable')
    return ''.join(str(int(label)) for label in np.asarray(labels)[order])


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance of two sequences."""
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
    """Metrics of read numbers (``''`` or ``'-1'``: none) against the GT
    numbers in the same order: ``accuracy`` (exact match),
    ``count_accuracy`` (right number of digits), ``char_error_rate`` (edit
    distance per GT digit) and ``acc_len{n}`` per GT length ``n``."""
    assert len(preds) == len(gts), 'one prediction per ground truth'
    preds = ['' if p == NO_NUMBER else p for p in preds]
    correct = np.array([p == g for p, g in zip(preds, gts)], dtype=bool)
    lengths = np.array([len(g) for g in gts], dtype=np.int64)
    same_count = [len(p) == len(g) for p, g in zip(preds, gts)]
    metrics = dict(
        accuracy=float(correct.mean()) if len(gts) else 0.0,
        count_accuracy=float(np.mean(same_count)) if len(gts) else 0.0,
        char_error_rate=sum(map(edit_distance, preds, gts)) /
        max(1, int(lengths.sum())))
    for n in np.unique(lengths):
        metrics[f'acc_len{n}'] = float(correct[lengths == n].mean())
    return metrics


def sweep_score_thr(
        read: Callable[[float], Sequence[str]],
        gts: Sequence[str],
        thrs: Sequence[float] = SWEEP_THRS
) -> Tuple[float, float, List[float]]:
    """The threshold of ``thrs`` at which ``read(thr)`` (every image's
    number, in the order of ``gts``) reads the most numbers right.

    Returns:
        tuple[float, float, list[float]]: The best threshold (the lowest on
        ties), its accuracy, and the accuracy at each of ``thrs``.
    """
    accuracies = [number_metrics(read(thr), gts)['accuracy'] for thr in thrs]
    best = int(np.argmax(accuracies))  # first maximum: the lowest threshold
    return float(thrs[best]), accuracies[best], accuracies
