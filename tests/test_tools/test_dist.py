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


def dist_tool(script, *args, env=None, timeout=600):
    """Run ``tools/<script>`` (no PYTHONPATH but ``env``'s)."""
    full_env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    full_env.update(
        PYTHON=sys.executable, PORT=_free_port(), OMP_NUM_THREADS='1')
    full_env.update(env or {})
    proc = subprocess.run(['bash', osp.join('tools', script), *args],
                          cwd=REPO,
                          env=full_env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
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


SKEW_HOOK = '''
import time

from mmdet.registry import HOOKS
from mmengine import dist
from mmengine.hooks import Hook


@HOOKS.register_module()
class SkewClockHook(Hook):
    """Starts rank 0's clocks (the budget hook's among them) late, and
    writes the iteration each rank stopped at."""
    priority = 'VERY_HIGH'

    def __init__(self, seconds):
        self.seconds = seconds

    def before_train(self, runner):
        if dist.get_rank() == 0:
            time.sleep(self.seconds)

    def after_train(self, runner):
        with open(f'{runner.work_dir}/stopped_{dist.get_rank()}', 'w') as f:
            f.write(str(runner.iter))
'''


def test_time_budget_stops_every_rank_after_the_same_iteration(
        tiny_data, tiny_config, tmp_path):
    # rank 1's clock runs 4 s ahead: on its own clock it would stop about
    # 4 s of iterations before rank 0 and leave rank 0 in a collective
    (tmp_path / 'skew_clock.py').write_text(SKEW_HOOK)
    config = tmp_path / 'budget.py'
    config.write_text(f"""_base_ = {tiny_config!r}
custom_imports = dict(imports=['mmdigit', 'skew_clock'])
custom_hooks = [
    dict(type='SkewClockHook', seconds=4),
    dict(type='TrainTimeBudgetHook', minutes=0.15),
]
train_cfg = dict(max_iters=10000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
""")
    work_dir = tmp_path / 'work'
    log = dist_tool(
        'dist_train.sh',
        str(config),
        '2',
        '--data-root',
        tiny_data,
        '--work-dir',
        str(work_dir),
        env=dict(PYTHONPATH=str(tmp_path)),
        timeout=300)
    assert 'time budget of 0.15 min spent' in log
    stopped = [(work_dir / f'stopped_{r}').read_text() for r in (0, 1)]
    assert stopped[0] == stopped[1]
