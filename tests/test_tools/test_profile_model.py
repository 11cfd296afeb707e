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
    'bbox_head', 'roi_rest', 'backward', 'optimizer', 'other'
]
TEST_STAGES = [k for k in TRAIN_STAGES if k not in ('backward', 'optimizer')]


def stage_table(md):
    """Rows of the printed stage table: ``{stage: [cells]}``."""
    text = md[md.index('| stage |'):].split('\n\n')[0]
    cells = [line.strip('| ').split(' | ') for line in text.splitlines()]
    assert cells[0] == ['stage', 'train ms', 'train %', 'test ms', 'test %']
    return {row[0]: row[1:] for row in cells[2:]}


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
    table = stage_table(md)
    assert list(table)[-1] == 'total'
    modes = (train, TRAIN_STAGES), (test, TEST_STAGES)
    for column, (result, keys) in enumerate(modes):
        stages = result['stages']
        assert [s['key'] for s in stages] == keys
        assert all(s['ms'] >= -1e-6 for s in stages)
        assert sum(s['percent'] for s in stages) == pytest.approx(100)
        assert sum(s['ms']
                   for s in stages) == pytest.approx(result['total_ms'])
        assert (result['batch_size'], result['images_per_iter']) == (2, 2)
        assert 0 < result['cpu_share'] < 1.5
        # the printed table: every stage of the mode, '-' for the others,
        # then the total; the shares add up
        shares = {
            label: cells[2 * column + 1]
            for label, cells in table.items() if cells[2 * column] != '-'
        }
        assert list(shares) == [s['label'] for s in stages] + ['total']
        assert float(shares.pop('total')) == 100
        assert sum(map(float, shares.values())) == pytest.approx(
            100, abs=0.05 * len(shares))
    assert report['flops']['input_hw'] == [64, 128]
    assert 0 < report['flops']['backbone_gflop'] < \
        report['flops']['backbone_neck_gflop']
    # backbone + neck: FLOPs of the inputs seen, backward within the whole
    # model's
    train_bn, test_bn = train['backbone_neck'], test['backbone_neck']
    assert train_bn['gflop'] > 0 and test_bn['gflop'] > 0
    assert 0 < train_bn['backward_ms'] < train['stages'][-3]['ms']
    assert test_bn['backward_ms'] is None
    for result in (train, test):
        assert result['conv_gflops'] > 0
        stage_ms = {s['key']: s['ms'] for s in result['stages']}
        assert result['backbone_neck']['forward_ms'] == pytest.approx(
            stage_ms['backbone'] + stage_ms['neck'])
    # the GFLOP/s table, from those numbers: forward (train), forward +
    # backward (train, backward counted as 2x the forward FLOPs), forward
    # (test); GFLOP/s = GFLOP / s, and as a % of the conv's
    speed = md[md.index('| backbone + neck |'):].split('\n\n')[0]
    rows = [line.strip('| ').split(' | ') for line in speed.splitlines()[2:]]
    assert [row[0].split(' (')[0] for row in rows] == [
        'forward, train profile', 'forward + backward', 'forward, test profile'
    ]
    expected = [(train_bn['gflop'], train_bn['forward_ms'], train),
                (3 * train_bn['gflop'],
                 train_bn['forward_ms'] + train_bn['backward_ms'], train),
                (test_bn['gflop'], test_bn['forward_ms'], test)]
    for row, (gflop, ms, result) in zip(rows, expected):
        conv = result['conv_gflops']
        assert row[1:] == [
            f'{gflop:.2f}', f'{ms:.1f}', f'{1e3 * gflop / ms:.1f}',
            f'{conv:.1f}', f'{1e5 * gflop / ms / conv:.0f}'
        ]
    assert '| % of conv |' in md


@pytest.mark.parametrize('args, line', [
    (['missing.py'], 'error: config file not found: missing.py'),
    (['configs/faster_rcnn_r18_fpn_demo_digits.py', '--data-root', 'nope/'
      ], 'error: --data-root: no such folder: nope/'),
])
@pytest.mark.slow
def test_user_error_is_one_line(args, line):
    proc = run(*args)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [line]
