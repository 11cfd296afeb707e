import csv
import json
import os.path as osp
import subprocess
import sys
import zipfile

import pytest

from mmdigit.evaluation import fuse_detections, read_numbers, write_submission

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def det(img_id, bbox, score, digit):
    return dict(image_id=img_id, bbox=bbox, score=score, category_id=digit + 1)


# Two models. Image 1: both find a '1' (overlapping, IoU 2/3), only A finds
# the '3' and a spurious '9'. Image 2: the same box read '5' by A, '6' by B.
MODEL_A = [
    det(1, [0, 0, 10, 20], 0.8, 1),
    det(1, [20, 0, 10, 20], 0.86, 3),
    det(1, [40, 0, 10, 20], 0.34, 9),
    det(2, [0, 0, 10, 20], 0.84, 5),
]
MODEL_B = [
    det(1, [2, 0, 10, 20], 0.4, 1),  # x1, y1, x2, y2 = 2, 0, 12, 20
    det(2, [0, 0, 10, 20], 0.5, 6),
]


def approx(x):
    # WBF keeps boxes in float32
    return pytest.approx(x, rel=1e-6, abs=1e-5)


def test_fuse_by_hand():
    fused = fuse_detections([MODEL_A, MODEL_B])
    digits = [(d['image_id'], d['category_id']) for d in fused]
    assert digits == [(1, 2), (1, 4), (1, 10), (2, 6), (2, 7)]
    one = fused[0]
    # score-weighted mean of x1, y1, x2, y2 = (0, 0, 10, 20), (2, 0, 12, 20)
    x1 = (0 * 0.8 + 2 * 0.4) / 1.2
    x2 = (10 * 0.8 + 12 * 0.4) / 1.2
    assert one['bbox'] == approx([x1, 0, x2 - x1, 20])
    assert one['bbox'][2] == approx(10)  # xywh was converted, not fused raw
    # 'avg': mean score times min(2 models, 2 boxes) / sum of weights (2)
    assert one['score'] == approx((0.8 + 0.4) / 2 * 2 / 2)
    # found by one model of two: score halved, box unchanged
    assert fused[1]['bbox'] == approx([20, 0, 10, 20])
    scores = [d['score'] for d in fused[1:]]
    assert scores == approx([0.86 / 2, 0.34 / 2, 0.84 / 2, 0.5 / 2])
    # different digits on the same spot are not fused
    assert fused[3]['bbox'] == approx(fused[4]['bbox'])


def test_fuse_weights_and_conf_type():
    fused = fuse_detections([MODEL_A, MODEL_B], weights=[3, 1])
    # boxes and scores are weighted by weight * score: 2.4 and 0.4
    x1 = (0 * 2.4 + 2 * 0.4) / 2.8
    assert fused[0]['bbox'] == approx([x1, 0, 10, 20])
    assert fused[0]['score'] == approx((2.4 + 0.4) / 2 * 2 / 4)
    assert fused[1]['score'] == approx(0.86 * 3 / 4)
    sevens = [d['score'] for d in fused if d['category_id'] == 7]
    assert sevens == approx([0.5 * 1 / 4])

    # 'max': the highest score of a cluster, one model's boxes not lowered
    fused = fuse_detections([MODEL_A, MODEL_B], conf_type='max')
    top = [(d['category_id'], d['score']) for d in fused[:3]]
    assert top == [(4, approx(0.86)), (2, approx(0.8)), (10, approx(0.34))]


def test_fuse_rejects_what_mmdet_would_ignore_or_exit_on():
    with pytest.raises(ValueError, match='2 submissions'):
        fuse_detections([MODEL_A, MODEL_B], weights=[1])
    with pytest.raises(ValueError, match='conf_type'):
        fuse_detections([MODEL_A, MODEL_B], conf_type='mean')
    with pytest.raises(ValueError, match='positive'):
        fuse_detections([MODEL_A, MODEL_B], weights=[1, 0])


@pytest.fixture
def submissions(tmp_path):
    """A as a folder, B as a zip; image 3 has no box, 4 is only in B."""
    a = str(tmp_path / 'a')
    write_submission(a, MODEL_A, [(1, '13'), (2, '5'), (3, '-1')])
    b_rows = [(1, '1'), (2, '6'), (3, '-1'), (4, '-1')]
    b = write_submission(
        str(tmp_path / 'b'), MODEL_B, b_rows, zip_name='b.zip')
    return a, b


def test_read_fused_boxes():
    fused = fuse_detections([MODEL_A, MODEL_B])
    # fused scores: '1' 0.6, '3' 0.43, '9' 0.17; '5' 0.42, '6' 0.25
    assert read_numbers(fused, [1, 2, 3]) == [(1, '1'), (2, '-1'), (3, '-1')]
    assert read_numbers(fused, [1, 2], 0.4) == [(1, '13'), (2, '5')]
    # the '6' is suppressed by the higher-scored '5' on the same spot,
    # unless a reader option keeps every box
    assert read_numbers(fused, [1, 2], 0.1) == [(1, '139'), (2, '5')]
    assert read_numbers(
        fused, [1, 2], 0.1, nms_ios_thr=1.0) == [(1, '139'), (2, '56')]


def tool(*args):
    cmd = [sys.executable, osp.join(REPO, 'tools', 'ensemble.py'), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def read_csv(path):
    with open(path) as f:
        return list(csv.reader(f))


@pytest.mark.slow
def test_cli_given_threshold_writes_the_three_files(submissions, tmp_path):
    out = tmp_path / 'fused'
    stdout = tool(*submissions, '--out', str(out), '--csv-thr', '0.4')
    assert 'pred.csv score threshold: 0.4 (given by --csv-thr)' in stdout
    assert read_csv(out / 'pred.csv') == [['image_id', 'pred_label'],
                                          ['1', '13'], ['2', '5'], ['3', '-1'],
                                          ['4', '-1']]
    assert len(json.loads((out / 'pred.json').read_text())) == 5
    with zipfile.ZipFile(out / 'submission.zip') as zf:
        assert sorted(zf.namelist()) == ['pred.csv', 'pred.json']
        for name in ('pred.csv', 'pred.json'):
            assert zf.read(name) == (out / name).read_bytes()


@pytest.mark.slow
def test_cli_chooses_threshold_on_labelled_json(submissions, tmp_path):
    box = dict(bbox=[0, 0, 10, 20], area=200, iscrowd=0)
    ann = dict(
        images=[
            dict(id=i, file_name=f'{i}.png', width=60, height=20)
            for i in (1, 2, 3)
        ],
        annotations=[
            dict(box, id=1, image_id=1, category_id=2),
            dict(box, id=2, image_id=1, category_id=4, bbox=[20, 0, 10, 20]),
            dict(box, id=3, image_id=2, category_id=6),
            dict(box, id=4, image_id=3, category_id=8),
        ],
        categories=[dict(id=i + 1, name=str(i)) for i in range(10)])
    ann_file = tmp_path / 'valid.json'
    ann_file.write_text(json.dumps(ann))
    out = tmp_path / 'fused'
    stdout = tool(*submissions, '--out', str(out), '--ann-file', str(ann_file))
    # '13' needs 0.17 < thr <= 0.43, '5' thr <= 0.42; image 3 is missed:
    # 2/3 right from 0.20 to 0.40, and the lowest of those is taken
    assert 'pred.csv score threshold: 0.2 (best exact-match accuracy ' \
        '(0.6667)' in stdout
    assert read_csv(out / 'pred.csv')[1:] == [['1', '13'], ['2', '5'],
                                              ['3', '-1'], ['4', '-1']]
    table = [line for line in stdout.splitlines() if line.startswith('| ')]
    assert len(table) == 4  # header, two inputs, the fused one
    assert table[-1].startswith(f'| {out} (fused)')
    assert table[-1].rstrip(' |').endswith('0.6667')


@pytest.mark.slow
def test_cli_reader_options(submissions, tmp_path):
    # at 0.1 the fused '6' (0.25) on the '5' (0.42) is suppressed, unless a
    # reader option keeps every box
    out = tmp_path / 'fused'
    tool(*submissions, '--out', str(out), '--csv-thr', '0.1')
    assert read_csv(out / 'pred.csv')[2] == ['2', '5']
    tool(*submissions, '--out', str(out), '--csv-thr', '0.1', '--reader-cfg',
         'nms_ios_thr=1.0')
    assert read_csv(out / 'pred.csv')[2] == ['2', '56']
    # a misspelt option: one error line, exit 1
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'ensemble.py'), *submissions, '--out',
        str(out), '--reader-cfg', 'nms_ios=1.0'
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(
        'error: --reader-cfg: ')
    assert 'nms_ios' in proc.stderr and 'Traceback' not in proc.stderr
