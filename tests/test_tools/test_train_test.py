"""End to end through the user-facing tools, as subprocesses (no
PYTHONPATH: the tools must work from the repo root as installed)."""
import csv
import glob
import json
import os
import os.path as osp
import pickle
import re
import subprocess
import sys
import zipfile

import pytest
import torch

from mmdigit.evaluation import evaluate_submission
from mmdigit.utils import read_best_thr

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.slow


def tool(*args, check=True):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def scalars(work_dir):
    """The json-lines scalar log of a run."""
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def trained(tiny_data, tiny_config, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('train'))
    tool('tools/train.py', tiny_config, '--data-root', tiny_data,
         '--work-dir', work_dir)
    return work_dir


def test_train_writes_checkpoints_and_both_metrics(trained):
    assert osp.exists(osp.join(trained, 'iter_2.pth'))
    assert osp.exists(osp.join(trained, 'iter_4.pth'))
    logs = scalars(trained)
    val = [r for r in logs if 'coco/bbox_mAP' in r]
    assert len(val) == 2  # val_interval=2 over 4 iterations
    assert all('digit/accuracy' in r and 'digit/best_thr' in r for r in val)
    # DigitThresholdHook put the validation-best threshold in the checkpoint
    assert read_best_thr(osp.join(trained, 'iter_4.pth')) == \
        val[-1]['digit/best_thr']


def test_resume_continues_from_checkpoint(trained, tiny_data, tiny_config,
                                          tmp_path):
    resumed = str(tmp_path / 'resumed')
    tool('tools/train.py', tiny_config, '--data-root', tiny_data,
         '--work-dir', resumed, '--resume', osp.join(trained, 'iter_2.pth'))
    iters = [r['iter'] for r in scalars(resumed) if 'loss' in r]
    assert iters == [3, 4]
    ckpt = torch.load(osp.join(resumed, 'iter_4.pth'), weights_only=True)
    assert ckpt['meta']['iter'] == 4
    assert ckpt['optimizer']['state']  # AdamW moments came along
    # the resumed run started from iter_2's weights, not from scratch
    start = torch.load(osp.join(trained, 'iter_2.pth'), weights_only=True)
    assert start['meta']['iter'] == 2


def test_test_writes_submission_for_every_image(trained, tiny_data,
                                                tiny_config, tmp_path):
    out = tmp_path / 'sub'
    proc = tool('tools/test.py', tiny_config,
                osp.join(trained, 'iter_4.pth'), '--data-root', tiny_data,
                '--out', str(out))
    assert 'recorded on validation' in proc.stderr + proc.stdout
    with open(out / 'pred.csv') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['image_id', 'pred_label']
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 7))
    assert all(re.fullmatch(r'-1|\d+', r[1]) for r in rows[1:])
    dets = json.loads((out / 'pred.json').read_text())
    sizes = {}
    from PIL import Image
    for i in range(1, 7):
        with Image.open(osp.join(tiny_data, 'test', f'{i}.png')) as im:
            sizes[i] = im.size
    for d in dets:
        assert set(d) == {'image_id', 'bbox', 'score', 'category_id'}
        assert 1 <= d['category_id'] <= 10
        x, y, w, h = d['bbox']
        W, H = sizes[d['image_id']]
        # original pixels (inputs were resized up to 128 px wide)
        assert -1e-3 <= x and x + w <= W + 1e-3 and y + h <= H + 1e-3
    with zipfile.ZipFile(out / 'submission.zip') as zf:
        assert sorted(zf.namelist()) == ['pred.csv', 'pred.json']


def test_test_out_zip_pkl_valid_split_and_tta(trained, tiny_data,
                                              tiny_config, tmp_path):
    ckpt = osp.join(trained, 'iter_4.pth')
    base = ['tools/test.py', tiny_config, ckpt, '--data-root', tiny_data]
    tool(*base, '--out', str(tmp_path / 'team.zip'), '--csv-thr', '0.05',
         '--tta')
    with zipfile.ZipFile(tmp_path / 'team.zip') as zf:
        assert len(zf.read('pred.csv').decode().splitlines()) == 7
    tool(*base, '--out', str(tmp_path / 'raw.pkl'))
    with open(tmp_path / 'raw.pkl', 'rb') as f:
        assert len(pickle.load(f)) == 6
    proc = tool(*base, '--split', 'valid', '--out', str(tmp_path / 'valid'))
    logged = float(
        re.findall(r'coco/bbox_mAP: ([\d.]+)', proc.stdout + proc.stderr)[-1])
    scored = evaluate_submission(
        str(tmp_path / 'valid'), osp.join(tiny_data, 'valid.json'))
    assert round(scored['coco/bbox_mAP'], 3) == logged


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_without_cuda_is_one_clear_line(tiny_data, tiny_config,
                                            tmp_path):
    proc = tool('tools/train.py', tiny_config, '--data-root', tiny_data,
                '--work-dir', str(tmp_path), '--amp', check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith('error:')]
    assert len(errors) == 1 and 'CUDA' in errors[0]


def test_boxes_are_mapped_back_to_original_pixels(trained, tiny_data,
                                                  tiny_config, tmp_path):
    from mmengine.dataset import pseudo_collate

    from mmdet.apis import init_detector
    from mmdet.registry import DATASETS
    from mmdigit.apis import load_cfg
    from mmdigit.evaluation import DigitSubmissionDumper

    cfg = load_cfg(tiny_config, data_root=tiny_data)
    model = init_detector(cfg, osp.join(trained, 'iter_4.pth'), device='cpu')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([dataset[0]]), False)
    sample = data['data_samples'][0]
    sx, sy = sample.scale_factor
    assert sx > 1 and sy > 1  # the input was upscaled
    with torch.no_grad():
        scaled = model.predict(data['inputs'], [sample.clone()],
                               rescale=True)[0]
        raw = model.predict(data['inputs'], [sample.clone()],
                            rescale=False)[0]
    boxes = scaled.pred_instances.bboxes
    assert len(boxes) > 0
    torch.testing.assert_close(
        boxes, raw.pred_instances.bboxes / boxes.new_tensor([sx, sy, sx, sy]))
    dumper = DigitSubmissionDumper(out_dir=str(tmp_path))
    dumper.process({}, [scaled.to_dict()])
    dumper.evaluate(1)
    dets = json.loads((tmp_path / 'pred.json').read_text())
    x1, y1, x2, y2 = boxes[0].tolist()
    assert dets[0]['bbox'] == pytest.approx([x1, y1, x2 - x1, y2 - y1])
    assert dets[0]['category_id'] == int(scaled.pred_instances.labels[0]) + 1
