import json
import os.path as osp
import subprocess
import sys

import mmcv
import numpy as np
import pytest

from mmdigit.datasets import check_coco_split, reframe_split
from mmdigit.datasets.framing import (TEST_LENGTH_SHARES, TEST_RATIO_QUANTILES,
                                      TRAIN_RATIO_QUANTILES, match_length_mix,
                                      reframe, to_test_ratio)
from mmdigit.utils import OutputExistsError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'test_framing.py')


def test_train_quantiles_map_to_test_quantiles():
    for (_, train), (_, test) in zip(TRAIN_RATIO_QUANTILES,
                                     TEST_RATIO_QUANTILES):
        assert to_test_ratio(train) == pytest.approx(test)
    # between and beyond the knots: monotone, never looser than test's 1 %
    ratios = [to_test_ratio(r) for r in np.linspace(0.05, 1.0, 40)]
    assert ratios == sorted(ratios) and ratios[0] > 0


def test_reframe_pastes_the_photo_sharp_and_moves_its_boxes():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (40, 100, 3), dtype=np.uint8)
    boxes = [[10, 5, 12, 30, 3], [30, 6, 12, 28, 7]]  # median height 29
    out, moved = reframe(img, boxes, 29 / 40 / 2, 1.0,
                         np.random.default_rng(1))
    assert out.shape == (80, 200, 3)
    dx, dy = moved[0][0] - 10, moved[0][1] - 5
    assert dx == int(dx) and dy == int(dy)
    assert np.array_equal(out[int(dy):int(dy) + 40,
                              int(dx):int(dx) + 100], img)
    assert moved == [[10 + dx, 5 + dy, 12, 30, 3],
                     [30 + dx, 6 + dy, 12, 28, 7]]
    # already looser than wanted: the frame stays, only the scale changes
    out, moved = reframe(img, boxes, 0.9, 0.5, np.random.default_rng(1))
    assert out.shape == (20, 50, 3)
    assert moved[0] == [5, 2.5, 6, 15, 3]


def test_match_length_mix_is_the_largest_test_like_subsample():
    lengths = {}
    for n, count in ((1, 30), (2, 100), (3, 50), (4, 5), (5, 3)):
        lengths.update({len(lengths) + i: n for i in range(count)})
    kept = match_length_mix(lengths, TEST_LENGTH_SHARES,
                            np.random.default_rng(0))
    counts = {n: sum(lengths[i] == n for i in kept) for n in range(1, 6)}
    # 2 digits bound it: 100 / 0.639 = 156.5 images
    assert counts == {1: 30, 2: 100, 3: 25, 4: 2, 5: 0}
    assert kept == sorted(kept)


def test_reframe_split_writes_a_checked_test_framed_split(tiny_data, tmp_path):
    out = str(tmp_path / 'testlike')
    summary = reframe_split(tiny_data, out, seed=0, progress=False)
    assert check_coco_split(
        osp.join(out, 'valid.json'), osp.join(out, 'valid')) == []
    with open(osp.join(tiny_data, 'valid.json')) as f:
        source = json.load(f)
    with open(osp.join(out, 'valid.json')) as f:
        coco = json.load(f)
    assert summary['images'] == len(coco['images']) == len(source['images'])
    assert len(coco['annotations']) == len(source['annotations'])
    assert summary['ratio_after'] < summary['ratio_before']
    assert summary['digit_px_after'] < summary['digit_px_before']
    with open(osp.join(out, 'framing.json')) as f:
        record = json.load(f)
    assert record['source_ids'] == [img['id'] for img in source['images']]
    img = mmcv.imread(osp.join(out, 'valid', '1.png'))
    assert img.shape[:2] == (coco['images'][0]['height'],
                             coco['images'][0]['width'])
    with pytest.raises(OutputExistsError):
        reframe_split(tiny_data, out, progress=False)


@pytest.mark.slow
def test_tool_prints_the_framing_change(tiny_data, tmp_path):
    proc = subprocess.run(
        [sys.executable, TOOL, tiny_data,
         str(tmp_path / 'out')],
        capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stderr
    assert 'median digit/image height' in proc.stdout
    proc = subprocess.run(
        [sys.executable, TOOL, tiny_data,
         str(tmp_path / 'out')],
        capture_output=True,
        text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith('error:')
    assert 'not empty' in proc.stderr
