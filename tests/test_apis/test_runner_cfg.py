import os.path as osp

import pytest
import torch

from mmdigit.apis import (OutTarget, load_cfg, prepare_test_cfg,
                          prepare_train_cfg, resolve_test_out)
from mmdigit.utils import CheckpointNotFoundError, ConfigError


@pytest.mark.parametrize('out, split, expected', [
    (None, 'test', OutTarget(out_dir=osp.join('wd', 'submission'))),
    (None, 'valid', OutTarget(out_dir=osp.join('wd', 'submission_valid'))),
    ('x.pkl', 'test', OutTarget(pkl='x.pkl')),
    ('a/x.pickle', 'valid', OutTarget(pkl='a/x.pickle')),
    ('team.zip', 'test', OutTarget(out_dir='.', zip_name='team.zip')),
    ('a/b', 'test', OutTarget(out_dir='a/b')),
])
def test_resolve_test_out(out, split, expected):
    assert resolve_test_out(out, 'wd', split) == expected


def test_out_target_files():
    assert OutTarget(pkl='x.pkl').files == ['x.pkl']
    assert OutTarget(out_dir='a', zip_name='t.zip').files == [
        osp.join('a', 'pred.json'), osp.join('a', 'pred.csv'),
        osp.join('a', 't.zip')]
    assert str(OutTarget(out_dir='a', zip_name='t.zip')) == osp.join(
        'a', 't.zip')
    assert str(OutTarget(out_dir='a')) == 'a'


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / 'iter_4.pth'
    torch.save(dict(meta={}, state_dict={}), path)
    return str(path)


def evaluator_types(cfg):
    return [m['type'] for m in cfg.test_evaluator]


def hooks(cfg):
    return [h for h in cfg.custom_hooks if h['type'] == 'CheckpointFitHook']


@pytest.mark.parametrize('split', ['test', 'valid'])
def test_pkl_out_dumps_predictions_and_nothing_else(tiny_config, ckpt,
                                                    split):
    cfg = prepare_test_cfg(load_cfg(tiny_config), ckpt, 'raw.pkl', split)
    assert 'DigitSubmissionDumper' not in evaluator_types(cfg)
    dumps = [m for m in cfg.test_evaluator if m['type'] == 'DumpDetResults']
    assert [d['out_file_path'] for d in dumps] == ['raw.pkl']
    if split == 'valid':
        assert evaluator_types(cfg)[:-1] == [
            m['type'] for m in cfg.val_evaluator]
    assert cfg.load_from == ckpt
    assert hooks(cfg) == [dict(type='CheckpointFitHook', strict=True)]


def test_submission_out(tiny_config, ckpt, tmp_path):
    cfg = prepare_test_cfg(
        load_cfg(tiny_config), ckpt, str(tmp_path / 'team.zip'),
        csv_score_thr=0.3)
    dumper, = cfg.test_evaluator
    assert dumper['type'] == 'DigitSubmissionDumper'
    assert (dumper['out_dir'], dumper['zip_name'], dumper['csv_score_thr']) \
        == (str(tmp_path), 'team.zip', 0.3)


def test_missing_checkpoint_and_config(tiny_config, tmp_path):
    with pytest.raises(CheckpointNotFoundError,
                       match='^checkpoint file not found: .*nope.pth$'):
        prepare_test_cfg(load_cfg(tiny_config), str(tmp_path / 'nope.pth'))
    with pytest.raises(ConfigError, match='config file not found: .*x.py'):
        load_cfg(str(tmp_path / 'x.py'))
    (tmp_path / 'broken.py').write_text('model = dict(\n')
    with pytest.raises(ConfigError, match='broken.py'):
        load_cfg(str(tmp_path / 'broken.py'))
    (tmp_path / 'orphan.py').write_text("_base_ = './gone.py'\n")
    with pytest.raises(ConfigError, match='gone.py'):
        load_cfg(str(tmp_path / 'orphan.py'))


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
