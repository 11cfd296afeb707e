import inspect

import numpy as np
import pytest

from mmdigit.evaluation import (DEFAULT_CSV_SCORE_THR, READER_OPTIONS,
                                boxes_to_number, check_reader_cfg,
                                edit_distance, gt_to_number, number_metrics,
                                read_number, resolve_reader_cfg, select_digits,
                                sweep_reader_options)

# every reader rule off but the IoU suppression: the reader before its
# options were added
PLAIN = dict(
    nms_ios_thr=1.0,
    nms_x_thr=1.0,
    rel_score_thr=0.0,
    line_tol=float('inf'),
    height_tol=float('inf'),
    max_digits=0)


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
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, nms_iou_thr=1.0)) == '172'


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


def test_read_number_and_its_score():
    # the score is the lowest among the digits read, not among all boxes
    bboxes = [box(20), box(0), box(40)]
    assert read_number(bboxes, [0.6, 0.9, 0.3], [2, 1, 5]) == ('12', 0.6)
    assert read_number(bboxes, [0.6, 0.9, 0.3], [2, 1, 5], 0.7) == ('1', 0.9)
    assert read_number(bboxes, [0.2, 0.1, 0.3], [2, 1, 5]) == ('', None)
    assert read_number(np.zeros((0, 4)), [], []) == ('', None)
    # the same reading as boxes_to_number, reader options included
    bboxes, scores, labels = [box(0), box(1), box(20)], [0.9, 0.6, 0.8], \
        [1, 7, 2]
    for cfg in ({}, dict(PLAIN, nms_iou_thr=1.0)):
        number, score = read_number(bboxes, scores, labels, **cfg)
        assert number == boxes_to_number(bboxes, scores, labels, **cfg)
        assert score == pytest.approx(0.6 if cfg else 0.8)


def test_default_score_thr_is_the_csv_default():
    for fn in (select_digits, boxes_to_number, read_number,
               sweep_reader_options):
        params = inspect.signature(fn).parameters
        assert params['score_thr'].default == DEFAULT_CSV_SCORE_THR == 0.5


def test_digit_inside_a_bigger_box_is_read_once():
    # '1' (0.9) and a '7' (0.6) inside its upper half: IoU 81 / 209 = 0.39,
    # intersection over the smaller box 81 / 90 = 0.9
    bboxes = [box(0), box(1, y=2, h=9), box(20)]
    scores, labels = [0.9, 0.6, 0.8], [1, 7, 2]
    assert boxes_to_number(bboxes, scores, labels, **PLAIN) == '172'
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, nms_ios_thr=0.9)) == '172'
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, nms_ios_thr=0.8)) == '12'
    # touching neighbours: intersection over the smaller box 0.2
    assert boxes_to_number([box(0), box(8)], [0.9, 0.9], [1, 1],
                           **dict(PLAIN, nms_ios_thr=0.5)) == '11'


def test_defaults_are_the_measured_reader():
    # suppression by IoU and by intersection over the smaller box at 0.5,
    # every other rule off
    assert resolve_reader_cfg() == dict(
        PLAIN, nms_iou_thr=0.5, nms_ios_thr=0.5)
    assert resolve_reader_cfg(dict(line_tol=1.0))['line_tol'] == 1.0
    # the doubled '1' above is read once by default
    bboxes = [box(0), box(1, y=2, h=9), box(20)]
    assert boxes_to_number(bboxes, [0.9, 0.6, 0.8], [1, 7, 2]) == '12'
    # a box 0.6 heights off the line, half as high, scoring half the best:
    # still read by default
    assert boxes_to_number([box(0), box(20, y=12, h=10)], [0.9, 0.5],
                           [1, 5]) == '15'


def test_overlap_along_x_suppression():
    # a '4' above the '1' (another line, no 2D overlap) shares its columns
    bboxes = [box(0), box(2, y=30), box(20)]
    scores, labels = [0.9, 0.7, 0.8], [1, 4, 2]
    assert boxes_to_number(bboxes, scores, labels, **PLAIN) == '142'
    # x-overlap 8 / 10 = 0.8
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, nms_x_thr=0.7)) == '12'
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, nms_x_thr=0.8)) == '142'


def test_box_off_the_line_is_dropped():
    # reference: the 0.9 box, centre y 10, height 20; the '5' is 12 px
    # (0.6 heights) lower
    bboxes = [box(0), box(20, y=12), box(40, y=4)]
    scores, labels = [0.9, 0.8, 0.7], [1, 5, 3]
    assert boxes_to_number(bboxes, scores, labels, **PLAIN) == '153'
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, line_tol=0.5)) == '13'
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, line_tol=0.6)) == '153'


def test_box_of_another_height_is_dropped():
    # heights 20 (reference), 9 (ratio 2.2), 30 (ratio 1.5)
    bboxes = [box(0), box(20, h=9), box(40, h=30)]
    scores, labels = [0.9, 0.8, 0.7], [1, 5, 3]
    assert boxes_to_number(bboxes, scores, labels, **PLAIN) == '153'
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, height_tol=2.0)) == '13'
    assert boxes_to_number(bboxes, scores, labels,
                           **dict(PLAIN, height_tol=1.4)) == '1'


def test_low_score_relative_to_the_best_is_dropped():
    bboxes = [box(0), box(20), box(40)]
    labels = [1, 2, 3]
    # 0.55 < 0.6 * 0.95 = 0.57: dropped although above score_thr
    assert boxes_to_number(bboxes, [0.95, 0.55, 0.6], labels,
                           **dict(PLAIN, rel_score_thr=0.6)) == '13'
    # relative to the image's own best: a weak image keeps its digits
    assert boxes_to_number(bboxes, [0.55, 0.55, 0.6], labels,
                           **dict(PLAIN, rel_score_thr=0.6)) == '123'


def test_max_digits_keeps_the_highest_scored():
    bboxes = [box(0), box(20), box(40)]
    assert boxes_to_number(bboxes, [0.9, 0.6, 0.8], [1, 2, 3],
                           **dict(PLAIN, max_digits=2)) == '13'


def test_select_digits_indices_in_reading_order():
    bboxes = [box(40), box(0), box(1), box(20)]
    keep = select_digits(bboxes, [0.9, 0.8, 0.7, 0.1], 0.5)
    assert keep.tolist() == [1, 0]


def test_reader_options_are_checked():
    assert set(PLAIN) | {'nms_iou_thr'} == set(READER_OPTIONS)
    assert check_reader_cfg(None) == {}
    with pytest.raises(KeyError, match='nms_ios'):
        check_reader_cfg(dict(nms_ios=0.5))


def test_sweep_reader_options_rows():
    # image 1: '1' read twice (IoU 0.5, IoS 1); image 2: '2' at 0.3
    twice = np.array([box(0), box(0, h=10)])
    image1 = (twice, np.array([0.9, 0.6]), np.array([1, 7]))
    image2 = (np.array([box(0)]), np.array([0.3]), np.array([2]))
    dets = [image1, image2]
    rows = sweep_reader_options(
        dets, ['1', '2'], dict(nms_ios_thr=[1.0, 0.8]), PLAIN, thrs=[0.2, 0.5])
    assert [(r['option'], r['value']) for r in rows] == [
        (None, None),
        ('nms_ios_thr', 1.0),
        ('nms_ios_thr', 0.8),
    ]
    assert [r['fixed_accuracy'] for r in rows] == [0.0, 0.0, 0.5]
    assert [r['best_accuracy'] for r in rows] == [0.5, 0.5, 1.0]
    assert [r['best_thr'] for r in rows] == [0.2, 0.2, 0.2]
    # '17' for '1' is one edit over two GT digits
    assert rows[0]['fixed_count_accuracy'] == 0.0
    assert rows[0]['fixed_char_error_rate'] == 1.0
    assert rows[2]['reader_cfg'] == dict(PLAIN, nms_ios_thr=0.8)


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
