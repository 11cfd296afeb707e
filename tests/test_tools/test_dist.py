"""Two CPU processes through tools/dist_train.sh and tools/dist_test.sh
(torchrun, MMEngine's pytorch launcher, gloo)."""
import csv
import glob
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def dist_tool(script, *args):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(PYTHON=sys.executable, PORT=_free_port(), OMP_NUM_THREADS='1')
    proc = subprocess.run(['bash', osp.join('tools', script), *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_two_process_train_and_test(tiny_data, tiny_config, tmp_path):
    work_dir = str(tmp_path / 'dist')
    log = dist_tool('dist_train.sh', tiny_config, '2', '--data-root',
                    tiny_data, '--work-dir', work_dir)
    # rank 0 alone writes the log and checkpoints
    (run_log, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    text = open(run_log).read()
    assert 'Distributed launcher: pytorch' in text
    assert "dist_cfg: {'backend': 'gloo'}" in text
    # each of the two validations computed the metrics once, over both
    # ranks' halves of the data (2 batches each instead of 4)
    assert log.count('digit-string at score_thr') == 2
    assert text.count('Iter(val) [2/2]    coco/bbox_mAP:') == 2
    assert osp.exists(osp.join(work_dir, 'iter_4.pth'))

    out = tmp_path / 'sub'
    log = dist_tool('dist_test.sh', tiny_config,
                    osp.join(work_dir, 'iter_4.pth'), '2',
                    '--data-root', tiny_data, '--work-dir',
                    str(tmp_path / 'test_wd'), '--out', str(out))
    assert log.count('wrote ') == 1  # the submission is written once
    with open(out / 'pred.csv') as f:
        rows = list(csv.reader(f))[1:]
    # 6 images over 2 ranks: every image once, in order, no padding copies
    assert [int(r[0]) for r in rows] == list(range(1, 7))
