import os
import signal
import stat
from unittest import mock

import pytest
from mmengine.fileio import get_file_backend

from mmdigit.utils import (ATOMIC_BACKEND, AtomicLocalBackend,
                           atomic_write_bytes, atomic_write_files)


def test_registered_for_checkpoint_hook_backend_args(tmp_path):
    backend = get_file_backend(
        str(tmp_path), backend_args=dict(backend=ATOMIC_BACKEND))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'abc', tmp_path / 'a' / 'x.pth')
    backend.put_text('ok', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'a' / 'x.pth').read_bytes() == b'abc'
    assert (tmp_path / 'last_checkpoint').read_text() == 'ok'


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / 'iter_2.pth'
    path.write_bytes(b'good checkpoint')
    backend = AtomicLocalBackend()
    # the process dies (here: an exception) after part of the new bytes
    with mock.patch('os.fsync', side_effect=KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            backend.put(b'new but cut short', path)
    assert path.read_bytes() == b'good checkpoint'
    assert os.listdir(tmp_path) == ['iter_2.pth']  # no temp file left


@pytest.fixture
def umask():
    """Set the process umask for a test, and put the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize('mask', [0o022, 0o027, 0o002, 0o077])
def test_new_files_get_the_umask_mode(tmp_path, umask, mask):
    umask(mask)
    atomic_write_bytes(tmp_path / 'pred.csv', b'image_id,pred_label\n')
    atomic_write_files({tmp_path / 'a.json': b'[]', tmp_path / 'b.zip': b''})
    AtomicLocalBackend().put(b'ckpt', tmp_path / 'iter_1.pth')
    for name in ('pred.csv', 'a.json', 'b.zip', 'iter_1.pth'):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o666 & ~mask, (name, oct(mode))
    # what open() gives a new file under the same umask
    (tmp_path / 'plain').write_bytes(b'')
    assert stat.S_IMODE(os.stat(tmp_path / 'plain').st_mode) == mode


def test_group_write_failure_keeps_every_old_file(tmp_path):
    old = {'pred.json': b'old json', 'pred.csv': b'old csv'}
    for name, data in old.items():
        (tmp_path / name).write_bytes(data)
    real_fsync = os.fsync
    calls = []

    def fsync(fd):  # the second file's write dies
        calls.append(fd)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_fsync(fd)

    with mock.patch('os.fsync', side_effect=fsync):
        with pytest.raises(KeyboardInterrupt):
            atomic_write_files({tmp_path / n: b'new' for n in old})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_signal_during_replacement_is_delivered_after_it(
        tmp_path, signum, sigint_raises):
    files = {tmp_path / n: n.encode() for n in ('a.json', 'b.csv', 'c.zip')}
    for path in files:
        path.write_bytes(b'old')
    real_replace = os.replace
    seen = []

    def replace(src, dst):
        real_replace(src, dst)
        if not seen:  # after the first file: Ctrl-C / kill arrives
            signal.raise_signal(signum)
        seen.append({p.name: p.read_bytes() for p in files})

    class Terminated(Exception):
        pass

    def on_term(*args):
        raise Terminated

    old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        with mock.patch('os.replace', side_effect=replace):
            with pytest.raises((KeyboardInterrupt, Terminated)):
                atomic_write_files(files)
    finally:
        signal.signal(signal.SIGTERM, old_term)
    # it was held back until all three were in place
    assert len(seen) == 3
    written = {p.name: p.read_bytes() for p in files}
    assert written == {p.name: data for p, data in files.items()}
    assert sorted(os.listdir(tmp_path)) == ['a.json', 'b.csv', 'c.zip']
    # the handlers are the old ones again
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is old_term
