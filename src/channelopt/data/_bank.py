"""Readers of the two real data sets in ``../shared/data`` (their formats, their faults).

* ``anonymous_bank``: the per-call records of the Israeli "Anonymous Bank" (1999),
  17 whitespace-separated fields per line (data README and Brown et al. 2005).
* ``us_bank``: 5-minute call counts of a US bank (2003), ``DateTime,Calls``.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ._records import ContactRecords, QualityLog

__all__ = ["BANK_FIELDS", "read_anonymous_bank", "read_us_bank"]

Progress = Callable[[int, int, str], object]

BANK_FIELDS: tuple[str, ...] = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)
_INT_FIELDS = ("customer_id", "priority", "vru_time", "q_time", "ser_time")
_CLOCK_FIELDS = ("vru_entry",)
BANK_TZ = "Asia/Jerusalem"
#: a service or a wait longer than this is an outlier, kept but flagged (not used in fits)
OUTLIER_SECONDS = 2 * 3600.0
#: lines parsed per chunk (bounds the memory of the string columns)
CHUNK_LINES = 100_000


def _open_text(path: Path) -> tuple[Any, Any]:
    """(text stream, raw binary file for progress) of a plain or gzip file."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    head = raw.read(2)
    raw.seek(0)
    stream: Any = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
    return io.TextIOWrapper(stream, encoding="latin-1", newline=""), raw


def _bank_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and p.name.endswith((".txt", ".txt.gz"))
        )
        if not files:
            raise DataError("no .txt or .txt.gz files in the folder", file=str(path))
        return files
    if not path.exists():
        raise DataError("file not found", file=str(path))
    return [path]


def _to_int(col: pd.Series, name: str, file: str, first_line: int) -> np.ndarray:
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() | (num != np.floor(num))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            "expected a whole number", file=file, line=first_line + i, field=name, value=col.iloc[i]
        )
    return num.to_numpy(dtype=np.int64)


def _clock_seconds(col: pd.Series, name: str, file: str, first_line: int) -> np.ndarray:
    # the shape is checked first (to_timedelta alone would accept "5s" or "1 days")
    shape = col.str.fullmatch(r"\d{1,2}:[0-5]\d:[0-5]\d").fillna(False).astype(bool)
    secs = pd.to_timedelta(col.where(shape), errors="coerce").dt.total_seconds()
    bad = secs.isna() | ~shape
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            "expected a clock time H:MM:SS",
            file=file,
            line=first_line + i,
            field=name,
            value=col.iloc[i],
        )
    return secs.to_numpy(dtype=float)


def _dates(col: pd.Series, file: str, first_line: int) -> pd.Series:
    d = pd.to_datetime(col, format="%y%m%d", errors="coerce")
    bad = d.isna() | ~col.str.fullmatch(r"\d{6}").fillna(False).astype(bool)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            "expected a date YYMMDD",
            file=file,
            line=first_line + i,
            field="date",
            value=col.iloc[i],
        )
    return d


def _chunk(raw: pd.DataFrame, file: str, first_line: int, log: QualityLog) -> pd.DataFrame:
    """Canonical rows of one chunk of an Anonymous Bank file (header at line 1)."""
    name = Path(file).name
    lines = np.arange(first_line, first_line + len(raw))
    missing = raw[BANK_FIELDS[-1]].isna()
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        n_fields = int(raw.iloc[i].notna().sum())
        raise DataError(
            f"expected 17 whitespace-separated fields, found {n_fields}",
            file=file,
            line=int(lines[i]),
            field=BANK_FIELDS[n_fields] if n_fields < len(BANK_FIELDS) else None,
        )
    ints = {f: _to_int(raw[f], f, file, first_line) for f in _INT_FIELDS}
    entry = _clock_seconds(raw["vru_entry"], "vru_entry", file, first_line)
    clocks = {
        f: _clock_seconds(raw[f], f, file, first_line)
        for f in ("vru_exit", "q_start", "q_exit", "ser_start", "ser_exit")
    }  # validated; only q_start is used (to tell queued calls): durations give the times
    date = _dates(raw["date"], file, first_line)
    outcome_raw = raw["outcome"].str.upper()
    known = outcome_raw.isin(["AGENT", "HANG", "PHANTOM"])
    if not known.all():
        i = int(np.flatnonzero(~known.to_numpy())[0])
        raise DataError(
            "expected outcome AGENT, HANG or PHANTOM",
            file=file,
            line=int(lines[i]),
            field="outcome",
            value=raw["outcome"].iloc[i],
        )

    def examples(mask: np.ndarray) -> list[str]:
        return [f"{name}:{ln}" for ln in lines[mask][:5]]

    phantom = (outcome_raw == "PHANTOM").to_numpy()
    log.add(
        "phantom",
        "dropped",
        "PHANTOM rows are virtual calls, not customers (data documentation)",
        int(phantom.sum()),
        examples(phantom),
    )
    vru = ints["vru_time"].astype(float)
    neg = vru < 0
    log.add(
        "negative_vru_time",
        "corrected",
        "negative VRU time from clock skew between systems: set to 0",
        int((neg & ~phantom).sum()),
        examples(neg & ~phantom),
    )
    vru = np.maximum(vru, 0.0)
    q = ints["q_time"].astype(float)
    ser = ints["ser_time"].astype(float)
    negq = (q < 0) | (ser < 0)
    log.add(
        "negative_duration",
        "dropped",
        "negative queue or service time",
        int((negq & ~phantom).sum()),
        examples(negq & ~phantom),
    )
    keep = ~phantom & ~negq
    served = (outcome_raw == "AGENT").to_numpy()
    # a call that joined the queue and left at once has q_time 0 but a queue start
    queued = (q > 0) | (clocks["q_start"] > 0)
    server = raw["server"].astype(str)
    no_agent = (server == "NO_SERVER").to_numpy()
    log.add(
        "served_without_agent",
        "flagged",
        "AGENT outcome but server NO_SERVER: kept as answered with no agent; "
        "not used to infer agents on duty",
        int((served & no_agent & keep).sum()),
        examples(served & no_agent & keep),
    )
    zero = served & (ser <= 0)
    log.add(
        "zero_length_service",
        "flagged",
        "served call of zero length: kept in volumes, left out of handle-time fits",
        int((zero & keep).sum()),
        examples(zero & keep),
    )
    outlier = (ser > OUTLIER_SECONDS) | (q > OUTLIER_SECONDS)
    log.add(
        "outlier_duration",
        "flagged",
        f"service or queue time above {OUTLIER_SECONDS:.0f} s: kept in volumes, "
        "left out of handle-time and patience fits",
        int((outlier & keep).sum()),
        examples(outlier & keep),
    )
    odd = server.isin(["NO_SERVERAMA", "ANO_SERVERT"]).to_numpy()
    log.add(
        "corrupted_agent_name",
        "flagged",
        "agent names NO_SERVERAMA / ANO_SERVERT (a text substitution in May-June) are agents, "
        "kept as they are",
        int((odd & keep).sum()),
        examples(odd & keep),
    )
    # clock times have no date, cross midnight and break across daylight saving:
    # every time is the VRU entry plus the recorded durations
    local = date + pd.to_timedelta(entry, unit="s")
    arrival = local.dt.tz_localize(BANK_TZ, ambiguous=False, nonexistent="shift_forward")
    td_vru = pd.to_timedelta(vru, unit="s")
    td_q = pd.to_timedelta(q, unit="s")
    td_ser = pd.to_timedelta(ser, unit="s")
    q_start = arrival + td_vru
    q_end = q_start + td_q
    s_start = q_end
    s_end = s_start + td_ser
    nat = pd.Series(pd.NaT, index=raw.index, dtype=arrival.dtype)
    outcome = np.where(served, "answered", np.where(queued, "abandoned", "contained"))
    agent = server.where(~no_agent & served, None)
    cust = ints["customer_id"]
    frame = pd.DataFrame(
        {
            "contact_id": (raw["vru+line"].astype(str) + "-" + raw["call_id"].astype(str)),
            "customer_id": pd.Series(
                np.where(cust > 0, cust.astype(str), np.array(None, dtype=object)), index=raw.index
            ),
            "channel": raw["type"].astype(str),
            "arrival": arrival,
            "queue_start": q_start.where(queued | served, nat),
            "queue_end": q_end.where(queued | served, nat),
            "outcome": outcome,
            "service_start": s_start.where(served, nat),
            "service_end": s_end.where(served, nat),
            "handle_time": np.where(served, ser, np.nan),
            "agent": agent,
            "transferred_to": pd.Series(None, index=raw.index, dtype=object),
            "wait": np.where(queued | served, q, np.nan),
            "self_service_time": vru,
            "priority": ints["priority"].astype(np.int8),
            "usable": ~(outlier | zero),
            "source_line": lines.astype(np.int32),
        }
    )
    return frame.loc[keep]


#: the bank's priority customers (priority 2); 0 and 1 are served alike
PRIORITY_CLASS = 2


def _categorise(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("channel", "outcome", "agent"):
        frame[col] = frame[col].astype("category")
    for col in ("contact_id", "customer_id", "transferred_to"):
        frame[col] = frame[col].astype("string[pyarrow]" if _has_pyarrow() else "string")
    return frame


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is optional
        return False
    return True


def read_anonymous_bank(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    progress: Progress | None = None,
) -> ContactRecords:
    """Read the Anonymous Bank call records (a monthly ``.txt[.gz]`` file or their folder).

    Parameters
    ----------
    path : path-like or sequence of path-like
        A file, a folder whose ``*.txt`` / ``*.txt.gz`` files are read in name order,
        or a list of files (e.g. only the months used for fitting).
    progress : callable, optional
        ``progress(done, total, message)`` with compressed bytes read.

    Returns
    -------
    ContactRecords
        One row per call attempt; times in ``Asia/Jerusalem``.

    Raises
    ------
    DataError
        A file cannot be read; names the file, line and field.
    """
    if isinstance(path, str | os.PathLike):
        files = _bank_files(Path(path))
        source = str(path)
    else:
        files = [f for p in path for f in _bank_files(Path(p))]
        source = ", ".join(str(p) for p in path)
        if not files:
            raise DataError("no files given")
    total = sum(p.stat().st_size for p in files)
    done = 0
    log = QualityLog()
    parts: list[pd.DataFrame] = []
    for p in files:
        text, raw = _open_text(p)
        try:
            header = text.readline().split()
            if header != list(BANK_FIELDS):
                raise DataError(
                    f"expected the header of the Anonymous Bank format ({' '.join(BANK_FIELDS)})",
                    file=str(p),
                    line=1,
                    value=" ".join(header)[:120],
                )
            first = 2
            try:
                reader = pd.read_csv(
                    text,
                    sep=r"\s+",
                    header=None,
                    names=list(BANK_FIELDS),
                    dtype=str,
                    chunksize=CHUNK_LINES,
                    engine="c",
                    quoting=csv.QUOTE_NONE,  # quotes mean nothing in this format
                    keep_default_na=False,
                    na_values=[],
                    skip_blank_lines=False,  # a blank line is an error at its own line number
                )
                for raw_chunk in reader:
                    # empty strings appear only where a line has too few fields
                    raw_chunk = raw_chunk.replace("", np.nan)
                    parts.append(_chunk(raw_chunk, str(p), first, log))
                    first += len(raw_chunk)
                    if progress is not None:
                        progress(done + raw.tell(), total, p.name)
            except pd.errors.ParserError as exc:
                line = _line_of(str(exc))
                raise DataError(
                    f"expected 17 whitespace-separated fields ({exc})",
                    file=str(p),
                    line=line + 1 if line is not None else None,
                ) from None
            except (UnicodeDecodeError, EOFError, OSError, gzip.BadGzipFile) as exc:
                raise DataError(f"cannot read the file ({exc})", file=str(p)) from None
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            raise DataError(f"cannot read the file ({exc})", file=str(p)) from None
        finally:
            raw.close()
        done += p.stat().st_size
        if progress is not None:
            progress(done, total, p.name)
    frame = pd.concat(parts, ignore_index=True) if parts else _empty()
    frame = frame.sort_values("arrival", kind="stable", ignore_index=True)
    # documentation.pdf: "Priority customers are allocated at the outset of their call
    # 1.5 minutes of waiting-time (in order to advance their position in the queue)"
    return ContactRecords(
        _categorise(frame), log, source=source, tz=BANK_TZ, head_start={PRIORITY_CLASS: 90.0}
    )


def _line_of(message: str) -> int | None:
    import re

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _empty() -> pd.DataFrame:
    raw = pd.DataFrame({f: pd.Series([], dtype=object) for f in BANK_FIELDS})
    for f in BANK_FIELDS:
        raw[f] = raw[f].astype(str)
    return _chunk(raw, "<empty>", 2, QualityLog())


def read_us_bank(
    path: str | os.PathLike[str], *, until: str | None = None, progress: Progress | None = None
) -> pd.DataFrame:
    """Read the US bank's 5-minute call counts (``DateTime,Calls``).

    Parameters
    ----------
    path : path
        The CSV file (also ``.gz``).
    until : str, optional
        Last local date to read (``YYYY-MM-DD``, inclusive). The file is in time
        order, so reading stops at the first later row: rows after it are never
        parsed (how held-out weeks stay unread). Default: the whole file.
    progress : callable, optional
        ``progress(done, total, message)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``start`` (tz-aware, America/New_York), ``channel`` (``"calls"``),
        ``contacts``: one row per 5-minute interval.

    Raises
    ------
    DataError
        Missing file, bad header, unparseable time or count (file, line, field).
    """
    p = Path(path)
    if not p.exists():
        raise DataError("file not found", file=str(p))
    try:
        source: Any = p if until is None else io.StringIO(_lines_until(p, until))
        df = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise DataError(f"cannot read the file ({exc})", file=str(p)) from None
    if list(df.columns) != ["DateTime", "Calls"]:
        raise DataError(
            "expected the columns DateTime,Calls", file=str(p), line=1, value=list(df.columns)
        )
    t = pd.to_datetime(df["DateTime"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    c = pd.to_numeric(df["Calls"], errors="coerce")
    for name, bad in (("DateTime", t.isna()), ("Calls", c.isna() | (c < 0))):
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                "expected a time YYYY-MM-DD HH:MM:SS"
                if name == "DateTime"
                else "expected a count >= 0",
                file=str(p),
                line=i + 2,
                field=name,
                value=df[name].iloc[i],
            )
    if progress is not None:
        progress(1, 1, p.name)
    start = t.dt.tz_localize("America/New_York", ambiguous=False, nonexistent="shift_forward")
    return pd.DataFrame({"start": start, "channel": "calls", "contacts": c.to_numpy(float)})


def _lines_until(path: Path, until: str) -> str:
    """The header and the rows of a time-ordered ``DateTime,...`` file up to the
    local date ``until`` (inclusive); the file is not read past the first later row."""
    if len(until) != 10 or until[4] != "-" or until[7] != "-":
        raise DataError("expected a date YYYY-MM-DD", file=str(path), field="until", value=until)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    kept: list[str] = []
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        kept.append(f.readline())
        for line in f:
            # ISO dates compare as text; a malformed row is kept for the parser to report
            if line[:10] > until and line[:4].isdigit():
                break
            kept.append(line)
    return "".join(kept)
