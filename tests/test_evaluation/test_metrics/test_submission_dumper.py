import csv
import json
import os
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric
from mmengine.logging import MMLogger

from mmdigit.evaluation import (DigitSubmissionDumper, evaluate_submission,
                                load_gt_numbers)


def pred_sample(img_id, boxes, labels, scores, **meta):
    return dict(
        img_id=img_id,
        ori_shape=(50, 100),
        pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor(labels, dtype=torch.long),
            scores=torch.tensor(scores, dtype=torch.float32)),
        **meta)


def dump(tmp_path, samples, **kwargs):
    dumper = DigitSubmissionDumper(out_dir=str(tmp_path), **kwargs)
    dumper.process({}, samples)
    return dumper.evaluate(len(samples))


def read_csv(path):
    with open(path) as f:
        return list(csv.reader(f))


def test_files_rows_and_category_mapping(tmp_path):
    samples = [
        # out of id order on purpose (as ranks may return them)
        pred_sample(10, [[30, 5, 40, 25], [10, 5, 20, 25]], [9, 0],
                    [0.9, 0.8]),
        pred_sample(2, [[1.5, 2.0, 11.5, 22.25]], [4], [0.3]),
        pred_sample(7, [], [], []),
    ]
    metrics = dump(tmp_path, samples, csv_score_thr=0.5)
    assert metrics == {
        'submission/num_images': 3.0,
        'submission/num_read': 1.0,
        'submission/num_boxes': 3.0
    }
    assert read_csv(tmp_path / 'pred.csv') == [['image_id', 'pred_label'],
                                               ['2', '-1'], ['7', '-1'],
                                               ['10', '09']]
    dets = json.loads((tmp_path / 'pred.json').read_text())
    assert [d['image_id'] for d in dets] == [2, 10, 10]
    assert dets[0] == dict(
        image_id=2,
        bbox=[1.5, 2.0, 10.0, 20.25],
        score=pytest.approx(0.3),
        category_id=5)
    assert [d['category_id'] for d in dets[1:]] == [10, 1]
    with zipfile.ZipFile(tmp_path / 'submission.zip') as zf:
        assert sorted(zf.namelist()) == ['pred.csv', 'pred.json']
        assert zf.read('pred.csv') == (tmp_path / 'pred.csv').read_bytes()
    # atomic writes leave no temporary files behind
    assert sorted(
        os.listdir(tmp_path)) == ['pred.csv', 'pred.json', 'submission.zip']


def test_separate_json_and_csv_thresholds(tmp_path):
    s = pred_sample(1, [[0, 0, 10, 20], [20, 0, 30, 20]], [1, 2], [0.9, 0.02])
    dump(tmp_path, [s], json_score_thr=0.05, csv_score_thr=0.01)
    assert len(json.loads((tmp_path / 'pred.json').read_text())) == 1
    assert read_csv(tmp_path / 'pred.csv')[1] == ['1', '12']


def test_unreadable_image_is_minus_one_without_boxes(tmp_path):
    s = pred_sample(4, [[0, 0, 10, 20]], [3], [0.99], unreadable=True)
    dump(tmp_path, [s], zip_name='team.zip')
    assert read_csv(tmp_path / 'pred.csv')[1] == ['4', '-1']
    assert json.loads((tmp_path / 'pred.json').read_text()) == []
    assert (tmp_path / 'team.zip').exists()


def test_json_map_equals_in_loop_coco_metric(tiny_data, tmp_path):
    """pycocotools on the written pred.json == CocoMetric in the loop."""
    ann_file = osp.join(tiny_data, 'valid.json')
    with open(ann_file) as f:
        coco = json.load(f)
    rng = np.random.default_rng(0)
    samples = []
    for img in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == img['id']]
        boxes, labels = [], []
        for a in anns:
            x, y, w, h = a['bbox']
            jitter = rng.normal(0, 0.08, 4) * [w, h, w, h]
            boxes.append([x, y, x + w, y + h] + jitter)
            if rng.random() > 0.2:
                labels.append(a['category_id'] - 1)
            else:  # a wrong class now and then
                labels.append(int(rng.integers(10)))
        boxes.append([0, 0, 8, 8])  # a false positive
        labels.append(3)
        samples.append(
            dict(
                img_id=img['id'],
                ori_shape=(img['height'], img['width']),
                pred_instances=dict(
                    bboxes=torch.tensor(np.array(boxes), dtype=torch.float32),
                    labels=torch.tensor(labels),
                    scores=torch.tensor(
                        rng.uniform(0.1, 1, len(labels)),
                        dtype=torch.float32))))
    MMLogger.get_instance('test_dumper')
    coco_metric = CocoMetric(ann_file=ann_file, metric='bbox')
    coco_metric.dataset_meta = dict(classes=tuple('0123456789'))
    coco_metric.process({}, samples)
    in_loop = coco_metric.evaluate(len(samples))

    dump(tmp_path, samples)
    offline = evaluate_submission(str(tmp_path), ann_file)
    assert 0 < in_loop['coco/bbox_mAP'] < 1
    for key in ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75'):
        # CocoMetric rounds to 3 decimals
        assert round(offline[f'coco/{key}'], 3) == in_loop[f'coco/{key}']
    assert offline['digit/num_read'] <= len(samples)


def test_evaluate_submission_perfect_and_missing_rows(tiny_data, tmp_path):
    ann_file = osp.join(tiny_data, 'valid.json')
    with open(ann_file) as f:
        coco = json.load(f)
    dets = [
        dict(
            image_id=a['image_id'],
            bbox=a['bbox'],
            score=1.0,
            category_id=a['category_id']) for a in coco['annotations']
    ]
    numbers = load_gt_numbers(ann_file)
    (tmp_path / 'pred.json').write_text(json.dumps(dets))
    csv_rows = ''.join(f'{i},{n}\n' for i, n in numbers.items())
    (tmp_path / 'pred.csv').write_text('image_id,pred_label\n' + csv_rows)
    m = evaluate_submission(str(tmp_path), ann_file)
    assert m['coco/bbox_mAP'] == pytest.approx(1.0)
    assert m['digit/accuracy'] == 1.0
    (tmp_path / 'pred.csv').write_text('image_id,pred_label\n1,5\n')
    with pytest.raises(ValueError, match='no row'):
        evaluate_submission(str(tmp_path), ann_file)
