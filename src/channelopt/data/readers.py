"""``read_contacts``: CSV (also gzip), Parquet or a DataFrame into canonical records."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ._bank import read_anonymous_bank, read_us_bank
from ._records import CANONICAL, OUTCOMES, TIME_COLUMNS, ContactRecords, QualityLog

__all__ = ["FORMATS", "read_contacts", "read_counts"]

Progress = Callable[[int, int, str], object]

#: built-in formats of ``read_contacts``
FORMATS = ("csv", "parquet", "anonymous_bank")

#: common spellings of outcomes in ACD, chat and CRM exports -> canonical outcome
OUTCOME_WORDS: dict[str, str] = {
    "answered": "answered",
    "served": "answered",
    "handled": "answered",
    "agent": "answered",
    "completed": "answered",
    "abandoned": "abandoned",
    "abandon": "abandoned",
    "hang": "abandoned",
    "hangup": "abandoned",
    "lost": "abandoned",
    "blocked": "blocked",
    "busy": "blocked",
    "contained": "contained",
    "self_service": "contained",
    "ivr": "contained",
    "bot": "contained",
    "timed_out": "timed_out",
    "timeout": "timed_out",
}


def read_contacts(
    path_or_frame: str | os.PathLike[str] | list[Any] | pd.DataFrame,
    mapping: Mapping[str, str] | None = None,
    format: str | None = None,
    *,
    tz: str = "UTC",
    channel: str = "voice",
    progress: Progress | None = None,
) -> ContactRecords:
    """Read contact records into canonical, time-zone-aware columns.

    Parameters
    ----------
    path_or_frame : path-like, list of path-like, or pandas.DataFrame
        A CSV file (``.csv`` or ``.csv.gz``), a Parquet file, a folder or a list of
        files (Anonymous Bank format) or a DataFrame.
    mapping : mapping, optional
        Canonical column -> column of the source, e.g. ``{"arrival": "start_time"}``.
        Columns already named canonically need no entry.
    format : {"csv", "parquet", "anonymous_bank"}, optional
        Default: from the file name (``.parquet`` / ``.pq`` is Parquet, else CSV).
    tz : str
        Time zone of naive timestamps in the source (default UTC); aware ones are kept.
    channel : str
        Channel of every row when the source has no ``channel`` column.
    progress : callable, optional
        ``progress(done, total, message)`` while reading large files.

    Returns
    -------
    ContactRecords
        ``.frame`` with the canonical columns (``CANONICAL``); ``.quality`` with the
        rows dropped, corrected or flagged per rule.

    Raises
    ------
    DataError
        The file cannot be read: names the file, the line and the field.

    Notes
    -----
    Required: ``arrival``. ``outcome`` is derived when absent (answered when a
    service start is known, abandoned when only a queue start is). ``handle_time``
    (s) defaults to ``service_end - service_start``; ``wait`` (s) to
    ``queue_end - queue_start`` (``service_start - queue_start`` for answered).
    """
    if format not in (None, *FORMATS):
        raise DataError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if format == "anonymous_bank":
        if isinstance(path_or_frame, pd.DataFrame):
            raise DataError("format='anonymous_bank' reads files; pass a path")
        return read_anonymous_bank(path_or_frame, progress=progress)
    if isinstance(path_or_frame, list | tuple):
        raise DataError("a list of files is read with format='anonymous_bank' only")
    if isinstance(path_or_frame, pd.DataFrame):
        return _from_frame(path_or_frame, mapping or {}, "<DataFrame>", tz, channel)
    p = Path(path_or_frame)
    if not p.exists():
        raise DataError("file not found", file=str(p))
    name = p.name.lower()
    fmt = format or ("parquet" if name.endswith((".parquet", ".pq")) else "csv")
    if fmt == "parquet":
        try:
            frame = pd.read_parquet(p)
        except ImportError as exc:  # pragma: no cover - pyarrow optional
            raise DataError(f"reading Parquet needs pyarrow ({exc})", file=str(p)) from None
        except Exception as exc:  # pyarrow raises its own error types
            raise DataError(f"cannot read the Parquet file ({exc})", file=str(p)) from None
    else:
        try:
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
        except pd.errors.EmptyDataError:
            raise DataError("the file is empty (expected a header line)", file=str(p)) from None
        except pd.errors.ParserError as exc:
            raise DataError(f"cannot parse the CSV ({exc})", file=str(p)) from None
        except (UnicodeDecodeError, EOFError, OSError) as exc:
            raise DataError(f"cannot read the file ({exc})", file=str(p)) from None
    if progress is not None:
        progress(1, 1, p.name)
    return _from_frame(frame, mapping or {}, str(p), tz, channel)


def read_counts(
    path: str | os.PathLike[str],
    format: str = "us_bank",
    *,
    until: str | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Read interval counts (columns ``start, channel, contacts``) for :func:`forecast`.

    ``format="us_bank"``: the US bank's 5-minute ``DateTime,Calls`` file.
    ``until`` (``YYYY-MM-DD``, inclusive): stop reading after that local date, so
    later rows (e.g. held-out weeks) are never parsed.
    """
    if format != "us_bank":
        raise DataError(f"unknown counts format {format!r}; expected 'us_bank'")
    return read_us_bank(path, until=until, progress=progress)


def _line(i: int, source: str) -> int | None:
    # CSV: header is line 1, so row i is line i + 2; a DataFrame has no lines
    return i + 2 if source != "<DataFrame>" else None


def _times(col: pd.Series, name: str, source: str, tz: str) -> pd.Series:
    present = col.notna()
    if pd.api.types.is_datetime64_any_dtype(col):
        t = col
    else:
        try:
            t = pd.to_datetime(col, errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError):
            t = pd.Series(pd.NaT, index=col.index)
        if not pd.api.types.is_datetime64_any_dtype(t):
            # mixed offsets come back as objects: normalise through UTC
            t = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
    bad = present & t.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            "expected a date and time", file=source, line=_line(i, source), field=name,
            value=col.iloc[i],
        )  # fmt: skip
    if t.dt.tz is None:
        try:
            t = t.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        except Exception as exc:
            raise DataError(f"cannot localise to {tz!r} ({exc})", file=source, field=name) from None
    return t


def _seconds(col: pd.Series, name: str, source: str) -> pd.Series:
    num = pd.to_numeric(col, errors="coerce")
    bad = col.notna() & (num.isna() | ~np.isfinite(num.astype(float)) | (num < 0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            "expected a duration in seconds >= 0", file=source, line=_line(i, source),
            field=name, value=col.iloc[i],
        )  # fmt: skip
    return num.astype(float)


def _from_frame(
    frame: pd.DataFrame, mapping: Mapping[str, str], source: str, tz: str, channel: str
) -> ContactRecords:
    unknown = [k for k in mapping if k not in (*CANONICAL, "wait", "priority")]
    if unknown:
        raise DataError(
            f"mapping names unknown canonical column(s) {unknown}; expected some of "
            f"{', '.join(CANONICAL)}",
            file=source,
        )
    missing = [v for v in mapping.values() if v not in frame.columns]
    if missing:
        raise DataError(
            f"mapped column(s) {missing} not in the source; it has {list(frame.columns)[:20]}",
            file=source,
            line=1 if source != "<DataFrame>" else None,
        )
    src = {k: frame[v] for k, v in mapping.items()}
    for col in (*CANONICAL, "wait", "priority"):
        if col not in src and col in frame.columns:
            src[col] = frame[col]
    if "arrival" not in src:
        raise DataError(
            "no arrival column; map one with mapping={'arrival': '<your column>'}",
            file=source,
            field="arrival",
        )
    n = len(frame)
    index = pd.RangeIndex(n)
    src = {k: pd.Series(v.to_numpy(), index=index) for k, v in src.items()}
    log = QualityLog()
    out: dict[str, Any] = {}
    for col in TIME_COLUMNS:
        out[col] = (
            _times(src[col], col, source, tz)
            if col in src
            else pd.Series(pd.NaT, index=index, dtype=f"datetime64[ns, {tz}]")
        )
    no_arrival = out["arrival"].isna().to_numpy()
    lines = np.arange(n) + 2
    log.add(
        "missing_arrival",
        "dropped",
        "no arrival time (or a time that does not exist in the time zone)",
        int(no_arrival.sum()),
        [f"line {ln}" for ln in lines[no_arrival][:5]],
    )
    for col in ("handle_time", "wait"):
        out[col] = _seconds(src[col], col, source) if col in src else None
    if out["handle_time"] is None:
        out["handle_time"] = (out["service_end"] - out["service_start"]).dt.total_seconds()
    if "outcome" in src:
        words = src["outcome"].astype("string").str.strip().str.lower()
        mapped = words.map(lambda w: OUTCOME_WORDS.get(w) if isinstance(w, str) else None)
        bad = mapped.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"unknown outcome; expected one of {', '.join(OUTCOMES)} "
                f"(or {', '.join(sorted(set(OUTCOME_WORDS) - set(OUTCOMES)))})",
                file=source, line=_line(i, source), field="outcome", value=src["outcome"].iloc[i],
            )  # fmt: skip
        outcome = mapped.astype(object)
    else:
        served = out["service_start"].notna() | out["handle_time"].notna()
        queued = out["queue_start"].notna()
        outcome = pd.Series(
            np.where(served, "answered", np.where(queued, "abandoned", "contained")), index=index
        )
    if out["wait"] is None:
        end = out["queue_end"].where(out["queue_end"].notna(), out["service_start"])
        out["wait"] = (end - out["queue_start"]).dt.total_seconds()
    neg = ((out["handle_time"] < 0) | (out["wait"] < 0)).to_numpy()
    log.add(
        "negative_duration",
        "dropped",
        "service end before start or queue end before start",
        int((neg & ~no_arrival).sum()),
        [f"line {ln}" for ln in lines[neg & ~no_arrival][:5]],
    )
    answered = (outcome == "answered").to_numpy()
    no_ht = answered & out["handle_time"].isna().to_numpy()
    log.add(
        "answered_without_handle_time",
        "flagged",
        "answered but no handle time: kept in volumes, left out of handle-time fits",
        int(no_ht.sum()),
        [f"line {ln}" for ln in lines[no_ht][:5]],
    )

    def text(col: str, default: Any = None) -> pd.Series:
        if col in src:
            return src[col].astype("string")
        return pd.Series(default, index=index, dtype="string")

    records = pd.DataFrame(
        {
            "contact_id": text("contact_id").fillna(pd.Series(index.astype(str), index=index)),
            "customer_id": text("customer_id"),
            "channel": text("channel", channel),
            "arrival": out["arrival"],
            "queue_start": out["queue_start"],
            "queue_end": out["queue_end"],
            "outcome": outcome,
            "service_start": out["service_start"],
            "service_end": out["service_end"],
            "handle_time": out["handle_time"].astype(float),
            "agent": text("agent"),
            "transferred_to": text("transferred_to"),
            "wait": out["wait"].astype(float),
            "priority": pd.to_numeric(src["priority"], errors="coerce")
            if "priority" in src
            else np.nan,
            "usable": ~no_ht,
            "source_line": lines.astype(np.int32),
        }
    )
    records = records.loc[~no_arrival & ~neg]
    for col in ("channel", "outcome", "agent"):
        records[col] = records[col].astype("category")
    records = records.sort_values("arrival", kind="stable", ignore_index=True)
    out_tz = str(records["arrival"].dt.tz) if len(records) else tz
    return ContactRecords(records, log, source=source, tz=out_tz)
