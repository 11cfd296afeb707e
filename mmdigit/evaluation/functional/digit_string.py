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


def _pairwise_overlaps(box: np.ndarray,
                       boxes: np.ndarray) -> Tuple[np.ndarray, ...]:
    """IoU, intersection over the smaller box and x-overlap over the
    narrower width of one ``(4, )`` box against ``(N, 4)`` boxes."""
    ix = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    iy = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    ix, iy = np.maximum(ix, 0), np.maximum(iy, 0)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    eps = np.finfo(np.float32).eps
    iou = inter / np.maximum(area + areas - inter, eps)
    ios = inter / np.maximum(np.minimum(area, areas), eps)
    widths = np.minimum(box[2] - box[0], boxes[:, 2] - boxes[:, 0])
    xos = ix / np.maximum(widths, eps)
    return iou, ios, xos


def select_digits(bboxes: np.ndarray,
                  scores: np.ndarray,
                  score_thr: float = DEFAULT_CSV_SCORE_THR,
                  nms_iou_thr: float = 0.5,
                  nms_ios_thr: float = 0.5,
                  nms_x_thr: float = 1.0,
                  rel_score_thr: float = 0.0,
                  line_tol: float = float('inf'),
                  height_tol: float = float('inf'),
                  max_digits: int = 0) -> np.ndarray:
    """Choose the boxes a number is read from, in reading order.

    1. Keep boxes with ``score >= score_thr`` and
       ``score >= rel_score_thr * max(score)``.
    2. One line, one height: the highest-scored box is the reference; drop
       a box whose centre is more than ``line_tol`` reference heights above
       or below the reference centre, or whose height is more than
       ``height_tol`` times or less than ``1 / height_tol`` times the
       reference height.
    3. Class-agnostic greedy suppression, highest score first: drop a box
       whose IoU with a kept box exceeds ``nms_iou_thr``, whose
       intersection over the smaller of the two boxes exceeds
       ``nms_ios_thr``, or whose overlap along x over the narrower width
       exceeds ``nms_x_thr``. One digit detected as two classes otherwise
       reads as a doubled digit; a small box inside a big one has a small
       IoU but a large intersection over the smaller box.
    4. Keep the ``max_digits`` highest-scored boxes (``0``: all).
    5. Sort by left edge (``x_min``); equal edges keep the higher-scored
       box first.

    Every rule after the score threshold is off at its disabling value
    (``1`` for the suppression thresholds, ``0`` for ``rel_score_thr`` and
    ``max_digits``, ``inf`` for the tolerances). By default only the
    suppression by IoU and by intersection over the smaller box is on: the
    other rules read no more numbers right on held-out real photos
    (``tools/analysis_tools/tune_reader.py`` measures them). The
    intersection over the smaller box is never below the IoU, so at equal
    thresholds the IoU rule adds nothing; it stays for configs that set it.

    Args:
        bboxes (np.ndarray): (N, 4) boxes, ``x1, y1, x2, y2``.
        scores (np.ndarray): (N, ) scores.
        score_thr (float): Minimum score. Defaults to
            ``DEFAULT_CSV_SCORE_THR`` (0.5).
        nms_iou_thr (float): IoU above which a lower-scored box is dropped.
            Defaults to 0.5.
        nms_ios_thr (float): Intersection over the smaller box above which
            a lower-scored box is dropped. Defaults to 0.5, chosen on
            held-out real photos.
        nms_x_thr (float): Overlap along x over the narrower width above
            which a lower-scored box is dropped. Defaults to 1.0 (off).
        rel_score_thr (float): Minimum score as a fraction of the image's
            best score. Defaults to 0.0 (off).
        line_tol (float): Largest centre-y offset from the reference box,
            in reference heights. Defaults to inf (off).
        height_tol (float): Largest height ratio (either way) to the
            reference box. Defaults to inf (off).
        max_digits (int): Most digits read. Defaults to 0 (no limit).

    Returns:
        np.ndarray: Indices of the kept boxes, left to right.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    keep = np.flatnonzero(scores >= score_thr)
    if keep.size == 0:
        return keep
    # highest score first; stable, so equal scores keep input order
    keep = keep[np.argsort(-scores[keep], kind='stable')]
    if rel_score_thr > 0:
        keep = keep[scores[keep] >= rel_score_thr * scores[keep[0]]]
    if np.isfinite(line_tol) or np.isfinite(height_tol):
        eps = np.finfo(np.float32).eps
        ref = bboxes[keep[0]]
        ref_h = max(float(ref[3] - ref[1]), eps)
        boxes = bboxes[keep]
        heights = np.maximum(boxes[:, 3] - boxes[:, 1], eps)
        offsets = np.abs(boxes[:, 1] + boxes[:, 3] - ref[1] - ref[3]) / 2
        ratios = np.maximum(heights / ref_h, ref_h / heights)
        keep = keep[(offsets <= line_tol * ref_h) & (ratios <= height_tol)]
    if keep.size > 1 and min(nms_iou_thr, nms_ios_thr, nms_x_thr) < 1:
        kept: List[int] = []
        for i in keep:
            if kept:
                iou, ios, xos = _pairwise_overlaps(bboxes[i], bboxes[kept])
                if ((iou > nms_iou_thr).any() or (ios > nms_ios_thr).any()
                        or (xos > nms_x_thr).any()):
                    continue
            kept.append(i)
        keep = np.asarray(kept, dtype=np.int64)
    if max_digits > 0:
        keep = keep[:max_digits]
    # keep is in score order: a stable sort by x_min keeps it on ties
    return keep[np.argsort(bboxes[keep, 0], kind='stable')]


def _join_digits(labels: np.ndarray, keep: np.ndarray) -> str:
    """The digits of the kept boxes, in the order of ``keep``."""
    labels = np.asarray(labels).reshape(-1)
    return ''.join(str(int(label)) for label in labels[keep])


def boxes_to_number(bboxes: np.ndarray,
                    scores: np.ndarray,
                    labels: np.ndarray,
                    score_thr: float = DEFAULT_CSV_SCORE_THR,
                    **reader_cfg) -> str:
    """Read the number that digit detections spell.

    Joins the labels of the boxes :func:`select_digits` keeps, left to
    right. Leading zeros are kept: the string is what the image shows.

    Args:
        bboxes (np.ndarray): (N, 4) boxes, ``x1, y1, x2, y2``.
        scores (np.ndarray): (N, ) scores.
        labels (np.ndarray): (N, ) labels, label ``i`` = digit ``i``.
        score_thr (float): Minimum score. Defaults to
            ``DEFAULT_CSV_SCORE_THR`` (0.5).
        **reader_cfg: Reader options of :func:`select_digits`
            (``READER_OPTIONS``); left out, they keep its defaults.

    Returns:
        str: The digits, or ``''`` when none is kept.
    """
    keep = select_digits(bboxes, scores, score_thr, **reader_cfg)
    return _join_digits(labels, keep)


def read_number(bboxes: np.ndarray,
                scores: np.ndarray,
                labels: np.ndarray,
                score_thr: float = DEFAULT_CSV_SCORE_THR,
                **reader_cfg) -> Tuple[str, Optional[float]]:
    """Read the number as :func:`boxes_to_number` does (the arguments are
    its own), with its score: the lowest score among its digits (a number is
    only right if every digit is).

    Returns:
        tuple[str, float | None]: The digits (``''`` when none is kept) and
        their lowest score (None when none is kept).
    """
    keep = select_digits(bboxes, scores, score_thr, **reader_cfg)
    number = _join_digits(labels, keep)
    if not number:
        return number, None
    return number, float(np.asarray(scores).reshape(-1)[keep].min())


#: Reader options: the keyword arguments of :func:`select_digits` after
#: ``score_thr``. A ``reader_cfg`` dict holds some of them; the rest keep
#: their defaults there.
READER_OPTIONS = tuple(inspect.signature(select_digits).parameters)[3:]


def check_reader_cfg(reader_cfg: Optional[dict]) -> dict:
    """Validate reader options early (a typo fails at build time, not after
    a whole validation).

    Args:
        reader_cfg (dict, optional): Reader options (``READER_OPTIONS``),
            e.g. ``dict(nms_ios_thr=0.6)``.

    Returns:
        dict: A plain-dict copy, ``{}`` for None.

    Raises:
        KeyError: An option not in ``READER_OPTIONS``.
    """
    reader_cfg = dict(reader_cfg or {})
    unknown = sorted(set(reader_cfg) - set(READER_OPTIONS))
    if unknown:
        raise KeyError(f'unknown reader option(s) {unknown}; known: '
                       f'{list(READER_OPTIONS)}')
    return reader_cfg


def resolve_reader_cfg(reader_cfg: Optional[dict] = None) -> dict:
    """Every reader option: :func:`select_digits`'s defaults updated with
    ``reader_cfg``, so a recorded copy keeps reading the same way when the
    defaults change.

    Args:
        reader_cfg (dict, optional): Some reader options.

    Returns:
        dict: One value per name of ``READER_OPTIONS``.
    """
    params = inspect.signature(select_digits).parameters
    options = {name: params[name].default for name in READER_OPTIONS}
    options.update(check_reader_cfg(reader_cfg))
    return options


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
            cur.append(
                min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
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
    same_count = [len(p) == len(g) for p, g in zip(preds, gts)]
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


#: One image's detections: ``(bboxes, scores, labels)``.
_Detections = Tuple[np.ndarray, np.ndarray, np.ndarray]


def sweep_reader_options(detections: Sequence[_Detections],
                         gts: Sequence[str],
                         grid: Dict[str, Sequence],
                         reader_cfg: Optional[dict] = None,
                         score_thr: float = DEFAULT_CSV_SCORE_THR,
                         thrs: Sequence[float] = SWEEP_THRS) -> List[dict]:
    """Number metrics of reader variants, one option changed at a time.

    Each variant is ``reader_cfg`` with one option of ``grid`` set to one
    of its values; it is scored at ``score_thr`` and at the threshold of
    ``thrs`` that reads the most numbers right (as ``DigitStringMetric``
    chooses ``best_thr``).

    Args:
        detections (Sequence[tuple]): ``(bboxes, scores, labels)`` per
            image, in the order of ``gts``.
        gts (Sequence[str]): Ground-truth numbers.
        grid (dict[str, Sequence]): Values to try per reader option.
        reader_cfg (dict, optional): The options the variants start from;
            None for the reader's defaults.
        score_thr (float): Fixed threshold also reported. Defaults to
            ``DEFAULT_CSV_SCORE_THR`` (0.5).
        thrs (Sequence[float]): Thresholds of the sweep. Defaults to
            ``SWEEP_THRS``.

    Returns:
        list[dict]: The base variant first (``option`` and ``value`` None),
        then one row per option value: ``option``, ``value``, ``reader_cfg``
        and, for ``'fixed'`` (at ``score_thr``) and ``'best'`` (at
        ``best_thr``), ``{key}_accuracy``, ``{key}_count_accuracy`` and
        ``{key}_char_error_rate``, plus ``best_thr``.
    """
    base = check_reader_cfg(reader_cfg)
    check_reader_cfg(grid)
    variants = [(None, None, base)]
    for option, values in grid.items():
        for value in values:
            variants.append((option, value, {**base, option: value}))
    rows = []
    for option, value, cfg in variants:

        def read(thr: float, cfg: dict = cfg) -> List[str]:
            return [
                boxes_to_number(bboxes, scores, labels, thr, **cfg)
                for bboxes, scores, labels in detections
            ]

        best_thr, _, _ = sweep_score_thr(read, gts, thrs)
        row = dict(option=option, value=value, reader_cfg=cfg)
        for key, thr in (('fixed', score_thr), ('best', best_thr)):
            metrics = number_metrics(read(thr), gts)
            for name in ('accuracy', 'count_accuracy', 'char_error_rate'):
                row[f'{key}_{name}'] = metrics[name]
        row['best_thr'] = best_thr
        rows.append(row)
    return rows
