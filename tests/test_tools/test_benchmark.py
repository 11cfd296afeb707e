import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from conftest import load_tool
from PIL import Image

from mmdigit.utils.cli import load_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
benchmark = load_tool('benchmark')


def test_parse_row():
    parse_row = benchmark.parse_row
    assert parse_row('configs/a.py') == ('configs/a.py', {})
    assert parse_row('a.py label=+x') == ('a.py', {'label': '+x'})
    config, options = parse_row(
        'a.py model.test_cfg.rpn.max_per_img=100 img_scale=(320,160) '
        'optim_wrapper.type=AmpOptimWrapper')
    assert config == 'a.py'
    assert options == {
        'model.test_cfg.rpn.max_per_img': 100,
        'img_scale': (320, 160),
        'optim_wrapper.type': 'AmpOptimWrapper'
    }


def test_peak_memory_is_reset_per_phase():
    benchmark.reset_peak('cpu')
    big = np.ones(300 * 2**20 // 8)  # 300 MB, touched
    first = benchmark.peak_mb('cpu')
    del big
    benchmark.reset_peak('cpu')
    second = benchmark.peak_mb('cpu')
    assert first - second > 250  # the 300 MB of the first phase are gone
    small = np.ones(50 * 2**20 // 8)
    assert benchmark.peak_mb('cpu') - second > 40
    del small


@pytest.mark.slow
def test_run_benchmark_rows_ratios_and_report(tiny_data, tiny_config,
                                              tmp_path):
    work_dir = str(tmp_path / 'bench')
    results = benchmark.run_benchmark(
        benchmark.parse_args([
            tiny_config, f'{tiny_config} img_scale=(96,48)', '--device', 'cpu',
            '--iters', '2', '--warmup', '1', '--infer-images', '4',
            '--data-root', tiny_data, '--batch-sizes', '1', '2', '--work-dir',
            work_dir, '--name', 'tiny'
        ]))
    names = [r['name'] for r in results]
    assert names == [
        'tiny_digits bs1', 'tiny_digits bs2', 'tiny_digits @96x48 bs1',
        'tiny_digits @96x48 bs2'
    ]
    assert [r['train_bs'] for r in results] == [1, 2, 1, 2]
    for r in results:
        for key in ('train_img_s', 'infer1_img_s', 'infer_img_s',
                    'train_peak_mb', 'infer_peak_mb'):
            assert r[key] > 0
            assert r[key + '_ratio'] == pytest.approx(r[key] / results[0][key])
        minutes = 13068 / r['infer_img_s'] / 60
        assert r['course_test_min'] == pytest.approx(minutes)
    assert all(results[0][k] == 1.0 for k in results[0]
               if k.endswith('_ratio'))
    report = json.load(open(osp.join(work_dir, 'tiny.json')))
    assert report['meta']['device'].startswith('CPU')
    assert [r['name'] for r in report['results']] == names
    md = open(osp.join(work_dir, 'tiny.md')).read()
    assert '| config | train bs |' in md
    assert '| tiny_digits @96x48 bs2 | 2 |' in md
    assert Image.open(osp.join(work_dir, 'tiny.png')).size[0] == 1800


def test_img_scale_row_rewrites_every_resize(tiny_config):
    from mmdigit.utils import cfg_set_img_scale
    cfg = cfg_set_img_scale(load_cfg(tiny_config), (96, 48))
    resizes = [
        t for split in ('train', 'val', 'test')
        for t in cfg[f'{split}_dataloader'].dataset.pipeline
        if t['type'] == 'Resize'
    ]
    assert len(resizes) == 3
    assert all(t['scale'] == (96, 48) for t in resizes)


@pytest.mark.slow
def test_benchmark_tool_amp_without_cuda_is_one_error_line(tiny_config):
    import torch
    if torch.cuda.is_available():
        pytest.skip('needs a machine without CUDA')
    proc = subprocess.run(
        [sys.executable, 'tools/benchmark.py', tiny_config, '--amp'],
        cwd=REPO,
        capture_output=True,
        text=True)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith('error: AMP') and 'Traceback' not in \
        proc.stderr
