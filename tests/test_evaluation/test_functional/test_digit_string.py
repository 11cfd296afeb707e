import inspect

import numpy as np
import pytest

from mmdigit.evaluation import (DEFAULT_CSV_SCORE_THR, READER_OPTIONS,
                                check_reader_cfg, edit_distance, gt_to_number,
                                number_metrics, read_number,
                                resolve_reader_cfg, select_digits)

INF = float('inf')
# the one-line, one-height rule off
ANY_LINE = dict(line_tol=INF, height_tol=INF)
# every rule after the score threshold off
PLAIN = dict(nms_ios_thr=1.0, **ANY_LINE)


def box(x, w=10, y=0, h=20):
    return [x, y, x + w, y + h]


def number(*args, **kwargs):
    return read_number(*args, **kwargs)[0]


def test_digits_sorted_by_x_not_score():
    # score order would read 321
    bboxes = [box(40), box(20), box(0)]
    assert number(bboxes, [0.9, 0.8, 0.7], [3, 2, 1]) == '123'


def test_equal_x_keeps_higher_score_first():
    # side by side vertically (IoU 0): same x_min, the 0.9 box comes first
    bboxes = [box(0, y=0), box(0, y=30), box(20)]
    assert number(bboxes, [0.6, 0.9, 0.8], [4, 7, 5], **ANY_LINE) == '745'


def test_overlapping_duplicate_of_other_class_is_suppressed():
    # the same '1' detected as 1 (0.9) and 7 (0.6): IoS 0.9 > 0.5
    bboxes = [box(0), box(1), box(20)]
    labels = [1, 7, 2]
    scores = [0.9, 0.6, 0.8]
    assert number(bboxes, scores, labels) == '12'
    # suppression disabled: the doubled digit comes back
    assert number(bboxes, scores, labels, **PLAIN) == '172'


def test_touching_digits_are_not_suppressed():
    # neighbours overlapping a little (IoU 0.11) are two digits
    assert number([box(0), box(8)], [0.9, 0.9], [1, 1]) == '11'


def test_no_detection_and_all_under_threshold():
    assert number(np.zeros((0, 4)), [], []) == ''
    assert number([box(0), box(20)], [0.3, 0.49], [1, 2]) == ''


def test_threshold_is_inclusive_and_one_digit():
    assert number([box(0), box(20)], [0.5, 0.2], [6, 2]) == '6'


def test_leading_zero_is_kept():
    assert number([box(20), box(0)], [0.9, 0.9], [7, 0]) == '07'


def test_read_number_and_its_score():
    # the score is the lowest among the digits read, not among all boxes
    bboxes = [box(20), box(0), box(40)]
    assert read_number(bboxes, [0.6, 0.9, 0.3], [2, 1, 5]) == ('12', 0.6)
    assert read_number(bboxes, [0.6, 0.9, 0.3], [2, 1, 5], 0.7) == ('1', 0.9)
    assert read_number(bboxes, [0.2, 0.1, 0.3], [2, 1, 5]) == ('', None)
    assert read_number(np.zeros((0, 4)), [], []) == ('', None)
    # reader options included
    bboxes, scores, labels = [box(0), box(1), box(20)], [0.9, 0.6, 0.8], \
        [1, 7, 2]
    assert read_number(bboxes, scores, labels) == ('12', pytest.approx(0.8))
    assert read_number(bboxes, scores, labels,
                       **PLAIN) == ('172', pytest.approx(0.6))


def test_default_score_thr_is_the_csv_default():
    for fn in (select_digits, read_number):
        params = inspect.signature(fn).parameters
        assert params['score_thr'].default == DEFAULT_CSV_SCORE_THR == 0.5


def test_digit_inside_a_bigger_box_is_read_once():
    # '1' (0.9) and a '7' (0.6) inside its upper half: IoU 81 / 209 = 0.39,
    # intersection over the smaller box 81 / 90 = 0.9
    bboxes = [box(0), box(1, y=2, h=9), box(20)]
    scores, labels = [0.9, 0.6, 0.8], [1, 7, 2]
    assert number(bboxes, scores, labels) == '12'
    assert number(bboxes, scores, labels, **PLAIN) == '172'
    assert number(bboxes, scores, labels, nms_ios_thr=0.9, **ANY_LINE) == '172'
    assert number(bboxes, scores, labels, nms_ios_thr=0.8, **ANY_LINE) == '12'
    # touching neighbours: intersection over the smaller box 0.2
    assert number([box(0), box(8)], [0.9, 0.9], [1, 1]) == '11'


def test_one_line_one_height():
    # the reference is the best-scored box (the 2), not the first or left
    ref = box(20)
    cases = [
        (box(0, y=9), True),  # centre 0.45 reference heights lower
        (box(0, y=11), False),  # 0.55 heights lower
        (box(0, y=-11), False),  # 0.55 heights higher
        (box(0, y=-3, h=27), True),  # 1.35x as tall
        (box(0, y=-4, h=29), False),  # 1.45x as tall
        (box(0, y=3, h=15), True),  # 1 / 1.33 as tall
        (box(0, y=4, h=13), False),  # 1 / 1.54 as tall
    ]
    for other, kept in cases:
        read = number([other, ref], [0.8, 0.9], [1, 2])
        assert read == ('12' if kept else '2'), other
        # each rule alone, and both off
        assert number([other, ref], [0.8, 0.9], [1, 2], **ANY_LINE) == '12'
    assert number([box(0, y=11), ref], [0.8, 0.9], [1, 2],
                  line_tol=0.6) == '12'
    assert number([box(0, y=-4, h=29), ref], [0.8, 0.9], [1, 2],
                  height_tol=1.5) == '12'
    # a tall '1' beside a number, scoring less than its digits
    bboxes = [box(0), box(12), box(30, y=-8, h=38)]
    assert number(bboxes, [0.9, 0.95, 0.7], [4, 8, 1]) == '48'


def test_the_removed_iou_rule_dropped_nothing_more():
    """The reader once also dropped a box by IoU > 0.5; IoS is never below
    the IoU, so the default reading is the same without that rule."""
    from mmdet.evaluation.functional import bbox_overlaps
    rng = np.random.RandomState(0)
    for _ in range(200):
        xy, wh = rng.randint(0, 30, (8, 2)), rng.randint(0, 20, (8, 2))
        bboxes = np.hstack([xy, xy + wh]).astype(np.float32)
        scores = rng.rand(8).astype(np.float32)
        iou = bbox_overlaps(bboxes, bboxes)
        iof = bbox_overlaps(bboxes, bboxes, mode='iof')
        ios = np.maximum(iof, iof.T)
        kept = []
        for i in np.argsort(-scores, kind='stable'):
            if scores[i] >= 0.5 and not any(iou[i, j] > 0.5 or ios[i, j] > 0.5
                                            for j in kept):
                kept.append(i)
        expected = sorted(kept, key=lambda i: bboxes[i, 0])
        assert select_digits(bboxes, scores, **ANY_LINE).tolist() == expected


def test_select_digits_indices_in_reading_order():
    bboxes = [box(40), box(0), box(1), box(20)]
    keep = select_digits(bboxes, [0.9, 0.8, 0.7, 0.1], 0.5)
    assert keep.tolist() == [1, 0]


def test_reader_options_are_checked():
    assert READER_OPTIONS == ('nms_ios_thr', 'line_tol', 'height_tol')
    assert check_reader_cfg(None) == {}
    assert resolve_reader_cfg() == dict(
        nms_ios_thr=0.5, line_tol=0.5, height_tol=1.4)
    assert resolve_reader_cfg(PLAIN) == PLAIN
    assert resolve_reader_cfg(dict(line_tol=1.0))['height_tol'] == 1.4
    # a typo, or an option the reader no longer has
    for cfg in (dict(nms_ios=0.5), dict(max_digits=3)):
        with pytest.raises(KeyError, match=next(iter(cfg))):
            check_reader_cfg(cfg)


def test_gt_to_number_orders_by_x():
    assert gt_to_number(
        np.array([box(30), box(0), box(15)]), np.array([3, 1, 2])) == '123'
    assert gt_to_number(np.zeros((0, 4)), np.zeros(0)) == ''


@pytest.mark.parametrize('a,b,d', [('', '', 0), ('12', '12', 0), ('12', '', 2),
                                   ('123', '13', 1), ('123', '321', 2),
                                   ('12', '123', 1)])
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
