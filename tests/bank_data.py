"""The real data sets of ``../shared/data``, read once per test session.

Tests that need them call :func:`bank` / :func:`us_bank`, which skip with the
reason when the folder is absent (a fresh clone without the shared data);
``CHANNELOPT_DATA`` points them at a copy elsewhere.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

#: the folder holding anonymous_bank_1999 and us_bank_2003: $CHANNELOPT_DATA, else the
#: shared data folder beside the repository (the development setup)
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if not DATA.exists():  # worktrees live one level deeper than the main checkout
    DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DATA = Path(os.environ.get("CHANNELOPT_DATA", DATA))
BANK = DATA / "anonymous_bank_1999" / "calls"
US_BANK = DATA / "us_bank_2003" / "bank_calls_5min.csv.gz"
#: months that may be used for fitting and checks (September-October are held out)
FIT_MONTHS = ("january", "february", "march", "april", "may", "june", "july")


def need(path: Path) -> None:
    """Skip the calling test, saying where to point it, when ``path`` is absent."""
    if not path.exists():
        pytest.skip(
            f"real data not found at {path}: set CHANNELOPT_DATA to the folder holding "
            "anonymous_bank_1999 and us_bank_2003 (../shared/data/README.md; it sits beside "
            "the repository in the development setup, not in a clone)"
        )


@functools.lru_cache(maxsize=1)
def _bank():
    from channelopt.data import read_contacts

    return read_contacts([BANK / f"{m}.txt.gz" for m in FIT_MONTHS], format="anonymous_bank")


def bank():
    """January-July of the Anonymous Bank (never the held-out September-October)."""
    need(BANK)
    return _bank()


#: last day tests may read of the US bank: the reader stops there, so the held-out
#: last four weeks that follow are never read
US_LAST_USABLE_DAY = "2003-09-28"


@functools.lru_cache(maxsize=1)
def _us():
    from channelopt.data import read_counts

    return read_counts(US_BANK, until=US_LAST_USABLE_DAY)


def us_bank():
    """The US bank's 5-minute counts before the held-out last four weeks (tests fit
    before 2003-09-01 and check September up to the held-out weeks)."""
    need(US_BANK)
    return _us()
