import json
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'profile_model.py')

TRAIN_STAGES = [
    'data', 'data_preprocessor', 'backbone', 'neck', 'rpn', 'roi_extractor',
    'bbox_head', 'roi_losses', 'backward', 'optimizer', 'other'
]
TEST_STAGES = [
    'data', 'data_preprocessor', 'backbone', 'neck', 'rpn', 'roi_extractor',
    'bbox_head', 'postprocess', 'other'
]


def stage_table(md, mode):
    """``{stage: %}`` of the printed table of ``mode``."""
    text = md.split(f'**{mode}**')[1].split('\n\n')[1]
    cells = [line.strip('| ').split(' | ') for line in text.splitlines()]
    assert cells[0] == ['stage', 'ms / iter', '%']
    return {label: float(share) for label, _, share in cells[2:]}


def run(*args):
    return subprocess.run([sys.executable, TOOL, *args],
                          capture_output=True,
                          text=True,
                          cwd=REPO,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))


@pytest.mark.slow
def test_profiles_every_stage_and_writes_md_and_json(tiny_data, tiny_config,
                                                     tmp_path):
    out = tmp_path / 'out' / 'profile.md'
    # training on the tiny set; the test split's folder is absent, so the
    # test profile falls back to rendered images through its pipeline
    proc = run(tiny_config, '--iters', '2', '--warmup', '1', '--threads', '1',
               '--out', str(out), '--cfg-options',
               f'train_dataloader.dataset.data_root={tiny_data}/',
               f'test_dataloader.dataset.data_root={tmp_path}/absent/')
    assert proc.returncode == 0, proc.stderr[-3000:]
    md = out.read_text()
    assert md in proc.stdout
    report = json.loads((tmp_path / 'out' / 'profile.json').read_text())
    assert report['meta']['torch_threads'] == 1
    train, test = report['modes']
    assert train['data'] == f'DigitCocoDataset, 24 images in {tiny_data}/'
    assert test['data'] == (
        'SyntheticDigitDataset, house numbers rendered through the config\'s '
        f'test pipeline (its own data are absent: {tmp_path}/absent/test/: '
        'folder not found)')
    for result, keys in ((train, TRAIN_STAGES), (test, TEST_STAGES)):
        table = stage_table(md, result['mode'])
        stages = result['stages']
        assert [s['key'] for s in stages] == keys
        assert all(s['ms'] >= -1e-6 for s in stages)
        assert sum(s['percent'] for s in stages) == pytest.approx(100)
        assert sum(s['ms']
                   for s in stages) == pytest.approx(result['total_ms'])
        assert (result['batch_size'], result['images_per_iter']) == (2, 2)
        assert 0 < result['cpu_share'] < 1.5
        # the printed table: every stage, then the total; shares add up
        assert list(table) == [s['label'] for s in stages] + ['total']
        assert table.pop('total') == 100
        assert sum(table.values()) == pytest.approx(100, abs=0.05 * len(table))
    assert report['flops']['input_hw'] == [64, 128]
    assert 0 < report['flops']['backbone_gflop'] < \
        report['flops']['backbone_neck_gflop']
    speed = report['speed']
    assert [row['name'].split(',')[0] for row in speed] == \
        ['forward', 'forward + backward', 'forward']
    for row in speed:
        matmul = row['reference']['matmul']
        assert matmul > 0 and row['reference']['conv'] > 0
        assert row['gflops'] == pytest.approx(row['gflop'] / row['ms'] * 1e3)
        assert row['percent_of_matmul'] == pytest.approx(100 * row['gflops'] /
                                                         matmul)
    assert '| % of dense matmul |' in md


@pytest.mark.parametrize('args, line', [
    (['missing.py'], 'error: config file not found: missing.py'),
    (['configs/faster_rcnn_r18_fpn_demo_digits.py', '--data-root', 'nope/'
      ], 'error: --data-root: no such folder: nope/'),
])
def test_user_error_is_one_line(args, line):
    proc = run(*args)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [line]
