"""Ensembling submissions with weighted boxes fusion (WBF)."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...utils.digits import xywh_to_xyxy
from .digit_string import check_reader_cfg
from .submission import (DEFAULT_CSV_SCORE_THR, coco_detections,
                         load_submission, read_numbers)

#: ``conf_type`` values of :func:`mmdet.models.utils.weighted_boxes_fusion`.
CONF_TYPES = ('avg', 'max', 'box_and_model_avg', 'absent_model_aware_avg')


def check_weights(weights: Optional[Sequence[float]],
                  num: int,
                  name: str = 'weights') -> List[float]:
    """One positive weight per submission (1 each for None).

    Raises:
        ValueError: The wrong number of weights, or one not positive.
    """
    if weights is None:
        return [1.0] * num
    if len(weights) != num:
        raise ValueError(f'{len(weights)} {name} for {num} submissions')
    if min(weights) <= 0:
        raise ValueError(f'{name} must be positive, got {list(weights)}')
    return list(weights)


def fuse_detections(submissions: Sequence[Sequence[dict]],
                    weights: Optional[Sequence[float]] = None,
                    iou_thr: float = 0.55,
                    skip_box_thr: float = 0.0,
                    conf_type: str = 'avg') -> List[dict]:
    """Fuse several models' ``pred.json`` entries image by image with
    mmdet's :func:`~mmdet.models.utils.weighted_boxes_fusion`.

    Category ids are the labels, so only boxes of the same digit fuse. A
    fused box is the score-weighted mean of its cluster; with
    ``conf_type='avg'`` its score is the weighted mean score times
    ``min(#models, #boxes) / sum(weights)``: a digit that only some models
    found scores lower.

    Args:
        submissions (Sequence[Sequence[dict]]): One ``pred.json`` list per
            model.
        weights (Sequence[float], optional): One positive weight per model
            (:func:`check_weights`).
        iou_thr (float): IoU above which a box joins a cluster.
        skip_box_thr (float): Boxes scoring under this are dropped first.
        conf_type (str): One of ``CONF_TYPES``.

    Returns:
        list[dict]: Fused ``pred.json`` entries, by ``image_id`` and then by
        decreasing score.
    """
    from mmdet.models.utils import weighted_boxes_fusion

    # mmdet's function prints and carries on with weights 1 for a wrong
    # number of weights, and calls exit() for an unknown conf_type
    if not submissions:
        raise ValueError('nothing to fuse: no submission given')
    weights = check_weights(weights, len(submissions))
    if conf_type not in CONF_TYPES:
        raise ValueError(f'conf_type must be one of {CONF_TYPES}, not '
                         f'{conf_type!r}')

    # {image_id: [per-model list of entries]}
    by_image: Dict[int, List[List[dict]]] = defaultdict(
        lambda: [[] for _ in submissions])
    for model, detections in enumerate(submissions):
        for det in detections:
            by_image[int(det['image_id'])][model].append(det)

    fused = []
    for img_id in sorted(by_image):
        per_model = by_image[img_id]
        bboxes, scores, labels = weighted_boxes_fusion(
            [xywh_to_xyxy([d['bbox'] for d in dets]) for dets in per_model],
            [np.array([d['score'] for d in dets]) for dets in per_model],
            [np.array([d['category_id'] for d in dets]) for dets in per_model],
            weights=weights,
            iou_thr=iou_thr,
            skip_box_thr=skip_box_thr,
            conf_type=conf_type)
        fused += coco_detections(img_id, bboxes, scores.tolist(),
                                 labels.tolist())
    return fused


def fuse_submissions(
    paths: Sequence[str],
    weights: Optional[Sequence[float]] = None,
    iou_thr: float = 0.55,
    skip_box_thr: float = 0.0,
    conf_type: str = 'avg',
    csv_score_thr: float = DEFAULT_CSV_SCORE_THR,
    reader_cfg: Optional[dict] = None
) -> Tuple[List[dict], List[Tuple[int, str]]]:
    """Fuse several submissions (folders or zips) of the same images:
    ``pred.json`` with :func:`fuse_detections` (the arguments it has), then
    ``pred.csv`` read from the fused boxes (:func:`read_numbers` at
    ``csv_score_thr`` with ``reader_cfg``), one row for every image with a
    row in any input.

    Returns:
        tuple[list[dict], list[tuple[int, str]]]: Fused ``pred.json``
        entries and ``(image_id, pred_label)`` rows in ``image_id`` order.
    """
    reader_cfg = check_reader_cfg(reader_cfg)
    submissions = [load_submission(path) for path in paths]
    detections = fuse_detections([dets for dets, _ in submissions], weights,
                                 iou_thr, skip_box_thr, conf_type)
    img_ids = sorted(set().union(*(labels for _, labels in submissions)))
    return detections, read_numbers(detections, img_ids, csv_score_thr,
                                    **reader_cfg)
