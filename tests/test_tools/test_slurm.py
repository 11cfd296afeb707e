"""tools/slurm_train.sh and tools/slurm_test.sh against a stand-in ``srun``
that records its arguments instead of starting anything."""
import os
import os.path as osp
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# Writes argv NUL-separated (arguments may hold spaces) and MASTER_PORT, then
# exits with $FAKE_SRUN_RC: nothing is trained.
FAKE_SRUN = """#!/usr/bin/env bash
printf '%s\\0' "$@" > "$FAKE_SRUN_LOG"
echo "${MASTER_PORT-unset}" > "$FAKE_SRUN_LOG.port"
exit "${FAKE_SRUN_RC:-0}"
"""


@pytest.fixture
def fake_srun(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN)
    srun.chmod(0o755)
    log = tmp_path / 'srun_args'

    def run(script, *args, **env):
        full_env = {
            k: v
            for k, v in os.environ.items()
            if k not in ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS',
                         'PORT', 'MASTER_PORT', 'PYTHON')
        }
        full_env.update(
            PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
            FAKE_SRUN_LOG=str(log),
            **env)
        proc = subprocess.run(
            ['bash', osp.join('tools', script), *args],
            cwd=REPO,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=60)
        argv = log.read_bytes().decode().split('\0')[:-1] \
            if log.exists() else None
        port = (tmp_path / 'srun_args.port').read_text().strip() \
            if log.exists() else None
        return proc, argv, port

    return run


def srun_flags(partition, job, gpus, per_node, cpus=5):
    return [
        '-p', partition, f'--job-name={job}', f'--gres=gpu:{per_node}',
        f'--ntasks={gpus}', f'--ntasks-per-node={per_node}',
        f'--cpus-per-task={cpus}', '--kill-on-bad-exit=1'
    ]


def test_train_one_gpu_by_default(fake_srun):
    proc, argv, port = fake_srun('slurm_train.sh', 'gpu', 'digits',
                                 'configs/x.py', 'work_dirs/x')
    assert proc.returncode == 0, proc.stderr
    assert argv == srun_flags('gpu', 'digits', 1, 1) + [
        'python', '-u', 'tools/train.py', 'configs/x.py', '--work-dir',
        'work_dirs/x', '--launcher', 'slurm'
    ]
    assert port == 'unset'  # MMEngine's launcher then uses 29500


def test_train_multi_node_with_extra_args(fake_srun):
    proc, argv, port = fake_srun(
        'slurm_train.sh',
        'a100',
        'big run',
        'configs/x.py',
        'wd',
        '--amp',
        '--cfg-options',
        'train_cfg.max_epochs=24',
        'work_dir=a b',
        GPUS='16',
        GPUS_PER_NODE='8',
        CPUS_PER_TASK='4',
        SRUN_ARGS='--time=8:00:00 --quotatype=auto',
        PORT='29611',
        PYTHON='python3')
    assert proc.returncode == 0, proc.stderr
    # 16 tasks, 8 per node: two nodes, one process group over both
    assert argv == srun_flags('a100', 'big run', 16, 8, 4) + [
        '--time=8:00:00', '--quotatype=auto', 'python3', '-u',
        'tools/train.py', 'configs/x.py', '--work-dir', 'wd', '--launcher',
        'slurm', '--amp', '--cfg-options', 'train_cfg.max_epochs=24',
        'work_dir=a b'
    ]
    assert port == '29611'


def test_test_script(fake_srun):
    proc, argv, _ = fake_srun(
        'slurm_test.sh',
        'gpu',
        'eval',
        'configs/x.py',
        'ckpt.pth',
        '--out',
        'sub',
        GPUS='4')
    assert proc.returncode == 0, proc.stderr
    assert argv == srun_flags('gpu', 'eval', 4, 4) + [
        'python', '-u', 'tools/test.py', 'configs/x.py', 'ckpt.pth',
        '--launcher', 'slurm', '--out', 'sub'
    ]


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh'])
def test_srun_exit_status_is_returned(fake_srun, script):
    proc, argv, _ = fake_srun(
        script, 'gpu', 'j', 'c.py', 'x', FAKE_SRUN_RC='3')
    assert argv is not None and proc.returncode == 3
