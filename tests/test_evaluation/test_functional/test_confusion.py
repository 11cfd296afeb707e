import numpy as np

from mmdigit.evaluation import digit_confusion_matrix

# yapf: disable
ANN = {
    'images': [{'id': 1, 'file_name': '1.png', 'width': 50, 'height': 30},
               {'id': 2, 'file_name': '2.png', 'width': 50, 'height': 30}],
    'annotations': [
        {'id': 1, 'image_id': 1, 'bbox': [0, 0, 10, 20], 'category_id': 2},
        {'id': 2, 'image_id': 1, 'bbox': [12, 0, 10, 20], 'category_id': 8},
        {'id': 3, 'image_id': 2, 'bbox': [0, 0, 10, 20], 'category_id': 1},
    ],
    'categories': [{'id': i + 1, 'name': str(i)} for i in range(10)],
}
# yapf: enable


def det(img, box, cat, score):
    return dict(image_id=img, bbox=box, category_id=cat, score=score)


def test_matches_by_iou_and_score_by_hand():
    dets = [
        det(1, [0, 0, 10, 20], 2, 0.9),  # GT 1 read as 1: right
        det(1, [1, 0, 10, 20], 3, 0.8),  # same digit again: no GT left
        det(1, [12, 1, 10, 19], 9, 0.7),  # GT 7 read as 8
        det(1, [40, 0, 5, 5], 4, 0.95),  # on no digit
        det(2, [0, 0, 10, 20], 1, 0.3),  # under the threshold
    ]
    m = digit_confusion_matrix(dets, ANN, score_thr=0.5)
    expected = np.zeros((11, 11), int)
    expected[1, 1] = 1
    expected[10, 2] = 1
    expected[7, 8] = 1
    expected[10, 3] = 1
    expected[0, 10] = 1  # image 2's 0 was missed
    np.testing.assert_array_equal(m, expected)
    # every GT digit lands in exactly one cell of its row
    assert m[:10].sum() == len(ANN['annotations'])


def test_higher_score_takes_the_match():
    dets = [det(2, [0, 0, 10, 20], 6, 0.6), det(2, [0, 0, 10, 20], 1, 0.9)]
    m = digit_confusion_matrix(dets, ANN)
    assert m[0, 0] == 1 and m[10, 5] == 1
