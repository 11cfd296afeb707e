"""Ctrl-C / SIGTERM during ``tools/test.py --out DIR``: the previous
submission (or none) stays, never a half-written one, and one line says so.

Deterministic, no timing races: a child process runs ``tools/test.py``
with the submission writer patched to stop at a known point and wait there
(at most ten minutes, then it exits 99 and the test fails); the test sends
the signal only once the child says it is there.
"""
import os
import os.path as osp
import signal
import subprocess
import sys
import time
import zipfile

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.slow

CHILD = r'''
import os, runpy, signal, sys, time
from mmdigit.utils import fileio

stage, marker = sys.argv[1:3]
sys.argv = sys.argv[3:]  # the tool and its arguments
# Ctrl-C raises KeyboardInterrupt, as in a terminal (a job a shell starts
# in the background begins with SIGINT ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)


def wait_forever():  # until a signal interrupts it
    deadline = time.time() + 600
    while time.time() < deadline:
        time.sleep(0.01)
    os._exit(99)


if stage == 'write':
    # every temporary file is written in full, the destinations untouched;
    # the test sends the signal while we wait here
    real_write_temp = fileio._write_temp

    def write_temp(tmp, data):
        real_write_temp(tmp, data)
        # ".submission.zip.<random>.tmp": the last of the three
        if os.path.basename(tmp).startswith('.submission.zip.'):
            open(marker, 'w').close()
            wait_forever()

    fileio._write_temp = write_temp
elif stage.startswith('commit'):
    # the signal arrives after the first file has replaced its old one
    signum = getattr(signal, stage.split(':')[1])
    real_replace = os.replace

    def replace(src, dst):
        real_replace(src, dst)
        if dst.endswith('pred.json'):
            open(marker, 'w').close()
            signal.raise_signal(signum)

    os.replace = replace
runpy.run_path(sys.argv[0], run_name='__main__')
'''


@pytest.fixture(scope='module')
def ckpt(tiny_config, tmp_path_factory):
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from mmdigit.utils.cli import load_cfg
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(load_cfg(tiny_config).model)
    path = tmp_path_factory.mktemp('ckpt') / 'iter_4.pth'
    torch.save(dict(meta={}, state_dict=model.state_dict()), path)
    return str(path)


def submission(out):
    return {p: (out / p).read_bytes() for p in sorted(os.listdir(out))}


@pytest.mark.parametrize(
    'stage, signum, previous', [
        ('write', signal.SIGINT, True),
        ('write', signal.SIGTERM, True),
        ('write', signal.SIGINT, False),
        ('commit:SIGINT', signal.SIGINT, True),
        ('commit:SIGTERM', signal.SIGTERM, True),
    ],
    ids=[
        'write-SIGINT', 'write-SIGTERM', 'write-SIGINT-no-previous',
        'commit-SIGINT', 'commit-SIGTERM'
    ])
def test_interrupted_submission_is_old_or_new_never_mixed(
        tiny_data, tiny_config, ckpt, tmp_path, stage, signum, previous):
    out = tmp_path / 'sub'
    old = {}
    if previous:
        out.mkdir()
        old = {
            'pred.csv': b'image_id,pred_label\n1,7\n',
            'pred.json': b'[]',
            'submission.zip': b'previous zip'
        }
        for name, data in old.items():
            (out / name).write_bytes(data)
    child = tmp_path / 'child.py'
    child.write_text(CHILD)
    marker = tmp_path / 'at_the_point'
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHONPATH', 'MMDIGIT_DEBUG')
    }
    # a file, not a pipe: the parent reads nothing until the child ends,
    # and a full pipe would block the child
    log = tmp_path / 'stderr.log'
    with open(log, 'w') as stderr:
        cmd = [
            sys.executable,
            str(child), stage,
            str(marker),
            osp.join(REPO, 'tools', 'test.py'), tiny_config, ckpt,
            '--data-root', tiny_data, '--out',
            str(out), '--csv-thr', '0.5', '--work-dir',
            str(tmp_path / 'wd')
        ]
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        if stage == 'write':
            deadline = time.time() + 600
            while not marker.exists():
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.time() < deadline, log.read_text()[-3000:]
                time.sleep(0.05)
            proc.send_signal(signum)
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = log.read_text()
    assert marker.exists()
    assert proc.returncode == 128 + signum, err[-3000:]
    assert 'Traceback' not in err, err[-3000:]
    lines = [
        line for line in err.splitlines() if line.startswith('interrupted:')
    ]
    if stage == 'write':
        state = 'the previous files' if previous else 'nothing written'
        assert lines == [f'interrupted: {out} left unchanged ({state})']
        if previous:
            assert submission(out) == old
        else:  # the folder may exist, empty
            assert not out.exists() or not os.listdir(out)
        return
    assert lines == [
        f'interrupted: {out} had already been written in full (all files '
        'new)'
    ]
    files = submission(out)
    assert sorted(files) == ['pred.csv', 'pred.json', 'submission.zip']
    assert all(files[name] != old[name] for name in old)
    with zipfile.ZipFile(out / 'submission.zip') as zf:
        assert zf.read('pred.json') == files['pred.json']
        assert zf.read('pred.csv') == files['pred.csv']
    assert len(files['pred.csv'].decode().splitlines()) == 7
