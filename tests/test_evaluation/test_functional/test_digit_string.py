import numpy as np
import pytest

from mmdigit.evaluation import (boxes_to_number, edit_distance, gt_to_number,
                                number_metrics)


def box(x, w=10, y=0, h=20):
    return [x, y, x + w, y + h]


def test_digits_sorted_by_x_not_score():
    # score order would read 321
    bboxes = [box(40), box(20), box(0)]
    assert boxes_to_number(bboxes, [0.9, 0.8, 0.7], [3, 2, 1]) == '123'


def test_equal_x_keeps_higher_score_first():
    # side by side vertically (IoU 0): same x_min, the 0.9 box comes first
    bboxes = [box(0, y=0), box(0, y=30), box(20)]
    assert boxes_to_number(bboxes, [0.6, 0.9, 0.8], [4, 7, 5]) == '745'


def test_overlapping_duplicate_of_other_class_is_suppressed():
    # the same '1' detected as 1 (0.9) and 7 (0.6): IoU 0.82 > 0.5
    bboxes = [box(0), box(1), box(20)]
    labels = [1, 7, 2]
    scores = [0.9, 0.6, 0.8]
    assert boxes_to_number(bboxes, scores, labels) == '12'
    # suppression disabled: the doubled digit comes back
    assert boxes_to_number(bboxes, scores, labels, nms_iou_thr=1.0) == '172'


def test_touching_digits_are_not_suppressed():
    # neighbours overlapping a little (IoU 0.11) are two digits
    assert boxes_to_number([box(0), box(8)], [0.9, 0.9], [1, 1]) == '11'


def test_no_detection_and_all_under_threshold():
    assert boxes_to_number(np.zeros((0, 4)), [], []) == ''
    assert boxes_to_number([box(0), box(20)], [0.3, 0.49], [1, 2]) == ''


def test_threshold_is_inclusive_and_one_digit():
    assert boxes_to_number([box(0), box(20)], [0.5, 0.2], [6, 2]) == '6'


def test_leading_zero_is_kept():
    assert boxes_to_number([box(20), box(0)], [0.9, 0.9], [7, 0]) == '07'


def test_gt_to_number_orders_by_x():
    assert gt_to_number(np.array([box(30), box(0), box(15)]),
                        np.array([3, 1, 2])) == '123'
    assert gt_to_number(np.zeros((0, 4)), np.zeros(0)) == ''


@pytest.mark.parametrize('a,b,d', [('', '', 0), ('12', '12', 0),
                                   ('12', '', 2), ('123', '13', 1),
                                   ('123', '321', 2), ('12', '123', 1)])
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d


def test_number_metrics_hand_computed():
    preds = ['12', '-1', '34', '5', '678']
    gts = ['12', '9', '35', '5', '67']
    m = number_metrics(preds, gts)
    assert m['accuracy'] == pytest.approx(2 / 5)
    # lengths right: 12, 34/35, 5 -> 3 of 5
    assert m['count_accuracy'] == pytest.approx(3 / 5)
    # edits: 0 + 1 + 1 + 0 + 1 over 2 + 1 + 2 + 1 + 2 digits
    assert m['char_error_rate'] == pytest.approx(3 / 8)
    assert m['acc_len1'] == pytest.approx(1 / 2)
    assert m['acc_len2'] == pytest.approx(1 / 3)
