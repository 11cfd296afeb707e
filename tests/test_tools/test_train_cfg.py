import pytest
import torch

from mmdigit.tools import load_cfg, prepare_train_cfg
from mmdigit.utils import CheckpointNotFoundError


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / 'iter_4.pth'
    torch.save(dict(meta={}, state_dict={}), path)
    return str(path)


def hooks(cfg):
    return [h for h in cfg.custom_hooks if h['type'] == 'CheckpointFitHook']


def test_train_checkpoint_checks(tiny_config, ckpt, tmp_path):
    cfg = prepare_train_cfg(load_cfg(tiny_config))
    assert not hooks(cfg)  # from scratch: nothing to check

    cfg = load_cfg(tiny_config, cfg_options=dict(load_from=ckpt))
    prepare_train_cfg(cfg)
    assert hooks(cfg) == [dict(type='CheckpointFitHook', strict=False)]

    cfg = prepare_train_cfg(load_cfg(tiny_config), resume=ckpt)
    assert hooks(cfg) == [dict(type='CheckpointFitHook', strict=True)]
    cfg = prepare_train_cfg(load_cfg(tiny_config), resume='auto')
    assert hooks(cfg) == [dict(type='CheckpointFitHook', strict=True)]

    # a fine-tuning config pointing at a pretraining run's output
    missing = 'work_dirs/pretrain_digits/iter_1000.pth'
    cfg = load_cfg(tiny_config, cfg_options=dict(load_from=missing))
    with pytest.raises(CheckpointNotFoundError) as err:
        prepare_train_cfg(cfg)
    assert str(err.value).startswith(f'load_from file not found: {missing};')
    assert 'train the config that writes it' in str(err.value)
    # elsewhere: no such hint
    missing = str(tmp_path / 'gone.pth')
    with pytest.raises(CheckpointNotFoundError) as err:
        prepare_train_cfg(load_cfg(tiny_config), resume=missing)
    assert str(err.value) == f'--resume checkpoint file not found: {missing}'
