"""Atomic file writes, for submissions and checkpoints."""
import os
import os.path as osp
import secrets
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, Union

from mmengine.fileio import LocalBackend, register_backend

#: Name of :class:`AtomicLocalBackend` in mmengine's file-backend registry.
ATOMIC_BACKEND = 'atomic_local'


def _write_temp(tmp: str, data: bytes) -> None:
    """Create ``tmp`` (it must not exist), write ``data`` and flush to disk;
    mode ``0o666`` minus the umask, as ``open()`` gives (``mkstemp``'s
    ``0o600`` would hide a submission from a team)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    with os.fdopen(os.open(tmp, flags, 0o666), 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back until the block ends (main thread only), so
    Ctrl-C cannot land between two ``os.replace`` calls."""
    received, previous = [], {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) is not None:  # None: set outside
                previous[signum] = signal.signal(
                    signum, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)


def atomic_write_files(files: Dict[Union[str, Path], bytes]) -> None:
    """Write several files (path -> bytes) so that readers see all old or
    all new ones: each goes in full to a temporary file beside it, then all
    replace their destinations with SIGINT and SIGTERM held back (only
    ``SIGKILL`` or power loss during the renames can mix old and new)."""
    temps = {}
    try:
        for path, data in files.items():
            path = osp.abspath(path)
            folder, name = osp.split(path)
            os.makedirs(folder, exist_ok=True)
            # named before it exists: an interrupt leaves nothing behind
            temps[path] = osp.join(folder,
                                   f'.{name}.{secrets.token_hex(8)}.tmp')
            _write_temp(temps[path], data)
        with _signals_deferred():
            for path in list(temps):
                os.replace(temps[path], path)
                del temps[path]
    finally:
        for tmp in temps.values():  # only when something failed
            if osp.exists(tmp):
                os.remove(tmp)


def atomic_write_bytes(path: Union[str, Path], data: bytes) -> None:
    """Write one file atomically (:func:`atomic_write_files`)."""
    atomic_write_files({path: data})


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put``/``put_text``: a job
    killed while saving a checkpoint leaves no truncated ``.pth``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(filepath, obj)

    def put_text(self, obj: str, filepath, encoding='utf-8') -> None:
        atomic_write_bytes(filepath, obj.encode(encoding))


register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)
