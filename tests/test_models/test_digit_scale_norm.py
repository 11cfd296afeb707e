import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmdigit.models import DigitScaleNormTTAModel


class FakeDetector(torch.nn.Module):
    """Answers every image with one box of ``box_h`` original pixels
    (score 0.9), and records what it was given."""

    def __init__(self, box_h):
        super().__init__()
        self.box_h = box_h
        self.calls = []

    def test_step(self, data):
        self.calls.append(data)
        out = []
        for sample in data['data_samples']:
            sample = sample.clone()
            sample.pred_instances = InstanceData(
                bboxes=torch.tensor([[0., 0., 10., self.box_h]]),
                scores=torch.tensor([0.9]),
                labels=torch.tensor([3]))
            out.append(sample)
        return out


def sample(img_shape=(40, 100), scale_factor=(2.0, 2.0)):
    s = DetDataSample(
        metainfo=dict(
            img_id=1,
            ori_shape=(20, 50),
            img_shape=img_shape,
            scale_factor=scale_factor))
    s.gt_instances = InstanceData(
        bboxes=torch.zeros((1, 4)), labels=torch.tensor([3]))
    return s


def test_second_pass_at_the_digit_height_with_scale_factor_updated():
    # a 15 px box x scale_factor 2 = 30 input px; 60 wanted: factor 2
    det = FakeDetector(box_h=15.)
    model = DigitScaleNormTTAModel(det, digit_height=60)
    img = torch.randint(0, 255, (3, 40, 100), dtype=torch.uint8)
    out = model.test_step(dict(inputs=[img], data_samples=[sample()]))
    assert len(det.calls) == 2
    again = det.calls[1]
    assert again['inputs'][0].shape == (3, 80, 200)
    assert again['inputs'][0].dtype == torch.uint8
    meta = again['data_samples'][0].metainfo
    assert meta['img_shape'] == (80, 200)
    assert meta['scale_factor'] == (4.0, 4.0)
    assert meta['ori_shape'] == (20, 50)
    assert 'gt_instances' in again['data_samples'][0]
    assert 'pred_instances' not in again['data_samples'][0]
    assert out[0].metainfo['scale_factor'] == (4.0, 4.0)


def test_factor_is_clipped_and_near_one_keeps_the_first_pass():
    det = FakeDetector(box_h=1.)  # 2 input px: factor 30, clipped to 3
    model = DigitScaleNormTTAModel(det, digit_height=60)
    img = torch.zeros((3, 40, 100), dtype=torch.uint8)
    model.test_step(dict(inputs=[img], data_samples=[sample()]))
    assert det.calls[1]['inputs'][0].shape == (3, 120, 300)
    det = FakeDetector(box_h=29.)  # 58 px: within 5 % of 60
    model = DigitScaleNormTTAModel(det, digit_height=60)
    out = model.test_step(dict(inputs=[img], data_samples=[sample()]))
    assert len(det.calls) == 1
    assert out[0].metainfo['scale_factor'] == (2.0, 2.0)


def test_no_confident_box_keeps_the_first_pass():
    det = FakeDetector(box_h=15.)
    model = DigitScaleNormTTAModel(det, digit_height=60, score_thr=0.95)
    img = torch.zeros((3, 40, 100), dtype=torch.uint8)
    out = model.test_step(dict(inputs=[img], data_samples=[sample()]))
    assert len(det.calls) == 1 and out[0].pred_instances.scores[0] == 0.9


class ShiftedDetector(FakeDetector):
    """The first pass finds one box; the second the same box 1 px lower
    (score 0.6) and a second digit (score 0.8)."""

    def test_step(self, data):
        out = super().test_step(data)
        if len(self.calls) == 2:
            out[0].pred_instances = InstanceData(
                bboxes=torch.tensor([[0., 1., 10., 16.], [12., 0., 22., 15.]]),
                scores=torch.tensor([0.6, 0.8]),
                labels=torch.tensor([3, 5]))
        return out


def test_fuse_merges_both_passes_by_weighted_boxes_fusion():
    img = torch.zeros((3, 40, 100), dtype=torch.uint8)
    only_second = DigitScaleNormTTAModel(ShiftedDetector(15.), 60)
    out = only_second.test_step(dict(inputs=[img], data_samples=[sample()]))
    assert out[0].pred_instances.scores.tolist() == pytest.approx([0.6, 0.8])
    assert 'number_instances' not in out[0]
    fused = DigitScaleNormTTAModel(ShiftedDetector(15.), 60, fuse='max')
    out = fused.test_step(dict(inputs=[img], data_samples=[sample()]))
    pred = out[0].pred_instances
    # the two '3's fuse (IoU 0.875): score max(0.9, 0.6), box weighted by
    # score; the '5' of the second pass alone stays
    assert pred.labels.tolist() == [3, 5]
    assert pred.scores.tolist() == pytest.approx([0.9, 0.8])
    assert pred.bboxes[0].tolist() == pytest.approx(
        [0., 0.6 / 1.5, 10., (0.9 * 15 + 0.6 * 16) / 1.5])
    assert pred.bboxes[1].tolist() == pytest.approx([12., 0., 22., 15.])
    assert pred.bboxes.dtype == torch.float32
    assert pred.labels.dtype == torch.int64
    # numbers are read from the second pass alone
    assert out[0].number_instances.scores.tolist() == pytest.approx([0.6, 0.8])


def test_fuse_rejects_an_unknown_conf_type():
    with pytest.raises(ValueError, match='fuse must be None or one of'):
        DigitScaleNormTTAModel(FakeDetector(15.), 60, fuse='mean')
