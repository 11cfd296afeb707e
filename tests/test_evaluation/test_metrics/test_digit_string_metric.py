import numpy as np
import pytest
import torch

from mmdigit.evaluation import DigitStringMetric, DigitSubmissionDumper


def sample(img_id, gt, preds):
    """gt: [(x, label)], preds: [(x, label, score)] or [(x, label, score,
    y, h)] -> a data sample dict."""

    def boxes(xs, yhs=None):
        yhs = yhs or [(0, 20)] * len(xs)
        return torch.tensor([[x, y, x + 10, y + h]
                             for x, (y, h) in zip(xs, yhs)],
                            dtype=torch.float32).reshape(-1, 4)

    return dict(
        img_id=img_id,
        gt_instances=dict(
            bboxes=boxes([x for x, _ in gt]),
            labels=torch.tensor([lb for _, lb in gt])),
        pred_instances=dict(
            bboxes=boxes([p[0] for p in preds],
                         [tuple(p[3:]) or (0, 20) for p in preds]),
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
    no_suppression = dict(nms_ios_thr=1.0)
    assert evaluate([s], reader_cfg=no_suppression)['digit/accuracy'] == 0.0


def test_unknown_reader_option_fails_at_build():
    # a typo, or an option the reader no longer has
    for cfg in (dict(iou_thr=0.5), dict(nms_iou_thr=0.5)):
        with pytest.raises(KeyError, match='iou_thr'):
            DigitStringMetric(reader_cfg=cfg)
        with pytest.raises(KeyError, match='iou_thr'):
            DigitSubmissionDumper(out_dir='unused', reader_cfg=cfg)


def overlapping_samples():
    return [
        # '1' also read as a '7' in its top half (IoU 0.5, IoS 1)
        sample(1, [(0, 1)], [(0, 1, 0.9), (0, 7, 0.8, 0, 10)]),
        # a '5' 8 px below the '2' (IoS 0.6), and a weak '3'
        sample(2, [(0, 4), (20, 2)], [(0, 4, 0.95), (20, 2, 0.9),
                                      (20, 5, 0.85, 8, 20), (60, 3, 0.6)]),
        sample(3, [(0, 6)], [(0, 6, 0.3)]),
    ]


@pytest.mark.parametrize(
    'reader_cfg', [None, dict(nms_ios_thr=1.0),
                   dict(nms_ios_thr=0.3)])
def test_metric_and_dumper_read_the_same_numbers(tmp_path, reader_cfg):
    metric = DigitStringMetric(reader_cfg=reader_cfg)
    metric.process({}, overlapping_samples())
    dumper = DigitSubmissionDumper(
        out_dir=str(tmp_path), csv_score_thr=0.5, reader_cfg=reader_cfg)
    dumper.process({}, overlapping_samples())
    _, rows = dumper.format_results(dumper.results)
    read = metric.read(metric.results, 0.5)
    assert [number or '-1' for number in read] == [n for _, n in rows]


def test_reader_options_change_the_reading():
    reads = []
    any_line = dict(line_tol=float('inf'), height_tol=float('inf'))
    for ios in (1.0, 0.7, 0.5):
        metric = DigitStringMetric(
            reader_cfg=dict(nms_ios_thr=ios, **any_line))
        metric.process({}, overlapping_samples())
        reads.append(metric.read(metric.results, 0.5))
    assert reads == [['17', '4253', ''], ['1', '4253', ''], ['1', '423', '']]
    # one line, one height: the half-height '7' goes without suppression
    metric = DigitStringMetric(reader_cfg=dict(nms_ios_thr=1.0))
    metric.process({}, overlapping_samples())
    assert metric.read(metric.results, 0.5)[0] == '1'


def test_metric_empty_prediction_counts_as_wrong():
    m = evaluate([sample(1, [(0, 2)], [])])
    assert m['digit/accuracy'] == 0.0
    assert m['digit/char_error_rate'] == 1.0


def test_process_keeps_cpu_numpy():
    metric = DigitStringMetric()
    metric.process({}, [sample(1, [(0, 1)], [(0, 1, 0.9)])])
    result = metric.results[0]
    assert result['gt'] == '1'
    assert len(result['number']) == 3
    assert all(isinstance(a, np.ndarray) for a in result['number'])


def test_numbers_are_read_from_number_instances(tmp_path):
    """A reading model that fuses passes keeps the boxes to read apart:
    pred.json gets ``pred_instances``, numbers ``number_instances``."""
    s = sample(1, [(0, 4), (20, 2)], [(0, 4, 0.9), (20, 2, 0.8), (40, 7, 0.7)])
    s['number_instances'] = sample(1, [], [(0, 4, 0.9),
                                           (20, 2, 0.8)])['pred_instances']
    assert evaluate([s])['digit/accuracy'] == 1.0
    dumper = DigitSubmissionDumper(out_dir=str(tmp_path), csv_score_thr=0.5)
    dumper.process({}, [s])
    detections, rows = dumper.format_results(dumper.results)
    assert rows == [(1, '42')]
    assert sorted(d['category_id'] for d in detections) == [3, 5, 8]
    del s['number_instances']
    assert evaluate([s])['digit/accuracy'] == 0.0


def test_default_score_thr_is_the_csv_default():
    from mmdigit.evaluation import DEFAULT_CSV_SCORE_THR
    assert DigitStringMetric().score_thr == DEFAULT_CSV_SCORE_THR
