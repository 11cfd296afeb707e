import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmdigit.analysis import (anchor_fit, anchor_shapes, centered_iou,
                              kmeans_iou, load_box_sizes, propose_anchors,
                              roi_levels, scale_to_input)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_anchor_shapes_match_mmdet_anchor_generator():
    from mmdet.models.task_modules.prior_generators import AnchorGenerator
    strides, scales, ratios = [4, 8, 16], [3.0, 6.0], [0.5, 1.0, 2.0]
    gen = AnchorGenerator(strides=strides, ratios=ratios, scales=scales)
    ours = anchor_shapes(strides, scales, ratios)
    for level, base in enumerate(gen.base_anchors):
        wh = (base[:, 2:] - base[:, :2]).numpy()
        np.testing.assert_allclose(ours[level], wh, rtol=1e-5)


def test_centered_iou_by_hand():
    wh = np.array([[10., 20.], [10., 10.]])
    anchors = np.array([[10., 20.], [20., 10.], [5., 5.]])
    expected = [[1.0, 100 / 300, 25 / 200], [0.5, 0.5, 0.25]]
    np.testing.assert_allclose(centered_iou(wh, anchors), expected)


def test_scale_to_input_keep_ratio_and_stretch():
    box = np.array([[14., 29.]])
    img = np.array([[104., 47.]])
    # keep_ratio: min(512 / 104, 256 / 47) = 4.923...
    out = scale_to_input(box, img, (512, 256), keep_ratio=True)
    np.testing.assert_allclose(out, box * 512 / 104, rtol=1e-3)
    out = scale_to_input(box, img, (512, 256), keep_ratio=False)
    np.testing.assert_allclose(out, [[14 * 512 / 104, 29 * 256 / 47]])


def test_roi_levels_follow_finest_scale():
    wh = np.array([[20., 20.], [112., 112.], [224., 224.], [2000., 2000.]])
    np.testing.assert_array_equal(roi_levels(wh), [0, 1, 2, 3])


def test_kmeans_separates_two_shapes():
    rng = np.random.default_rng(0)
    wh = np.concatenate([
        rng.normal([10, 20], 0.5, (50, 2)),
        rng.normal([60, 30], 0.5, (50, 2))
    ])
    centers = kmeans_iou(wh, 2)
    np.testing.assert_allclose(centers, [[10, 20], [60, 30]], atol=1)


def test_proposed_anchors_fit_tall_boxes_better_than_default():
    rng = np.random.default_rng(0)
    # tall digit-like boxes, 15-30 px wide, h/w ~ 2
    w = rng.uniform(15, 30, 500)
    wh = np.stack([w, w * rng.normal(2.0, 0.1, 500)], axis=1)
    strides = [4, 8, 16, 32, 64]
    default = anchor_fit(wh, anchor_shapes(strides, [8], [0.5, 1.0, 2.0]))
    prop = propose_anchors(wh, strides, num_scales=1, num_ratios=1)
    assert prop['ratios'] == [2.0]
    assert prop['fit']['mean_iou'] > default['mean_iou']
    # one scale per octave: a box of the anchors' shape is at worst sqrt(2)
    # off in size, IoU 0.5; ratio jitter costs a little more
    assert prop['fit']['recall@0.5'] > 0.95
    two = propose_anchors(wh, strides, num_scales=2, num_ratios=1)
    assert len(two['scales']) == 2
    assert two['fit']['mean_iou'] > prop['fit']['mean_iou']


@pytest.mark.slow
def test_anchor_stats_tool(tiny_data, tmp_path):
    png = tmp_path / 'anchors.png'
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools', 'anchor_stats.py'),
        osp.join(tiny_data, 'train.json'), '--config',
        osp.join(REPO, 'configs', 'faster_rcnn_r50_fpn_digits.py'), '--out',
        str(png)
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    boxes, _ = load_box_sizes(osp.join(tiny_data, 'train.json'))
    assert f'{len(boxes)} boxes' in proc.stdout
    assert 'anchor_generator=dict(' in proc.stdout
    assert png.stat().st_size > 0
    from PIL import Image
    assert Image.open(png).size == (1500, 400)
