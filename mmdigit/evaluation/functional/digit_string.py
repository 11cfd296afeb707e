"""Reading a whole house number from digit detections (Task 2)."""
from collections import OrderedDict
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

#: What ``pred.csv`` holds for an image where no digit is kept.
NO_NUMBER = '-1'

#: Score thresholds tried when choosing the ``pred.csv`` threshold:
#: 0.05, 0.10, ..., 0.95.
SWEEP_THRS = tuple(float(t) for t in np.round(np.arange(0.05, 1.0, 0.05), 2))


def boxes_to_number(bboxes: np.ndarray,
                    scores: np.ndarray,
                    labels: np.ndarray,
                    score_thr: float = 0.5,
                    nms_iou_thr: float = 0.5) -> str:
    """Read the number that digit detections spell.

    1. Keep boxes with ``score >= score_thr``.
    2. Class-agnostic suppression: drop a box whose IoU with a higher-scored
       kept box exceeds ``nms_iou_thr``; otherwise one digit detected as two
       classes reads as a doubled digit. ``nms_iou_thr >= 1`` disables it.
    3. Sort the survivors by left edge (``x_min``); equal edges keep the
       higher-scored box first. Join their labels.

    Leading zeros are kept: the string is what the image shows.

    Args:
        bboxes (np.ndarray): (N, 4) boxes, ``x1, y1, x2, y2``.
        scores (np.ndarray): (N, ) scores.
        labels (np.ndarray): (N, ) labels, label ``i`` = digit ``i``.
        score_thr (float): Minimum score. Defaults to 0.5.
        nms_iou_thr (float): IoU above which a lower-scored box is dropped.
            Defaults to 0.5.

    Returns:
        str: The digits, or ``''`` when none is kept.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    keep = np.flatnonzero(scores >= score_thr)
    if keep.size == 0:
        return ''
    if nms_iou_thr < 1 and keep.size > 1:
        from mmcv.ops import nms
        _, inds = nms(bboxes[keep], scores[keep], nms_iou_thr)
        keep = keep[np.asarray(inds, dtype=np.int64)]
    # Highest score first, then a stable sort by x_min: ties keep score order.
    keep = keep[np.argsort(-scores[keep], kind='stable')]
    keep = keep[np.argsort(bboxes[keep, 0], kind='stable')]
    return ''.join(str(int(label)) for label in labels[keep])


def gt_to_number(bboxes: np.ndarray, labels: np.ndarray) -> str:
    """Read the ground-truth number: labels sorted by left edge.

    Args:
        bboxes (np.ndarray): (N, 4) boxes, ``x1, y1, x2, y2``.
        labels (np.ndarray): (N, ) labels.

    Returns:
        str: The digits, ``''`` for an image without boxes.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    order = np.argsort(bboxes[:, 0], kind='stable')
    return ''.join(str(int(label)) for label in np.asarray(labels)[order])


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance (insertions, deletions, substitutions).

    Args:
        a (Sequence): First sequence.
        b (Sequence): Second sequence.

    Returns:
        int: Minimum number of single-element edits turning ``a`` into ``b``.
    """
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1,
                           prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def number_metrics(preds: Sequence[str],
                   gts: Sequence[str]) -> Dict[str, float]:
    """Whole-number metrics of read numbers against ground truth.

    ``''`` and ``'-1'`` both mean "no number read".

    Args:
        preds (Sequence[str]): Read numbers.
        gts (Sequence[str]): Ground-truth numbers, same order.

    Returns:
        dict[str, float]: ``accuracy`` (exact match), ``count_accuracy``
        (right number of digits), ``char_error_rate`` (total edit distance
        / total GT digits) and ``acc_len{n}`` per GT length ``n``.
    """
    assert len(preds) == len(gts), 'one prediction per ground truth'
    preds = ['' if p == NO_NUMBER else p for p in preds]
    correct = np.array([p == g for p, g in zip(preds, gts)], dtype=bool)
    lengths = np.array([len(g) for g in gts])
    metrics = OrderedDict()
    metrics['accuracy'] = float(correct.mean()) if len(gts) else 0.0
    metrics['count_accuracy'] = float(
        np.mean([len(p) == len(g) for p, g in zip(preds, gts)])
    ) if len(gts) else 0.0
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
    """Find the score threshold that reads the most numbers right.

    Args:
        read (Callable[[float], Sequence[str]]): Reads every image's number
            at a threshold, in the order of ``gts``.
        gts (Sequence[str]): Ground-truth numbers.
        thrs (Sequence[float]): Thresholds to try. Defaults to
            ``SWEEP_THRS`` (0.05, 0.10, ..., 0.95).

    Returns:
        tuple[float, float, list[float]]: The best threshold (the lowest on
        ties), its exact-match accuracy, and the accuracy at each of
        ``thrs``.
    """
    accuracies = [number_metrics(read(thr), gts)['accuracy'] for thr in thrs]
    best = int(np.argmax(accuracies))  # first maximum: the lowest threshold
    return float(thrs[best]), accuracies[best], accuracies
