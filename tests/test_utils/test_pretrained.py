import importlib.util
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmdigit.utils import (PretrainedWeightsError, cache_path,
                           ensure_pretrained_weights, remote_checkpoints,
                           resolve_url)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRIMARY = osp.join(REPO, 'configs', 'faster_rcnn_r50_fpn_digits.py')
URL = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty torch.hub cache and every https request refused."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    for var in ('https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'):
        monkeypatch.setenv(var, 'http://127.0.0.1:9')
    for var in ('no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_primary_names_its_imagenet_weights_by_url():
    cfg = Config.fromfile(PRIMARY)
    assert remote_checkpoints(cfg) == [('model.backbone.init_cfg', URL)]


def test_offline_configs_need_no_download():
    for name in ('faster_rcnn_r18_fpn_demo_digits.py',
                 'synthetic/faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py'):
        cfg = Config.fromfile(osp.join(REPO, 'configs', name))
        assert remote_checkpoints(cfg) == []


def test_remote_load_from_counts_but_not_when_resuming():
    cfg = Config(dict(model=dict(), load_from='open-mmlab://regnetx_400mf'))
    assert remote_checkpoints(cfg) == [('load_from',
                                        'open-mmlab://regnetx_400mf')]
    cfg.resume = True
    assert remote_checkpoints(cfg) == []


def test_resolve_url_follows_mmengine_tables():
    assert resolve_url(URL) == URL
    assert resolve_url('open-mmlab://regnetx_400mf') == (
        'https://download.openmmlab.com/pretrain/third_party/'
        'regnetx_400mf-a5b10d96.pth')
    assert resolve_url('s3://bucket/weights.pth') == ''
    with pytest.raises(PretrainedWeightsError, match='unknown'):
        resolve_url('open-mmlab://no_such_model')


@pytest.mark.skipif(
    importlib.util.find_spec('torchvision') is not None,
    reason='torchvision is installed')
def test_torchvision_scheme_without_torchvision_names_the_url():
    with pytest.raises(PretrainedWeightsError, match=URL):
        resolve_url('torchvision://resnet50')


def test_cached_weights_are_used_without_network(offline):
    path = cache_path(URL)
    assert path == str(offline / 'torch' / 'hub' / 'checkpoints' /
                       'resnet50-0676ba61.pth')
    os.makedirs(osp.dirname(path))
    torch.save({}, path)
    assert ensure_pretrained_weights(Config.fromfile(PRIMARY)) == [path]


def test_unreachable_download_is_one_line_with_url_and_cache_path(offline):
    with pytest.raises(PretrainedWeightsError) as info:
        ensure_pretrained_weights(Config.fromfile(PRIMARY))
    message = str(info.value)
    assert URL in message and cache_path(URL) in message
    assert 'model.backbone.init_cfg=None' in message
    assert 'configs/synthetic/' in message
    assert not osp.exists(cache_path(URL))
