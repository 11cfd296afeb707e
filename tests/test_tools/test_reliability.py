"""The tools on a user's common mistakes: one ``error:`` line each, nothing
written; and ``--out x.pkl`` writes only the pickle. Subprocesses, as a
user runs them (no PYTHONPATH)."""
import os
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.slow


def run(*args, cwd=REPO, env=None):
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHONPATH', 'MMDIGIT_DEBUG')
    }
    environ.update(env or {})
    tool_path = osp.join(REPO, args[0])
    return subprocess.run([sys.executable, tool_path, *args[1:]],
                          cwd=cwd,
                          env=environ,
                          capture_output=True,
                          text=True)


def one_error_line(proc) -> str:
    """The single ``error:`` line of a failed run without a traceback."""
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [
        line for line in proc.stderr.splitlines() if line.startswith('error:')
    ]
    assert len(errors) == 1, proc.stderr[-3000:]
    return errors[0]


def save_model(config, path, run_name, **cfg_options):
    """Save the (untrained) model of ``config`` as an mmengine checkpoint."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from mmdigit.utils.cli import load_cfg
    cfg = load_cfg(config, cfg_options=cfg_options)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save(
        dict(
            meta=dict(experiment_name=run_name, iter=4),
            state_dict=model.state_dict()), path)
    return str(path)


@pytest.fixture(scope='module')
def ckpts(tiny_config, tmp_path_factory):
    root = tmp_path_factory.mktemp('ckpts')
    # another width: nothing of the backbone fits
    narrow = {
        'model.backbone.base_channels': 8,
        'model.neck.in_channels': [8, 16, 32, 64]
    }
    # pretrained for 12 classes: only the box head's last layers differ
    classes12 = {'model.roi_head.bbox_head.num_classes': 12}
    return dict(
        tiny=save_model(tiny_config, root / 'tiny.pth', 'tiny_0'),
        narrow=save_model(tiny_config, root / 'narrow.pth', 'narrow_0',
                          **narrow),
        classes12=save_model(tiny_config, root / 'classes12.pth',
                             'classes12_0', **classes12))


def files_under(folder):
    return sorted(
        osp.relpath(osp.join(d, f), folder) for d, _, fs in os.walk(folder)
        for f in fs)


def test_pkl_out_writes_the_pickle_and_nothing_else(tiny_data, tiny_config,
                                                    ckpts, tmp_path):
    # run from an empty folder, as a user would; the work dir (logs) is
    # the default ./work_dirs/<config name>
    proc = run(
        'tools/test.py',
        tiny_config,
        ckpts['tiny'],
        '--data-root',
        tiny_data,
        '--out',
        'x.pkl',
        cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / 'x.pkl', 'rb') as f:
        assert len(pickle.load(f)) == 6
    files = files_under(tmp_path)
    logs = [f for f in files if f.startswith('work_dirs/tiny_digits/')]
    assert sorted(set(files) - set(logs)) == ['x.pkl']
    # only mmengine's run record: the config and the timestamped logs
    assert logs and all(f.endswith(('.py', '.log', '.json')) for f in logs)
    assert not [f for f in logs if osp.basename(f).startswith('pred')]


def test_checkpoint_of_another_config_stops_testing(tiny_data, tiny_config,
                                                    ckpts, tmp_path):
    out = tmp_path / 'sub'
    proc = run('tools/test.py', tiny_config, ckpts['narrow'], '--data-root',
               tiny_data, '--out', str(out))
    line = one_error_line(proc)
    assert line.startswith(f'error: checkpoint {ckpts["narrow"]} ')
    assert f'config {tiny_config}' in line
    assert "run 'narrow_0'" in line
    assert 'backbone.conv1.weight: [8, 3, 7, 7] in the checkpoint, ' \
        '[16, 3, 7, 7] in the model' in line
    assert not out.exists()


def test_checkpoint_of_another_config_stops_reading(tiny_data, tiny_config,
                                                    ckpts, tmp_path):
    proc = run('tools/read_numbers.py', tiny_config, ckpts['narrow'],
               osp.join(tiny_data, 'test'))
    line = one_error_line(proc)
    assert line.startswith(f'error: checkpoint {ckpts["narrow"]} ')
    assert f'config {tiny_config}' in line
    assert 'backbone.conv1.weight' in line
    assert proc.stdout == ''  # no rows


@pytest.mark.parametrize('case', ['missing', 'text', 'config'])
def test_missing_or_unreadable_checkpoint_and_missing_config(
        tiny_data, tiny_config, ckpts, tmp_path, case):
    config, ckpt = tiny_config, ckpts['tiny']
    if case == 'missing':
        ckpt = str(tmp_path / 'epoch_12.pth')
        expected = f'error: checkpoint file not found: {ckpt}'
    elif case == 'text':
        ckpt = str(tmp_path / 'notes.pth')
        with open(ckpt, 'w') as f:
            f.write('epoch 12: mAP 0.41\n')
        # the reason is the unpickler's, e.g. (KeyError: 101)
        expected = f'error: {ckpt} is not a readable checkpoint ('
    else:
        config = tiny_config.replace('tiny_digits', 'tiny_digts')
        expected = f'error: config file not found: {config}'
    proc = run('tools/test.py', config, ckpt, '--data-root', tiny_data,
               '--out', str(tmp_path / 'sub'))
    assert one_error_line(proc).startswith(expected)
    assert not (tmp_path / 'sub').exists()


def test_debug_switch_shows_the_traceback(tiny_data, tiny_config, tmp_path):
    ckpt = str(tmp_path / 'epoch_12.pth')
    proc = run(
        'tools/test.py',
        tiny_config,
        ckpt,
        '--data-root',
        tiny_data,
        env={'MMDIGIT_DEBUG': '1'})
    assert proc.returncode == 1
    assert 'Traceback' in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1] == (
        'mmdigit.utils.errors.CheckpointNotFoundError: checkpoint file not '
        f'found: {ckpt}')


def test_fine_tuning_reports_what_did_not_load(tiny_data, tiny_config, ckpts,
                                               tmp_path):

    def train(ckpt, work_dir):
        return run('tools/train.py', tiny_config, '--data-root', tiny_data,
                   '--work-dir', str(tmp_path / work_dir), '--cfg-options',
                   f'load_from={ckpt}', 'train_cfg.max_iters=1')

    # another head: the rest loads, with a warning naming what did not
    proc = train(ckpts['classes12'], 'head')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    warning, = [
        line for line in log.splitlines()
        if f'load_from {ckpts["classes12"]}: loaded' in line
    ]
    assert 'WARNING' in warning
    assert '4 mis-shaped (roi_head.bbox_head.fc_cls.weight: [13, 32] in ' \
        'the checkpoint, [11, 32] in the model' in warning
    assert osp.exists(tmp_path / 'head' / 'iter_1.pth')

    # another width: almost nothing loads, training stops before it starts
    proc = train(ckpts['narrow'], 'narrow')
    line = one_error_line(proc)
    assert line.startswith(f'error: load_from {ckpts["narrow"]} ')
    assert 'at least 50% must load to fine-tune' in line
    assert not [
        f for f in os.listdir(tmp_path / 'narrow') if f.endswith('.pth')
    ]

    # a pretraining run's output that was never made
    missing = 'work_dirs/pretrain_digits/iter_1000.pth'
    line = one_error_line(train(missing, 'never'))
    assert line.startswith(f'error: load_from file not found: {missing}; ')
    assert 'pretraining config' in line


# (tool, arguments, start of the error line); {tmp}: an empty folder
# yapf: disable
TOOL_ERRORS = [
    ('tools/eval_submission.py', ['{tmp}/sub', '{tmp}/valid.json'],
     'error: submission not found: {tmp}/sub'),
    ('tools/analysis_tools/show_predictions.py', ['{tmp}/sub.zip', '{tmp}'],
     'error: submission not found: {tmp}/sub.zip'),
    ('tools/ablate.py', ['{tmp}/cfg.py', '--work-dir', '{tmp}/abl'],
     'error: config file not found: {tmp}/cfg.py'),
    ('tools/ensemble.py', ['{tmp}/a', '{tmp}/b', '--out', '{tmp}/fused'],
     'error: submission not found: {tmp}/a'),
    ('tools/analysis_tools/plot_curves.py', ['{tmp}'],
     'error: no */vis_data/scalars.json under {tmp}'),
    ('tools/dataset_converters/svhn_to_coco.py', ['{tmp}/svhn', '{tmp}/o'],
     'error: {tmp}/svhn/train/digitStruct.mat not found'),
    ('tools/analysis_tools/anchor_stats.py',
     ['{tmp}/train.json', '--config', '{tmp}/cfg.py'],
     'error: config file not found: {tmp}/cfg.py'),
]
# yapf: enable


@pytest.mark.parametrize(
    'tool, args, expected',
    TOOL_ERRORS,
    ids=lambda v: v if isinstance(v, str) and v.startswith('tools/') else '')
def test_every_tool_reports_user_errors_in_one_line(tool, args, expected,
                                                    tmp_path):
    tmp = str(tmp_path)
    proc = run(tool, *[a.format(tmp=tmp) for a in args], cwd=tmp_path)
    line = one_error_line(proc)
    assert line.startswith(expected.format(tmp=tmp)), line
    # and with the debug switch, the same mistake keeps its traceback
    if tool == 'tools/eval_submission.py':
        proc = run(
            tool,
            *[a.format(tmp=tmp) for a in args],
            cwd=tmp_path,
            env={'MMDIGIT_DEBUG': '1'})
        assert proc.returncode == 1 and 'Traceback' in proc.stderr
        assert 'InputNotFoundError' in proc.stderr
