import os.path as osp
import subprocess
import sys

import pytest
from PIL import Image

from mmdigit.visualization import boxes_read, mistakes_first

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_mistakes_first():
    numbers = {1: '12', 2: '7', 3: '-1', 4: '40'}
    gt = {1: '12', 2: '1', 3: '5', 4: '40'}
    assert mistakes_first(numbers, gt) == [2, 3, 1, 4]


def test_boxes_read_are_the_digits_of_the_number():
    dets = [
        # image 1: a '3' with a weaker '8' inside it, then a '4'
        dict(image_id=1, bbox=[0, 0, 10, 20], score=0.9, category_id=4),
        dict(image_id=1, bbox=[1, 1, 8, 17], score=0.6, category_id=9),
        dict(image_id=1, bbox=[12, 0, 10, 20], score=0.4, category_id=5),
        # image 2: nothing at the threshold
        dict(image_id=2, bbox=[0, 0, 10, 20], score=0.2, category_id=2),
    ]
    read = boxes_read(dets, score_thr=0.35)
    # the '8' inside the '3' is suppressed, as the reader does (IoS 0.5)
    assert read == {1: [dets[0], dets[2]]}
    assert boxes_read(dets, 0.5) == {1: [dets[0]]}
    # reader options as recorded in a checkpoint
    assert boxes_read(dets, 0.35, dict(nms_ios_thr=1.0)) == {1: dets[:3]}


@pytest.mark.slow
def test_show_predictions_tool_writes_both_pngs(tiny_data, tmp_path):
    import json
    ann = json.load(open(osp.join(tiny_data, 'valid.json')))
    sub = tmp_path / 'sub'
    sub.mkdir()
    # a submission that reads every GT box right except image 1's
    dets = []
    for a in ann['annotations']:
        category_id = a['category_id']
        if a['image_id'] == 1:
            category_id = category_id % 10 + 1
        dets.append(
            dict(
                image_id=a['image_id'],
                bbox=a['bbox'],
                score=0.9,
                category_id=category_id))
    (sub / 'pred.json').write_text(json.dumps(dets))
    from mmdigit.evaluation import load_gt_numbers
    gt = load_gt_numbers(osp.join(tiny_data, 'valid.json'))
    rows = ['image_id,pred_label'] + [
        f'{i},{n if i != 1 else "-1"}' for i, n in sorted(gt.items())
    ]
    (sub / 'pred.csv').write_text('\n'.join(rows) + '\n')
    out = tmp_path / 'look'
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools', 'show_predictions.py'),
        str(sub),
        osp.join(tiny_data, 'valid'), '--ann-file',
        osp.join(tiny_data, 'valid.json'), '--num', '4', '--out-dir',
        str(out)
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f'1 of {len(gt)} numbers read wrong' in proc.stdout
    assert Image.open(out / 'predictions.png').size == (1200, 220)
    assert Image.open(out / 'confusion_matrix.png').size == (700, 600)
