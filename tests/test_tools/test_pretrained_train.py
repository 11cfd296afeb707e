"""The headline command, ``tools/train.py configs/faster_rcnn_r50_fpn_digits.py
--data-root DATA``, with the config's real ``init_cfg``: it loads ImageNet
weights from torch.hub's cache, and without them stops in one line."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.runner import CheckpointLoader

from mmdigit.utils import cache_path

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRIMARY = 'configs/faster_rcnn_r50_fpn_digits.py'
URL = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
pytestmark = pytest.mark.slow


def offline_env(torch_home):
    """A private torch.hub cache and every download refused (there is no
    network here either), no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(
        TORCH_HOME=str(torch_home),
        https_proxy='http://127.0.0.1:9',
        HTTPS_PROXY='http://127.0.0.1:9',
        no_proxy='',
        NO_PROXY='')
    return env


def train(data_root, work_dir, torch_home, *options):
    """``tools/train.py`` on the primary as the README prints it."""
    return subprocess.run([
        sys.executable, 'tools/train.py', PRIMARY, '--data-root', data_root,
        '--work-dir',
        str(work_dir), *options
    ],
                          cwd=REPO,
                          env=offline_env(torch_home),
                          capture_output=True,
                          text=True)


def test_primary_trains_from_weights_in_the_hub_cache(tiny_data, tmp_path,
                                                      monkeypatch):
    from mmdet.models.backbones import ResNet

    # a stand-in for the ImageNet file: random weights of its shapes
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    path = cache_path(URL)
    os.makedirs(osp.dirname(path))
    torch.manual_seed(1)
    stand_in = ResNet(depth=50).state_dict()
    torch.save(stand_in, path)
    # 24 images of 12: 2 iterations of one epoch, no validation
    proc = train(tiny_data, tmp_path / 'work', tmp_path / 'torch',
                 '--cfg-options', 'train_cfg.max_epochs=1',
                 'train_cfg.val_interval=2', 'train_dataloader.batch_size=12',
                 'train_dataloader.num_workers=0',
                 'train_dataloader.persistent_workers=False')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert f'load model from: {URL}' in log
    assert 'Downloading' not in log
    trained = CheckpointLoader.load_checkpoint(
        str(tmp_path / 'work' / 'epoch_1.pth'),
        map_location='cpu')['state_dict']
    # frozen_stages=1: the stem does not train, so it is the file's
    assert torch.equal(trained['backbone.conv1.weight'],
                       stand_in['conv1.weight'])


@pytest.mark.parametrize('debug', [False, True], ids=['user', 'debug'])
def test_primary_offline_without_weights_is_one_line(tiny_data, tmp_path,
                                                     monkeypatch, debug):
    if debug:
        monkeypatch.setenv('MMDIGIT_DEBUG', '1')
    proc = train(tiny_data, tmp_path / 'work', tmp_path / 'torch')
    assert proc.returncode == 1
    if debug:
        assert 'Traceback' in proc.stderr
        return
    assert 'Traceback' not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith('error')]
    assert len(errors) == 1, proc.stderr
    expected = osp.join(
        str(tmp_path / 'torch'), 'hub', 'checkpoints', 'resnet50-0676ba61.pth')
    assert URL in errors[0] and expected in errors[0]
    assert 'model.backbone.init_cfg=None' in errors[0]
    # nothing happened before it: no work dir, no partial download
    assert not osp.exists(tmp_path / 'work')
    assert not osp.exists(expected)


def test_ablate_offline_without_weights_is_one_line_before_any_run(
        tiny_data, tmp_path):
    proc = subprocess.run([
        sys.executable, 'tools/ablate.py', PRIMARY, '--budget', '2',
        '--data-root', tiny_data, '--work-dir',
        str(tmp_path / 'abl')
    ],
                          cwd=REPO,
                          env=offline_env(tmp_path / 'torch'),
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith('error')]
    assert len(errors) == 1 and URL in errors[0], proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not osp.exists(tmp_path / 'abl' / 'faster_rcnn_r50_fpn_digits')
