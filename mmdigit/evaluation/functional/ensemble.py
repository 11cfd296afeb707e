"""Ensembling submissions with weighted boxes fusion (WBF)."""
from collections import defaultdict
from typing import List, Optional, Sequence

import numpy as np

from ...utils.digits import xywh_to_xyxy
from .submission import coco_detections

#: ``conf_type`` values of :func:`mmdet.models.utils.weighted_boxes_fusion`.
CONF_TYPES = ('avg', 'max', 'box_and_model_avg', 'absent_model_aware_avg')


def check_weights(weights: Optional[Sequence[float]],
                  num: int,
                  name: str = 'weights') -> List[float]:
    """One positive weight per submission (1 each for None)."""
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
    """Fuse several models' ``pred.json`` entries image by image with mmdet's
    :func:`~mmdet.models.utils.weighted_boxes_fusion` (docs/ensembling.md).

    Returns:
        list[dict]: Fused entries, by ``image_id``, then by decreasing score.
    """
    from mmdet.models.utils import weighted_boxes_fusion

    # mmdet's function carries on with weights 1 for a wrong number of
    # weights, and calls exit() for an unknown conf_type
    if not submissions:
        raise ValueError('nothing to fuse: no submission given')
    weights = check_weights(weights, len(submissions))
    if conf_type not in CONF_TYPES:
        raise ValueError(f'conf_type must be one of {CONF_TYPES}, not '
                         f'{conf_type!r}')
    by_image = defaultdict(lambda: [[] for _ in submissions])
    for model, detections in enumerate(submissions):
        for det in detections:
            by_image[int(det['image_id'])][model].append(det)
    fused = []
    for img_id, per_model in sorted(by_image.items()):
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
