"""The CPU recipe end to end on tiny inputs: synthetic pretraining (images
rendered on the fly), fine-tuning from its checkpoint on a course-layout
dataset, then the submission."""
import csv
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from conftest import write_tiny_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH = osp.join(REPO, 'configs', 'synthetic')
PRETRAIN = osp.join(SYNTH, 'faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py')
FINETUNE = osp.join(SYNTH, 'faster_rcnn_r18_fpn_synth-finetune_1.5k_digits.py')
pytestmark = pytest.mark.slow


def tool(*args):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True)


def test_pretrain_then_finetune(tiny_data, tmp_path):
    pretrain = write_tiny_config(
        tmp_path / 'pretrain.py', PRETRAIN, """
max_iters = 2
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
train_dataloader = dict(dataset=dict(length=64, seed=5))
""")
    pre_dir = str(tmp_path / 'pre')
    proc = tool('tools/train.py', pretrain, '--data-root', tiny_data,
                '--work-dir', pre_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pre_ckpt = osp.join(pre_dir, 'iter_2.pth')
    assert osp.isfile(pre_ckpt)
    # the tiny dataset's train/ was never read: the images were rendered
    with open(osp.join(pre_dir, 'pretrain.py')) as f:
        assert 'SyntheticDigitDataset' in f.read()

    finetune = write_tiny_config(
        tmp_path / 'finetune.py', FINETUNE, f"""
max_iters = 2
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
load_from = {pre_ckpt!r}
""")
    ft_dir = str(tmp_path / 'ft')
    proc = tool('tools/train.py', finetune, '--data-root', tiny_data,
                '--work-dir', ft_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'Load checkpoint from {pre_ckpt}' in proc.stdout + proc.stderr
    ft_ckpt = osp.join(ft_dir, 'iter_2.pth')
    # fine-tuning started from the pretrained weights and changed them
    pre_sd = torch.load(pre_ckpt, map_location='cpu')['state_dict']
    ft_sd = torch.load(ft_ckpt, map_location='cpu')['state_dict']
    assert pre_sd.keys() == ft_sd.keys()
    assert any(not torch.equal(pre_sd[k], ft_sd[k]) for k in pre_sd
               if pre_sd[k].is_floating_point())

    out = tmp_path / 'sub'
    proc = tool('tools/test.py', finetune, ft_ckpt, '--data-root', tiny_data,
                '--work-dir', str(tmp_path / 'test'), '--out', str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / 'pred.csv') as f:
        assert len(list(csv.reader(f))) == 1 + 6  # header + 6 test images


def test_missing_pretrained_file_is_one_line(tiny_data, tmp_path):
    missing = 'work_dirs/no_such_pretraining/iter_2000.pth'
    finetune = write_tiny_config(tmp_path / 'finetune.py', FINETUNE,
                                 f'load_from = {missing!r}\n')
    proc = tool('tools/train.py', finetune, '--data-root', tiny_data,
                '--work-dir', str(tmp_path / 'ft'))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith('error: ') and missing in lines[-1]
    assert 'Traceback' not in proc.stderr
    # the line names the command that makes the file
    assert 'tools/train.py' in lines[-1] and 'pretrain' in lines[-1]
    assert not osp.exists(tmp_path / 'ft' / 'iter_2.pth')
