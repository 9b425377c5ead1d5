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
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import ChannelOptError

__all__ = [
    "STAGING_PREFIX",
    "OutputPathError",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_with",
    "staged_directory",
]


#: Name prefix of the staging folders of a job (hidden; never results).
STAGING_PREFIX = ".channelopt-staging-"


class OutputPathError(ChannelOptError):
    """An output path that cannot be used: read-only, a dangling symbolic link, not a
    directory where one is needed, or a directory another ``channelopt run`` is
    writing to. The command line reports it as bad input (exit 2)."""

    bad_input = True


def _usable_destination(dest: Path) -> None:
    """Refuse a destination that cannot be written, before any work is done on it."""
    if dest.is_symlink() and not dest.exists():
        raise OutputPathError(
            f"output path {str(dest)!r} is a symbolic link to {os.readlink(dest)!r}, which "
            "does not exist; remove the link or write elsewhere"
        )
    if dest.is_dir():
        raise OutputPathError(f"output path {str(dest)!r} is a directory; expected a file")


@contextlib.contextmanager
def _output_errors(dest: Path) -> Iterator[None]:
    """OSErrors about the destination's folder become OutputPathError (exit 2)."""
    try:
        yield
    except (PermissionError, NotADirectoryError, FileExistsError, IsADirectoryError) as exc:
        raise OutputPathError(
            f"cannot write {str(dest)!r}: {exc.strerror or exc} (check that the folder "
            "exists, is a folder and is writable)"
        ) from None
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG):
            raise OutputPathError(f"cannot write {str(dest)!r}: {exc.strerror}") from None
        raise


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
    _usable_destination(dest)
    with _output_errors(dest):
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
        with _output_errors(dest):
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
def _exclusive(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on the directory ``out`` for one job.

    ``flock`` on the directory itself: nothing is written to take it, and the
    kernel releases it when the process ends in any way (``kill -9`` included),
    so a lock never outlives its job.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, as before
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputPathError(
                f"another channelopt run is writing to {str(out)!r}; wait for it to finish "
                "or choose another --output directory"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_stale_stages(out: Path) -> None:
    """Remove the staging folders of jobs that ended without cleaning up (killed).

    Called with the directory lock held, so no live job owns any of them.
    """
    for stale in out.glob(f"{STAGING_PREFIX}*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


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

    Raises
    ------
    OutputPathError
        ``outdir`` cannot be created or written, or another job holds it: one
        job at a time writes into a directory (a lock the system releases when
        the job ends, even when it is killed). Staging folders left by a killed
        job (``.channelopt-staging-*``) are removed when the next job starts.
    """
    out = Path(outdir)
    if out.is_symlink() and not out.exists():
        raise OutputPathError(
            f"output directory {str(out)!r} is a symbolic link to {os.readlink(out)!r}, "
            "which does not exist"
        )
    with _output_errors(out):
        out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        _remove_stale_stages(out)
        with _output_errors(out):
            stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
        try:
            yield stage
            for src in sorted(stage.rglob("*")):
                if src.is_dir():
                    continue
                dest = out / src.relative_to(stage)
                with _output_errors(dest):
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dest)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
