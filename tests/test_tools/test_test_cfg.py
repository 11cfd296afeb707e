"""What tools/test.py's flags do to a config."""
import os.path as osp

import pytest
import torch
from conftest import load_tool

from mmdigit.utils import CheckpointNotFoundError
from mmdigit.utils.cli import load_cfg

test_tool = load_tool('test')


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / 'iter_4.pth'
    torch.save(dict(meta={}, state_dict={}), path)
    return str(path)


@pytest.fixture
def prepare(tiny_config, monkeypatch):
    """``prepare(*flags, cfg=None)``: tools/test.py's flags applied to the
    tiny config (or ``cfg``); returns (cfg, files written, their name)."""
    monkeypatch.setenv('LOCAL_RANK', '0')

    def prepare(*flags, cfg=None):
        args = test_tool.parse_args([tiny_config, *flags])
        cfg = cfg or load_cfg(tiny_config, args.work_dir, args.cfg_options)
        return (cfg, *test_tool.prepare_cfg(cfg, args))

    return prepare


@pytest.mark.parametrize('out, split, files, what', [
    (None, 'test', 'wd/submission/submission.zip', 'wd/submission'),
    (None, 'valid', 'wd/submission_valid/submission.zip',
     'wd/submission_valid'),
    ('team.zip', 'test', './team.zip', './team.zip'),
    ('a/submission.zip', 'test', 'a/submission.zip', 'a'),
    ('a/b', 'test', 'a/b/submission.zip', 'a/b'),
])
def test_out_paths(prepare, ckpt, out, split, files, what):
    flags = ['--split', split, '--work-dir', 'wd']
    written = prepare(ckpt, *flags, *(['--out', out] if out else []))[1:]
    assert (written[0][-1], written[1]) == (files, what)


def evaluator_types(cfg):
    return [m['type'] for m in cfg.test_evaluator]


def hooks(cfg):
    return [h for h in cfg.custom_hooks if h['type'] == 'CheckpointFitHook']


@pytest.mark.parametrize('split, out', [('test', 'raw.pkl'),
                                        ('valid', 'a/raw.pickle')])
def test_pkl_out_dumps_predictions_and_nothing_else(prepare, ckpt, split, out):
    cfg, files, what = prepare(ckpt, '--out', out, '--split', split)
    assert (files, what) == ([out], out)
    assert 'DigitSubmissionDumper' not in evaluator_types(cfg)
    dumps = [m for m in cfg.test_evaluator if m['type'] == 'DumpDetResults']
    assert [d['out_file_path'] for d in dumps] == [out]
    if split == 'valid':
        assert evaluator_types(cfg)[:-1] == [
            m['type'] for m in cfg.val_evaluator
        ]
    assert cfg.load_from == ckpt
    assert hooks(cfg) == [dict(type='CheckpointFitHook', strict=True)]


def test_submission_out(prepare, ckpt, tmp_path):
    cfg, files, what = prepare(ckpt, '--out', str(tmp_path / 'team.zip'),
                               '--csv-thr', '0.3')
    dumper, = cfg.test_evaluator
    assert dumper['type'] == 'DigitSubmissionDumper'
    assert (dumper['out_dir'], dumper['zip_name'], dumper['csv_score_thr']) \
        == (str(tmp_path), 'team.zip', 0.3)
    assert files == [
        str(tmp_path / 'pred.json'),
        str(tmp_path / 'pred.csv'),
        str(tmp_path / 'team.zip')
    ]
    assert what == str(tmp_path / 'team.zip')
    _, files, what = prepare(ckpt, '--out', 'a')
    assert files[-1] == osp.join('a', 'submission.zip') and what == 'a'


def test_submission_out_reads_as_the_checkpoint_recorded(
        prepare, tiny_config, ckpt):
    # the threshold and reader options come from the checkpoint, through
    # DigitThresholdHook, which is added when the config lacks it
    cfg = load_cfg(tiny_config)
    cfg.custom_hooks = []
    prepare(ckpt, '--out', 'out', cfg=cfg)
    dumper, = cfg.test_evaluator
    assert 'csv_score_thr' not in dumper
    hook_types = [h['type'] for h in cfg.custom_hooks]
    assert hook_types == ['CheckpointFitHook', 'DigitThresholdHook']
    # one hook, however often the config is prepared
    prepare(ckpt, '--out', 'out', cfg=cfg)
    hook_types = [h['type'] for h in cfg.custom_hooks]
    assert hook_types.count('DigitThresholdHook') == 1


def test_missing_checkpoint(prepare, tmp_path):
    with pytest.raises(
            CheckpointNotFoundError,
            match='^checkpoint file not found: .*nope.pth$'):
        prepare(str(tmp_path / 'nope.pth'))


def test_read_model_wraps_the_detector_unless_tta(prepare, ckpt):
    read_model = [
        '--cfg-options', 'read_model.type=DigitScaleNormTTAModel',
        'read_model.digit_height=40'
    ]
    cfg = prepare(ckpt, *read_model)[0]
    assert cfg.model.type == 'DigitScaleNormTTAModel'
    assert cfg.model.digit_height == 40
    assert cfg.model.module.type == 'FasterRCNN'
    cfg = prepare(ckpt, '--tta', *read_model)[0]
    assert cfg.model.type == 'DetTTAModel'
    assert cfg.model.module.type == 'FasterRCNN'
    assert prepare(ckpt)[0].model.type == 'FasterRCNN'


def test_scale_tta_defaults():
    from mmengine.config import Config
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(320, 160), keep_ratio=True),
        dict(type='PackDetInputs', meta_keys=('img_id', ))
    ]
    cfg = Config(
        dict(
            model=dict(type='FasterRCNN'),
            test_dataloader=dict(dataset=dict(pipeline=pipeline))))
    test_tool.use_scale_tta(cfg)
    assert cfg.model.to_dict() == dict(
        test_tool.TTA_MODEL, module=dict(type='FasterRCNN'))
    branches = cfg.test_dataloader.dataset.pipeline[1].transforms[0]
    assert [b['scale'] for b in branches] == [(280, 140), (320, 160),
                                              (400, 200)]
    pack = cfg.test_dataloader.dataset.pipeline[1].transforms[-1][0]
    assert pack['meta_keys'] == ('img_id', 'flip', 'flip_direction')
    # the default is copied, never shared with a config
    cfg.tta_model.tta_cfg.max_per_img = 1
    assert test_tool.TTA_MODEL['tta_cfg']['max_per_img'] == 100
