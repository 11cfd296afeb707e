import os
from unittest import mock

import pytest
from mmengine.fileio import get_file_backend

from mmdigit.utils import ATOMIC_BACKEND, AtomicLocalBackend


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
