"""Atomic file writes: a reader never sees a half-written file.

Every file channelopt writes for the user (HTML report, CSV and Parquet
tables, plan YAML) goes through here: the content is written to a temporary
file in the destination's directory (same file system, so the final
``os.replace`` is atomic) and renamed over the destination only once it is
complete. On an exception, including ``KeyboardInterrupt``, the temporary file
is removed and the destination is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_with",
    "staged_directory",
]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` when the block succeeds.

    Parameters
    ----------
    path : path-like
        Final destination. Its parent directory is created when missing.

    Yields
    ------
    pathlib.Path
        A fresh temporary file next to ``path``; write to it inside the block.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically and return the destination path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the destination path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_with(path: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


@contextlib.contextmanager
def staged_directory(outdir: str | os.PathLike[str]) -> Iterator[Path]:
    """Stage the files of one job in a temporary directory, then publish them.

    Files written into the yielded directory are moved into ``outdir`` (each
    with an atomic rename) only when the block succeeds; on failure or Ctrl-C
    nothing of the job appears in ``outdir`` and the staging directory is
    removed. Files already in ``outdir`` that the job does not write are kept.

    Parameters
    ----------
    outdir : path-like
        The output directory (created when missing).

    Yields
    ------
    pathlib.Path
        The staging directory, inside ``outdir`` so the renames stay on one
        file system.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".channelopt-staging-", dir=out))
    try:
        yield stage
        for src in sorted(stage.rglob("*")):
            if src.is_dir():
                continue
            dest = out / src.relative_to(stage)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
