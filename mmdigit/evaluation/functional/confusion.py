"""Digit confusion matrix of a submission against labelled boxes."""
from collections import defaultdict
from typing import Dict, List, Sequence, Union

import mmengine
import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

from ...utils.digits import category_id_to_label, xywh_to_xyxy

#: Index of the extra row/column: a missed GT digit / a box with no GT.
BACKGROUND = 10


def digit_confusion_matrix(detections: Sequence[dict],
                           ann: Union[str, dict],
                           score_thr: float = 0.5,
                           iou_thr: float = 0.5) -> np.ndarray:
    """Count which digit each labelled digit of ``ann`` (a COCO json, path
    or loaded) was detected as in ``detections`` (``pred.json`` entries):
    per image, boxes scoring ``score_thr``, best first, each matched to the
    free GT box it overlaps most (IoU >= ``iou_thr``).

    Returns:
        np.ndarray: ``(11, 11)`` counts, row = GT digit, column = predicted
        digit, index :data:`BACKGROUND` = none.
    """
    if isinstance(ann, str):
        ann = mmengine.load(ann, file_format='json')
    gt: Dict[int, List[dict]] = defaultdict(list)
    for a in ann['annotations']:
        gt[a['image_id']].append(a)
    preds: Dict[int, List[dict]] = defaultdict(list)
    for d in detections:
        if d['score'] >= score_thr:
            preds[int(d['image_id'])].append(d)
    matrix = np.zeros((11, 11), dtype=np.int64)
    for img in ann['images']:
        gts = gt[img['id']]
        boxes = xywh_to_xyxy([g['bbox'] for g in gts])
        free = np.ones(len(gts), dtype=bool)
        for d in sorted(preds[img['id']], key=lambda d: -d['score']):
            pred = category_id_to_label(d['category_id'])
            overlaps = bbox_overlaps(xywh_to_xyxy([d['bbox']]), boxes)[0]
            ious = np.where(free, overlaps, -1)
            if len(ious) and ious.max() >= iou_thr:
                j = int(ious.argmax())
                free[j] = False
                matrix[category_id_to_label(gts[j]['category_id']), pred] += 1
            else:
                matrix[BACKGROUND, pred] += 1
        for j in np.flatnonzero(free):
            matrix[category_id_to_label(gts[j]['category_id']),
                   BACKGROUND] += 1
    return matrix
