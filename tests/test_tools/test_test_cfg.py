import os.path as osp

import pytest
import torch

from mmdigit.tools import (OutTarget, load_cfg, prepare_test_cfg,
                           resolve_test_out)
from mmdigit.utils import CheckpointNotFoundError


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
    target = OutTarget(out_dir='a', zip_name='t.zip')
    assert target.files == [
        osp.join('a', 'pred.json'),
        osp.join('a', 'pred.csv'),
        osp.join('a', 't.zip')
    ]
    assert str(target) == osp.join('a', 't.zip')
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
def test_pkl_out_dumps_predictions_and_nothing_else(tiny_config, ckpt, split):
    cfg = prepare_test_cfg(load_cfg(tiny_config), ckpt, 'raw.pkl', split)
    assert 'DigitSubmissionDumper' not in evaluator_types(cfg)
    dumps = [m for m in cfg.test_evaluator if m['type'] == 'DumpDetResults']
    assert [d['out_file_path'] for d in dumps] == ['raw.pkl']
    if split == 'valid':
        assert evaluator_types(cfg)[:-1] == [
            m['type'] for m in cfg.val_evaluator
        ]
    assert cfg.load_from == ckpt
    assert hooks(cfg) == [dict(type='CheckpointFitHook', strict=True)]


def test_submission_out(tiny_config, ckpt, tmp_path):
    cfg = prepare_test_cfg(
        load_cfg(tiny_config),
        ckpt,
        str(tmp_path / 'team.zip'),
        csv_score_thr=0.3)
    dumper, = cfg.test_evaluator
    assert dumper['type'] == 'DigitSubmissionDumper'
    assert (dumper['out_dir'], dumper['zip_name'], dumper['csv_score_thr']) \
        == (str(tmp_path), 'team.zip', 0.3)


def test_submission_out_reads_as_the_checkpoint_recorded(tiny_config, ckpt):
    # the threshold and reader options come from the checkpoint, through
    # DigitThresholdHook, which is added when the config lacks it
    cfg = load_cfg(tiny_config)
    cfg.custom_hooks = []
    cfg = prepare_test_cfg(cfg, ckpt, 'out')
    dumper, = cfg.test_evaluator
    assert 'csv_score_thr' not in dumper
    hook_types = [h['type'] for h in cfg.custom_hooks]
    assert hook_types == ['CheckpointFitHook', 'DigitThresholdHook']
    # one hook, however often the config is prepared
    prepare_test_cfg(cfg, ckpt, 'out')
    hook_types = [h['type'] for h in cfg.custom_hooks]
    assert hook_types.count('DigitThresholdHook') == 1


def test_missing_checkpoint(tiny_config, tmp_path):
    with pytest.raises(
            CheckpointNotFoundError,
            match='^checkpoint file not found: .*nope.pth$'):
        prepare_test_cfg(load_cfg(tiny_config), str(tmp_path / 'nope.pth'))


def test_read_model_wraps_the_detector_unless_tta(tiny_config, ckpt):
    read_model = dict(type='DigitScaleNormTTAModel', digit_height=40)
    options = dict(read_model=read_model)
    cfg = prepare_test_cfg(load_cfg(tiny_config, cfg_options=options), ckpt)
    assert cfg.model.type == 'DigitScaleNormTTAModel'
    assert cfg.model.digit_height == 40
    assert cfg.model.module.type == 'FasterRCNN'
    cfg = prepare_test_cfg(
        load_cfg(tiny_config, cfg_options=options), ckpt, tta=True)
    assert cfg.model.type == 'DetTTAModel'
    assert cfg.model.module.type == 'FasterRCNN'
    cfg = prepare_test_cfg(load_cfg(tiny_config), ckpt)
    assert cfg.model.type == 'FasterRCNN'


def test_scale_tta_defaults():
    from mmengine.config import Config

    from mmdigit.tools.test_cfg import TTA_MODEL, use_scale_tta
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(320, 160), keep_ratio=True),
        dict(type='PackDetInputs', meta_keys=('img_id', ))
    ]
    cfg = Config(
        dict(
            model=dict(type='FasterRCNN'),
            test_dataloader=dict(dataset=dict(pipeline=pipeline))))
    use_scale_tta(cfg)
    assert cfg.model.to_dict() == dict(
        TTA_MODEL, module=dict(type='FasterRCNN'))
    branches = cfg.test_dataloader.dataset.pipeline[1].transforms[0]
    assert [b['scale'] for b in branches] == [(280, 140), (320, 160),
                                              (400, 200)]
    # the default is copied, never shared with a config
    cfg.tta_model.tta_cfg.max_per_img = 1
    assert TTA_MODEL['tta_cfg']['max_per_img'] == 100
