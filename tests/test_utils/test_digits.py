import numpy as np
import pytest

from mmdigit.utils import (DIGIT_CATEGORIES, DIGIT_CLASSES,
                           category_id_to_label, label_to_category_id,
                           xywh_to_xyxy, xyxy_to_xywh)


def test_classes_and_categories():
    assert DIGIT_CLASSES == ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
    assert DIGIT_CATEGORIES == [dict(id=d + 1, name=str(d)) for d in range(10)]
    # key order matters: the list is written to json as it is
    assert list(DIGIT_CATEGORIES[0]) == ['id', 'name']
    assert all(type(c['id']) is int for c in DIGIT_CATEGORIES)


def test_label_category_id_round_trip():
    assert label_to_category_id(0) == 1
    assert label_to_category_id(9) == 10
    assert category_id_to_label(1) == 0
    assert category_id_to_label(10) == 9
    for d in range(10):
        cat = label_to_category_id(d)
        assert type(cat) is int
        assert category_id_to_label(cat) == d
        assert DIGIT_CATEGORIES[d] == dict(id=cat, name=DIGIT_CLASSES[d])


def test_label_category_id_arrays():
    labels = np.array([0, 3, 9], dtype=np.int64)
    cats = label_to_category_id(labels)
    assert cats.dtype == np.int64
    np.testing.assert_array_equal(cats, [1, 4, 10])
    np.testing.assert_array_equal(category_id_to_label(cats), labels)
    np.testing.assert_array_equal(label_to_category_id([0, 9]), [1, 10])
    assert label_to_category_id(np.array([], dtype=int)).shape == (0, )


def test_box_conversions():
    xywh = [[1.5, 2.0, 3.0, 4.25], [0, 0, 10, 20]]
    xyxy = xywh_to_xyxy(xywh)
    assert xyxy.dtype == np.float32 and xyxy.shape == (2, 4)
    np.testing.assert_array_equal(xyxy,
                                  [[1.5, 2.0, 4.5, 6.25], [0, 0, 10, 20]])
    np.testing.assert_array_equal(xyxy_to_xywh(xyxy), xywh)
    # the input is not changed
    np.testing.assert_array_equal(xyxy,
                                  [[1.5, 2.0, 4.5, 6.25], [0, 0, 10, 20]])
    # float64 gives exactly Python's float arithmetic
    boxes = np.array([[0.1, 0.2, 0.7, 0.9]], dtype=np.float32)
    x1, y1, x2, y2 = (float(v) for v in boxes[0])
    assert xyxy_to_xywh(
        boxes, dtype=np.float64).tolist() == [[x1, y1, x2 - x1, y2 - y1]]


@pytest.mark.parametrize('func', [xywh_to_xyxy, xyxy_to_xywh])
def test_box_conversions_empty(func):
    for empty in ([], np.zeros((0, 4)), np.zeros(0)):
        out = func(empty)
        assert out.shape == (0, 4) and out.dtype == np.float32
