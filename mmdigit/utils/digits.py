"""The digit classes and the conversions between their encodings: a
model's label is the digit, the course's COCO ``category_id`` the digit + 1;
COCO boxes are ``[x, y, w, h]``, mmdet's ``[x1, y1, x2, y2]``. Imports only
numpy, so every part of the package can use it."""
from typing import Dict, List, Sequence, Tuple, TypeVar, Union

import numpy as np

#: Class names in label order (label ``i`` is digit ``i``).
DIGIT_CLASSES: Tuple[str, ...] = tuple(str(d) for d in range(10))

_Ids = TypeVar('_Ids', int, np.integer, np.ndarray)
_Boxes = Union[np.ndarray, Sequence[Sequence[float]]]


def label_to_category_id(label: _Ids) -> _Ids:
    """COCO ``category_id`` (``label + 1``) of label(s), of the input's type
    (a list or tuple gives an array)."""
    ids = np.asarray(label) if isinstance(label, (list, tuple)) else label
    return ids + 1


def category_id_to_label(category_id: _Ids) -> _Ids:
    """Label (``category_id - 1``) of COCO category id(s), of the input's
    type (a list or tuple gives an array)."""
    ids = category_id
    if isinstance(category_id, (list, tuple)):
        ids = np.asarray(category_id)
    return ids - 1


#: COCO ``categories`` of the course json.
DIGIT_CATEGORIES: List[Dict[str, Union[int, str]]] = [
    dict(id=label_to_category_id(d), name=name)
    for d, name in enumerate(DIGIT_CLASSES)
]


def xywh_to_xyxy(boxes: _Boxes, dtype=np.float32) -> np.ndarray:
    """COCO ``[x, y, w, h]`` boxes as a new (N, 4) ``[x1, y1, x2, y2]``
    array of ``dtype`` (``[]`` gives (0, 4))."""
    boxes = np.array(boxes, dtype=dtype).reshape(-1, 4)
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def xyxy_to_xywh(boxes: _Boxes, dtype=np.float32) -> np.ndarray:
    """``[x1, y1, x2, y2]`` boxes as a new (N, 4) COCO ``[x, y, w, h]``
    array of ``dtype`` (``np.float64``: Python float arithmetic)."""
    boxes = np.array(boxes, dtype=dtype).reshape(-1, 4)
    boxes[:, 2:] -= boxes[:, :2]
    return boxes
