"""The digit classes and the conversions between their encodings.

The one place that defines how digits and boxes are written:

- a model's **label** is the digit itself, ``0`` ... ``9``
  (``DIGIT_CLASSES`` is the dataset metainfo ``classes``);
- the course's COCO json numbers the categories from one:
  ``category_id = digit + 1`` (``DIGIT_CATEGORIES``), so the category of
  digit ``0`` is ``1`` and that of ``9`` is ``10``;
- COCO boxes are ``[x, y, w, h]``, mmdet boxes ``[x1, y1, x2, y2]``, both in
  pixels.

Only numpy is imported here, so every part of the package can use it.
"""
from typing import Dict, List, Sequence, Tuple, TypeVar, Union

import numpy as np

#: Class names in label order (label ``i`` is digit ``i``): the dataset
#: metainfo ``classes``.
DIGIT_CLASSES: Tuple[str, ...] = tuple(str(d) for d in range(10))

#: The one offset between a label and its COCO ``category_id``.
_CATEGORY_OFFSET = 1

_Ids = TypeVar('_Ids', int, np.integer, np.ndarray)


def label_to_category_id(label: _Ids) -> _Ids:
    """COCO ``category_id`` of a label: ``category_id = digit + 1``.

    Args:
        label (int | np.integer | np.ndarray): Label(s), i.e. digit(s)
            ``0`` ... ``9``. A list or tuple is read as an array.

    Returns:
        int | np.integer | np.ndarray: ``label + 1``, of the input's type
        (an int stays an int, an array stays an array of its dtype).

    Example:
        >>> label_to_category_id(0)
        1
        >>> label_to_category_id(np.array([0, 9]))
        array([ 1, 10])
    """
    if isinstance(label, (list, tuple)):
        label = np.asarray(label)
    return label + _CATEGORY_OFFSET


def category_id_to_label(category_id: _Ids) -> _Ids:
    """Label of a COCO ``category_id``: the inverse of
    :func:`label_to_category_id` (``digit = category_id - 1``).

    Args:
        category_id (int | np.integer | np.ndarray): Category id(s),
            ``1`` ... ``10``. A list or tuple is read as an array.

    Returns:
        int | np.integer | np.ndarray: ``category_id - 1``, of the input's
        type.

    Example:
        >>> category_id_to_label(10)
        9
    """
    if isinstance(category_id, (list, tuple)):
        category_id = np.asarray(category_id)
    return category_id - _CATEGORY_OFFSET


#: COCO ``categories`` of the course json, ``{id: digit + 1, name: digit}``
#: for digits 0 ... 9.
DIGIT_CATEGORIES: List[Dict[str, Union[int, str]]] = [
    dict(id=label_to_category_id(d), name=name)
    for d, name in enumerate(DIGIT_CLASSES)
]


def xywh_to_xyxy(boxes: Union[np.ndarray, Sequence[Sequence[float]]],
                 dtype: Union[type, np.dtype] = np.float32) -> np.ndarray:
    """COCO ``[x, y, w, h]`` boxes as ``[x1, y1, x2, y2]``.

    Args:
        boxes (np.ndarray | Sequence[Sequence[float]]): (N, 4) boxes,
            possibly none (``[]`` gives a (0, 4) array).
        dtype (type | np.dtype): Dtype of the result, in which the sum is
            taken. Defaults to ``np.float32``, mmdet's box dtype.

    Returns:
        np.ndarray: A new (N, 4) array; the input is not changed.
    """
    boxes = np.array(boxes, dtype=dtype).reshape(-1, 4)
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def xyxy_to_xywh(boxes: Union[np.ndarray, Sequence[Sequence[float]]],
                 dtype: Union[type, np.dtype] = np.float32) -> np.ndarray:
    """``[x1, y1, x2, y2]`` boxes as COCO ``[x, y, w, h]``.

    Args:
        boxes (np.ndarray | Sequence[Sequence[float]]): (N, 4) boxes,
            possibly none (``[]`` gives a (0, 4) array).
        dtype (type | np.dtype): Dtype of the result, in which the
            difference is taken. Defaults to ``np.float32``, mmdet's box
            dtype; ``np.float64`` gives the same numbers as Python floats.

    Returns:
        np.ndarray: A new (N, 4) array; the input is not changed.
    """
    boxes = np.array(boxes, dtype=dtype).reshape(-1, 4)
    boxes[:, 2:] -= boxes[:, :2]
    return boxes
