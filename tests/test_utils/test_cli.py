import json
import os
import os.path as osp
import signal

import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.registry import Registry
from PIL import Image

from mmdigit.datasets import DatasetError, DatasetProblem
from mmdigit.utils import (DEBUG_ENV, CheckpointError, CheckpointNotFoundError,
                           ConfigError, UserInputError, atomic_write_files,
                           markdown_table)
from mmdigit.utils.cli import (bar_chart_png, check_train_cfg,
                               exit_on_interrupt, exit_on_user_error, load_cfg,
                               write_table_report)

PARTS = Registry('test_cli_parts')


@PARTS.register_module()
class Part:

    def __init__(self, depth: int):
        self.depth = depth + 'x'  # a bug: str + int


def exit_line(capsys, fn, **kwargs):
    """Run ``fn`` under exit_on_user_error; return (exit code, stderr)."""
    with pytest.raises(SystemExit) as exc:
        with exit_on_user_error(**kwargs):
            fn()
    return exc.value.code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def no_debug(monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)


def test_user_errors_are_one_line(capsys):

    def bad_checkpoint():
        raise CheckpointError('x.pth is not a readable checkpoint')

    expected = (1, 'error: test: x.pth is not a readable checkpoint\n')
    assert exit_line(capsys, bad_checkpoint, prefix='test: ') == expected

    def bad_dataset():
        raise DatasetError([
            DatasetProblem('error', 'missing_image', 'a.json: 1.png',
                           'image file not found')
        ], 'a.json')

    expected = (1, 'error: a.json: 1.png: image file not found\n')
    assert exit_line(capsys, bad_dataset) == expected


def test_config_errors_are_one_line_and_bugs_keep_their_traceback(capsys):
    code, err = exit_line(capsys,
                          lambda: PARTS.build(dict(type='Part', dpeth=1)))
    assert code == 1 and err.startswith('error: config: ')
    assert "'dpeth'" in err and err.count('\n') == 1
    code, err = exit_line(capsys, lambda: PARTS.build(dict(type='Prat')))
    assert code == 1 and err.startswith('error: config: Prat is not in')
    # a TypeError from inside the class: not caught
    with pytest.raises(TypeError, match='str'):
        with exit_on_user_error():
            PARTS.build(dict(type='Part', depth=1))
    # nor builtin errors that used to be caught by type
    for error in (TypeError('bug'), KeyError('bug'), ValueError('bug'),
                  FileNotFoundError('bug'), FloatingPointError('bug')):
        with pytest.raises(type(error)):
            with exit_on_user_error():
                raise error
    assert capsys.readouterr().err == ''


def test_debug_switch_reraises_everything(monkeypatch):
    monkeypatch.setenv(DEBUG_ENV, '1')
    with pytest.raises(CheckpointError):
        with exit_on_user_error():
            raise CheckpointError('x')
    with pytest.raises(TypeError):
        with exit_on_user_error():
            PARTS.build(dict(type='Part', dpeth=1))
    with pytest.raises(KeyboardInterrupt):
        with exit_on_interrupt([], 'out'):
            raise KeyboardInterrupt
    monkeypatch.setenv(DEBUG_ENV, '0')
    with pytest.raises(SystemExit):
        with exit_on_user_error():
            raise CheckpointError('x')


def test_extra_types_are_reported(capsys):

    class UsageError(Exception):
        pass

    def fail():
        raise UsageError('no images found')

    expected = (1, 'error: no images found\n')
    assert exit_line(capsys, fail, extra=(UsageError, )) == expected


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize('previous', [True, False])
def test_interrupt_says_what_became_of_the_files(tmp_path, capsys, signum,
                                                 previous, sigint_raises):
    files = [tmp_path / 'pred.json', tmp_path / 'pred.csv']
    if previous:
        for path in files:
            path.write_text('old')
    old_term = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exc:
        with exit_on_interrupt([str(p) for p in files], str(tmp_path)):
            signal.raise_signal(signum)  # before anything is written
    assert exc.value.code == 128 + signum
    state = 'the previous files' if previous else 'nothing written'
    assert capsys.readouterr().err == \
        f'interrupted: {tmp_path} left unchanged ({state})\n'
    assert signal.getsignal(signal.SIGTERM) == old_term

    # interrupted after the new files are all in place
    with pytest.raises(SystemExit) as exc:
        with exit_on_interrupt([str(p) for p in files], str(tmp_path)):
            atomic_write_files({p: b'new' for p in files})
            signal.raise_signal(signum)
    assert exc.value.code == 128 + signum
    assert capsys.readouterr().err == (
        f'interrupted: {tmp_path} had already been written in full '
        '(all files new)\n')


def test_missing_or_broken_config(tmp_path):
    with pytest.raises(ConfigError, match='config file not found: .*x.py'):
        load_cfg(str(tmp_path / 'x.py'))
    (tmp_path / 'broken.py').write_text('model = dict(\n')
    with pytest.raises(ConfigError, match='broken.py'):
        load_cfg(str(tmp_path / 'broken.py'))
    (tmp_path / 'orphan.py').write_text("_base_ = './gone.py'\n")
    with pytest.raises(ConfigError, match='gone.py'):
        load_cfg(str(tmp_path / 'orphan.py'))


def fit_hooks(cfg):
    return [h for h in cfg.custom_hooks if h['type'] == 'CheckpointFitHook']


@pytest.mark.slow
def test_train_checkpoint_checks(tiny_config, tmp_path):
    ckpt = str(tmp_path / 'iter_4.pth')
    torch.save(dict(meta={}, state_dict={}), ckpt)
    cfg = check_train_cfg(load_cfg(tiny_config))
    assert not fit_hooks(cfg)  # from scratch: nothing to check

    cfg = check_train_cfg(
        load_cfg(tiny_config, cfg_options=dict(load_from=ckpt)))
    assert fit_hooks(cfg) == [dict(type='CheckpointFitHook', strict=False)]
    # --resume CKPT, and --resume (auto: load_from None)
    for load_from in (ckpt, None):
        options = dict(load_from=load_from, resume=True)
        cfg = check_train_cfg(load_cfg(tiny_config, cfg_options=options))
        assert fit_hooks(cfg) == [dict(type='CheckpointFitHook', strict=True)]

    # a fine-tuning config pointing at a pretraining run's output
    missing = 'work_dirs/pretrain_digits/iter_1000.pth'
    cfg = load_cfg(tiny_config, cfg_options=dict(load_from=missing))
    with pytest.raises(CheckpointNotFoundError) as err:
        check_train_cfg(cfg)
    assert str(err.value).startswith(f'load_from file not found: {missing};')
    assert 'train the config that writes it' in str(err.value)
    # elsewhere: no such hint
    missing = str(tmp_path / 'gone.pth')
    options = dict(load_from=missing, resume=True)
    with pytest.raises(CheckpointNotFoundError) as err:
        check_train_cfg(load_cfg(tiny_config, cfg_options=options))
    assert str(err.value) == f'--resume checkpoint file not found: {missing}'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_needs_cuda(tiny_config):
    cfg = load_cfg(
        tiny_config, cfg_options={'optim_wrapper.type': 'AmpOptimWrapper'})
    with pytest.raises(UserInputError, match='^AMP .*needs a CUDA device'):
        check_train_cfg(cfg)


HEADERS = ['config', 'mAP', '×']
ROWS = [['base', '0.500', '1.00'], ['variant', '0.750', '1.50']]


def test_markdown_table():
    assert markdown_table(HEADERS, ROWS) == ('| config | mAP | × |\n'
                                             '|---|---|---|\n'
                                             '| base | 0.500 | 1.00 |\n'
                                             '| variant | 0.750 | 1.50 |')
    assert markdown_table(['a'], []) == '| a |\n|---|'


def test_write_table_report_md_csv_json_png(tmp_path):
    work_dir = str(tmp_path / 'new' / 'folder')
    bars = pd.DataFrame({
        'mAP': [0.5, 0.75],
        'iters': [10, 0]
    },
                        index=['base', 'variant'])
    png = bar_chart_png(
        bars,
        'a title',
        xerr=np.array([[[0, 0], [0, 0]], [[1, 0], [2, 0]]]),
        labels=bars.map('{}×'.format))
    paths = write_table_report(
        work_dir,
        'rep',
        HEADERS,
        ROWS,
        intro=['Set-up.', '`cmd`'],
        notes=['× = ratio.'],
        csv='config,mAP\r\nbase,0.5\r\n',
        json_data=dict(meta={'device': 'cpu'}, results=[1, 2]),
        png=png)
    assert paths == {
        ext: osp.join(work_dir, f'rep.{ext}')
        for ext in ('md', 'csv', 'json', 'png')
    }
    with open(paths['md'], encoding='utf-8') as f:
        assert f.read() == ('Set-up.\n\n`cmd`\n\n'
                            '| config | mAP | × |\n'
                            '|---|---|---|\n'
                            '| base | 0.500 | 1.00 |\n'
                            '| variant | 0.750 | 1.50 |\n\n'
                            '× = ratio.\n')
    with open(paths['csv'], 'rb') as f:
        assert f.read() == b'config,mAP\r\nbase,0.5\r\n'
    with open(paths['json']) as f:
        text = f.read()
    assert json.loads(text) == dict(meta={'device': 'cpu'}, results=[1, 2])
    assert text.startswith('{\n "meta": {\n  "device"')  # indent=1
    assert Image.open(paths['png']).size[0] == 720  # 360 px per panel
    # nothing left behind by the atomic writer
    assert sorted(
        os.listdir(work_dir)) == ['rep.csv', 'rep.json', 'rep.md', 'rep.png']


def test_write_table_report_writes_only_what_is_given(tmp_path):
    paths = write_table_report(str(tmp_path), 'only', ['a', 'b'], [['x', '1']])
    assert paths == {'md': str(tmp_path / 'only.md')}
    md = (tmp_path / 'only.md').read_text()
    assert md == '| a | b |\n|---|---|\n| x | 1 |\n'
    assert os.listdir(tmp_path) == ['only.md']
