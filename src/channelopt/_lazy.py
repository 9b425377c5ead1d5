"""A result table built the first time it is read (staffing intervals, simulated journeys).

A sweep reads only a staffing's summary and simulation-based staffing only a
simulation's interval table: building the other tables for every case costs
more than the kernels. A result stores a *pending* object (one with a
``table()`` method that builds the DataFrame) in the field; the descriptor
builds the table on first read, keeps it, and hands it out from then on.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LazyTable"]


class LazyTable:
    """A dataclass field whose value may be a ``pending`` object until it is first read.

    Parameters
    ----------
    pending : type
        The class of the not-yet-built value; an instance's ``table()`` returns
        the table (a ``pandas.DataFrame``).
    """

    def __init__(self, pending: type) -> None:
        self.pending: Any = pending  # Any: isinstance would narrow to "object"

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_table"

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        if obj is None:  # no class-level default: the field stays required
            raise AttributeError(self.slot)
        value: Any = obj.__dict__[self.slot]
        if isinstance(value, self.pending):
            value = value.table()
            obj.__dict__[self.slot] = value  # built once
        return value

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.slot] = value
