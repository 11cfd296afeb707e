"""End to end through the user-facing tools, as subprocesses (no
PYTHONPATH: the tools must work from the repo root as installed)."""
import csv
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import zipfile

import pytest
import torch

from mmdigit.evaluation import evaluate_submission
from mmdigit.utils import read_recorded_reading

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
AMP_CONFIG = osp.join(REPO, 'configs', 'ablations',
                      'faster_rcnn_r50_fpn_amp_1x_digits.py')
pytestmark = pytest.mark.slow


def tool(*args, check=True):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def scalars(work_dir, runs=slice(None)):
    """The json-lines scalar logs of the runs in a work dir, oldest first."""
    paths = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    records = []
    for path in paths[runs]:
        with open(path) as f:
            records += [json.loads(line) for line in f]
    return records


def losses(work_dir, runs=slice(None)):
    return [(r['iter'], r['loss']) for r in scalars(work_dir, runs)
            if 'loss' in r]


def val_metrics(work_dir):
    records = [r for r in scalars(work_dir) if 'coco/bbox_mAP' in r]
    return [{k: v for k, v in r.items() if '/' in k} for r in records]


@pytest.fixture(scope='module')
def trained(tiny_data, tiny_config, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('train'))
    tool('tools/train.py', tiny_config, '--data-root', tiny_data, '--work-dir',
         work_dir)
    return work_dir


def test_train_writes_checkpoints_and_both_metrics(trained):
    assert osp.exists(osp.join(trained, 'iter_2.pth'))
    assert osp.exists(osp.join(trained, 'iter_4.pth'))
    logs = scalars(trained)
    val = [r for r in logs if 'coco/bbox_mAP' in r]
    assert len(val) == 2  # val_interval=2 over 4 iterations
    assert all('digit/accuracy' in r and 'digit/best_thr' in r for r in val)
    # DigitThresholdHook put the validation-best threshold in the
    # checkpoint, with the reader options it was chosen with
    thr, reader_cfg = read_recorded_reading(osp.join(trained, 'iter_4.pth'))
    assert thr == val[-1]['digit/best_thr']
    assert reader_cfg['nms_ios_thr'] == 0.5


def test_resume_continues_from_checkpoint(trained, tiny_data, tiny_config,
                                          tmp_path):
    resumed = str(tmp_path / 'resumed')
    tool('tools/train.py', tiny_config, '--data-root', tiny_data, '--work-dir',
         resumed, '--resume', osp.join(trained, 'iter_2.pth'))
    iters = [r['iter'] for r in scalars(resumed) if 'loss' in r]
    assert iters == [3, 4]
    # RNGStateHook + MMEngine's dataloader replay: the resumed iterations
    # are the uninterrupted run's, exactly (CPU, deterministic)
    assert losses(resumed) == losses(trained)[2:]
    assert val_metrics(resumed)[-1] == val_metrics(trained)[-1]
    ckpt = torch.load(osp.join(resumed, 'iter_4.pth'), weights_only=True)
    assert ckpt['meta']['iter'] == 4
    assert ckpt['optimizer']['state']  # AdamW moments came along
    # the resumed run started from iter_2's weights, not from scratch
    start = torch.load(osp.join(trained, 'iter_2.pth'), weights_only=True)
    assert start['meta']['iter'] == 2


def test_test_writes_submission_for_every_image(trained, tiny_data,
                                                tiny_config, tmp_path):
    out = tmp_path / 'sub'
    proc = tool('tools/test.py', tiny_config, osp.join(trained, 'iter_4.pth'),
                '--data-root', tiny_data, '--out', str(out))
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


def test_test_out_zip_valid_split_and_tta(trained, tiny_data, tiny_config,
                                          tmp_path):
    # (--out x.pkl is test_reliability.py's test_pkl_out_...)
    ckpt = osp.join(trained, 'iter_4.pth')
    base = ['tools/test.py', tiny_config, ckpt, '--data-root', tiny_data]
    tool(*base, '--out', str(tmp_path / 'team.zip'), '--csv-thr', '0.05',
         '--tta')
    with zipfile.ZipFile(tmp_path / 'team.zip') as zf:
        assert len(zf.read('pred.csv').decode().splitlines()) == 7
    proc = tool(*base, '--split', 'valid', '--out', str(tmp_path / 'valid'))
    logged = float(
        re.findall(r'coco/bbox_mAP: ([\d.]+)', proc.stdout + proc.stderr)[-1])
    scored = evaluate_submission(
        str(tmp_path / 'valid'), osp.join(tiny_data, 'valid.json'))
    assert round(scored['coco/bbox_mAP'], 3) == logged


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
@pytest.mark.parametrize(
    'amp_config', [False, True], ids=['--amp', 'amp config'])
def test_amp_without_cuda_is_one_clear_line(tiny_data, tiny_config, tmp_path,
                                            amp_config):
    if amp_config:
        args = [AMP_CONFIG]
    else:
        args = [tiny_config, '--amp']
    proc = tool(
        'tools/train.py',
        *args,
        '--data-root',
        tiny_data,
        '--work-dir',
        str(tmp_path),
        check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    errors = [
        line for line in proc.stderr.splitlines() if line.startswith('error:')
    ]
    assert len(errors) == 1 and 'CUDA' in errors[0]


def test_boxes_are_mapped_back_to_original_pixels(trained, tiny_data,
                                                  tiny_config, tmp_path):
    from mmdet.apis import init_detector
    from mmdet.registry import DATASETS
    from mmengine.dataset import pseudo_collate

    from mmdigit.evaluation import DigitSubmissionDumper
    from mmdigit.utils.cli import load_cfg

    cfg = load_cfg(tiny_config, data_root=tiny_data)
    model = init_detector(cfg, osp.join(trained, 'iter_4.pth'), device='cpu')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([dataset[0]]), False)
    sample = data['data_samples'][0]
    sx, sy = sample.scale_factor
    assert sx > 1 and sy > 1  # the input was upscaled
    with torch.no_grad():
        scaled = model.predict(
            data['inputs'], [sample.clone()], rescale=True)[0]
        raw = model.predict(data['inputs'], [sample.clone()], rescale=False)[0]
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


def test_same_seed_gives_identical_losses(trained, tiny_data, tiny_config,
                                          tmp_path):
    again = str(tmp_path / 'again')
    tool('tools/train.py', tiny_config, '--data-root', tiny_data, '--work-dir',
         again)
    assert len(losses(trained)) == 4
    assert losses(again) == losses(trained)


def test_nan_loss_stops_with_iteration_and_term(tiny_data, tiny_config,
                                                tmp_path):
    # An absurd learning rate makes the weights, then the loss, explode.
    proc = tool(
        'tools/train.py',
        tiny_config,
        '--data-root',
        tiny_data,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        'optim_wrapper.optimizer.lr=1e30',
        'optim_wrapper.clip_grad=None',
        check=False)
    assert proc.returncode == 1
    errors = [
        line for line in proc.stderr.splitlines() if line.startswith('error:')
    ]
    assert len(errors) == 1, proc.stderr[-2000:]
    match = re.search(r'non-finite loss at iteration (\d+): (\w+)=', errors[0])
    assert match and match.group(2).startswith('loss')
    stopped_at = int(match.group(1))
    assert 'Traceback' not in proc.stderr
    # nothing from the bad iteration onwards was checkpointed
    saved = [
        int(re.search(r'iter_(\d+)', p).group(1))
        for p in glob.glob(osp.join(str(tmp_path), 'iter_*.pth'))
    ]
    assert all(i < stopped_at for i in saved)


def test_bad_dataset_and_misspelt_config_key_are_one_line(
        tiny_data, tiny_config, tmp_path):
    import shutil
    data = tmp_path / 'data'
    shutil.copytree(tiny_data, data)
    broken = data / 'train' / '1.png'
    broken.write_bytes(broken.read_bytes()[:100])  # truncated
    proc = tool(
        'tools/train.py',
        tiny_config,
        '--data-root',
        str(data),
        '--work-dir',
        str(tmp_path / 'wd'),
        check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    errors = [
        line for line in proc.stderr.splitlines() if line.startswith('error:')
    ]
    assert len(errors) == 1 and str(broken) in errors[0]
    assert 'cannot be decoded' in errors[0]

    proc = tool(
        'tools/train.py',
        tiny_config,
        '--data-root',
        tiny_data,
        '--work-dir',
        str(tmp_path / 'wd2'),
        '--cfg-options',
        'model.backbone.dpeth=18',
        check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    errors = [
        line for line in proc.stderr.splitlines() if line.startswith('error:')
    ]
    assert len(errors) == 1 and errors[0].startswith('error: config:')
    assert "'dpeth'" in errors[0]


def test_killed_run_resumes_to_the_same_result(trained, tiny_data, tiny_config,
                                               tmp_path):
    import signal
    import time
    work_dir = tmp_path / 'killed'
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    cmd = [
        sys.executable, 'tools/train.py', tiny_config, '--data-root',
        tiny_data, '--work-dir',
        str(work_dir)
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    # kill as soon as a checkpoint is complete and recorded
    while not (work_dir / 'last_checkpoint').exists():
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not glob.glob(str(work_dir / '*.tmp'))  # no half-written files
    last = (work_dir / 'last_checkpoint').read_text().strip()
    killed_at = torch.load(last, weights_only=True)['meta']['iter']
    assert killed_at >= 2
    tool(*cmd[1:], '--resume')
    if killed_at < 4:  # the resumed run starts right after the checkpoint
        assert losses(str(work_dir), slice(-1, None))[0][0] == killed_at + 1
    # whatever was logged before the kill, the result is the uninterrupted
    # run's
    final = {it: loss for it, loss in losses(str(work_dir))}
    assert [(it, final[it]) for it in (3, 4)] == losses(trained)[2:]
    assert val_metrics(str(work_dir))[-1] == val_metrics(trained)[-1]
    ckpt = torch.load(str(work_dir / 'iter_4.pth'), weights_only=True)
    ref = torch.load(osp.join(trained, 'iter_4.pth'), weights_only=True)
    assert ckpt['param_schedulers'] == ref['param_schedulers']
    for k, v in ref['state_dict'].items():
        assert torch.equal(ckpt['state_dict'][k], v), k
