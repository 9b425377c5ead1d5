"""The validated scenario and plan files, and their plain-array view.

The only module of channelopt that reads or writes YAML.
"""

from __future__ import annotations

from .resolved import ChannelKind, Resolved

__all__ = ["ChannelKind", "Resolved"]
