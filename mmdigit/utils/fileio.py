"""Atomic file writes, for submissions and checkpoints."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

#: Name of the atomic local backend in mmengine's file-backend registry
#: (``backend_args=dict(backend=ATOMIC_BACKEND)``).
ATOMIC_BACKEND = 'atomic_local'


def atomic_write_bytes(path: Union[str, Path], data: bytes) -> None:
    """Write ``data`` to ``path`` so readers never see a partial file.

    The bytes go to a temporary file in the same folder, are flushed to
    disk, and then replace ``path`` in one ``os.replace``; a crash or kill
    leaves the old file (or none), never a truncated one.

    Args:
        path (str | Path): Destination file.
        data (bytes): Content.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put``/``put_text``.

    MMEngine writes checkpoints with ``open(path, 'wb').write(...)``: a job
    killed mid-save leaves a truncated ``.pth``. With
    ``default_hooks.checkpoint.backend_args = dict(backend='atomic_local')``
    (set in the primary config) every checkpoint is written through
    :func:`atomic_write_bytes`.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes atomically (temp file + rename)."""
        atomic_write_bytes(filepath, obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text atomically (temp file + rename)."""
        atomic_write_bytes(filepath, obj.encode(encoding))


register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)
