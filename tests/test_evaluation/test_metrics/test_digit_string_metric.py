import numpy as np
import pytest
import torch

from mmdigit.evaluation import DigitStringMetric


def sample(img_id, gt, preds):
    """gt: [(x, label)], preds: [(x, label, score)] -> a data sample dict."""
    def boxes(xs):
        return torch.tensor([[x, 0, x + 10, 20] for x in xs],
                            dtype=torch.float32).reshape(-1, 4)
    return dict(
        img_id=img_id,
        gt_instances=dict(
            bboxes=boxes([x for x, _ in gt]),
            labels=torch.tensor([lb for _, lb in gt])),
        pred_instances=dict(
            bboxes=boxes([p[0] for p in preds]),
            labels=torch.tensor([p[1] for p in preds], dtype=torch.long),
            scores=torch.tensor([p[2] for p in preds], dtype=torch.float32)))


def evaluate(samples, **kwargs):
    metric = DigitStringMetric(**kwargs)
    metric.dataset_meta = dict(classes=tuple('0123456789'))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_metric_values_and_sweep():
    samples = [
        # '12' read right at 0.5
        sample(1, [(0, 1), (20, 2)], [(20, 2, 0.9), (0, 1, 0.8)]),
        # '3' read right only when 0.3 is kept
        sample(2, [(0, 3)], [(0, 3, 0.3)]),
        # '45' read as '4' at 0.5, as '45' at <= 0.4
        sample(3, [(0, 4), (20, 5)], [(0, 4, 0.9), (20, 5, 0.4)]),
        # '6' with a spurious 0.2 box: right down to 0.25
        sample(4, [(0, 6)], [(0, 6, 0.95), (30, 8, 0.2)]),
    ]
    m = evaluate(samples, sweep_thrs=[0.1, 0.3, 0.5, 0.7])
    assert m['digit/accuracy'] == pytest.approx(0.5)
    assert m['digit/count_accuracy'] == pytest.approx(0.5)
    # '' vs '3' (1 edit), '4' vs '45' (1 edit) over 6 GT digits
    assert m['digit/char_error_rate'] == pytest.approx(round(2 / 6, 4))
    assert m['digit/acc_len1'] == pytest.approx(0.5)
    assert m['digit/acc_len2'] == pytest.approx(0.5)
    # 0.1 -> 3/4 ('68' wrong), 0.3 -> 4/4, 0.5 -> 2/4, 0.7 -> 2/4
    assert m['digit/best_thr'] == pytest.approx(0.3)
    assert m['digit/best_accuracy'] == pytest.approx(1.0)


def test_metric_class_agnostic_suppression_option():
    # '1' also detected as '7' on the same spot
    s = sample(1, [(0, 1)], [(0, 1, 0.9), (1, 7, 0.8)])
    assert evaluate([s])['digit/accuracy'] == 1.0
    assert evaluate([s], nms_iou_thr=1.0)['digit/accuracy'] == 0.0


def test_metric_empty_prediction_counts_as_wrong():
    m = evaluate([sample(1, [(0, 2)], [])])
    assert m['digit/accuracy'] == 0.0
    assert m['digit/char_error_rate'] == 1.0


def test_process_keeps_cpu_numpy():
    metric = DigitStringMetric()
    metric.process({}, [sample(1, [(0, 1)], [(0, 1, 0.9)])])
    result = metric.results[0]
    assert result['gt'] == '1'
    assert all(isinstance(result[k], np.ndarray)
               for k in ('bboxes', 'scores', 'labels'))
