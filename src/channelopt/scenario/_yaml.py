"""A strict, line-aware YAML reader and a plain writer for scenario and plan files.

PyYAML implements YAML 1.1, whose implicit typing surprises planners: ``8:00``
is the sexagesimal number 480, ``yes``/``no``/``on``/``off`` are booleans and
``2024-01-01`` is a date. Scenario files are full of clock times and channel
names, so this loader resolves plain scalars the YAML 1.2 "core schema" way:
only ``null``/``~``, ``true``/``false``, decimal and ``0x``/``0o`` integers,
decimal floats (``1e5`` included) and ``.inf``/``.nan`` become non-strings.
Everything else stays a string and is checked by the scenario model, which can
then say "'6:00' looks like a clock time" instead of silently using 360.

Duplicate keys are reported (PyYAML keeps the last one silently), and the line
of every node is kept so that problems can name the line of the bad field.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from ..errors import Problem, ScenarioError

__all__ = ["Document", "dump_yaml", "load_yaml"]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_HEX = re.compile(r"^0x[0-9a-fA-F_]+$")
_OCT = re.compile(r"^0o[0-7_]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
#: plain scalars YAML 1.1 would have read as base-60 numbers (``8:00`` -> 480)
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def _plain_value(text: str) -> Any:
    """YAML 1.2 core-schema resolution of an unquoted scalar."""
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _HEX.match(text):
        return int(text[2:].replace("_", ""), 16)
    if _OCT.match(text):
        return int(text[2:].replace("_", ""), 8)
    if _FLOAT.match(text):
        return float(text.replace("_", ""))
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


_PLAIN = "tag:channelopt,2026:plain"
_CORE_TAGS = frozenset(
    (
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    )
)


class _Loader(yaml.SafeLoader):
    """Marks unquoted scalars so that :func:`_plain_value` (not YAML 1.1) types them."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value != "<<":
            return _PLAIN
        return super().resolve(kind, value, implicit)


class Document:
    """A parsed YAML document: plain Python data plus the line of each path.

    Attributes
    ----------
    data : object
        dicts, lists, str, int, float, bool and None.
    lines : dict of str to int
        Dotted path (``channels.chat.aht``; list items by index) -> 1-based line.
    problems : list of Problem
        Duplicate keys and unsupported tags found while reading.
    """

    def __init__(self) -> None:
        self.data: Any = None
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []

    def line_of(self, path: str) -> int | None:
        """Line of ``path`` or of its nearest ancestor present in the file."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path.rpartition(".")[0]


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _convert(node: yaml.Node, path: str, doc: Document, loader: _Loader, depth: int) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if depth > 50:
        doc.problems.append(Problem(path, "document nested too deeply (over 50 levels)"))
        return None
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _PLAIN or node.tag in _CORE_TAGS:
            return _plain_value(node.value)
        if node.tag in ("tag:yaml.org,2002:str", "!"):
            return node.value
        doc.problems.append(
            Problem(
                path, f"unsupported YAML tag {node.tag!r}", node.value, node.start_mark.line + 1
            )
        )
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, _join(path, i), doc, loader, depth + 1)
            for i, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path, doc, loader, depth + 1)
            if isinstance(key, list | dict):
                doc.problems.append(
                    Problem(
                        path,
                        "a mapping key must be a plain scalar, got a list or mapping",
                        None,
                        key_node.start_mark.line + 1,
                    )
                )
                continue
            if key is None:
                key = "null"
            child = _join(path, key)
            if key in out:
                mark = key_node.start_mark
                doc.problems.append(
                    Problem(
                        child,
                        f"duplicate key {key!r} (line {mark.line + 1}, column {mark.column + 1}); "
                        f"first given at line {doc.lines.get(child, '?')}; keep only one",
                        key,
                        mark.line + 1,
                    )
                )
                continue
            doc.lines[child] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, child, doc, loader, depth + 1)
        return out
    return None  # pragma: no cover - PyYAML has no other node kinds


def load_yaml(text: str, source: str | None = None) -> Document:
    """Parse YAML text strictly.

    Parameters
    ----------
    text : str
        The YAML document (one document; an empty text gives ``None``).
    source : str, optional
        File name for error messages.

    Returns
    -------
    Document
        The data, line numbers and any duplicate-key problems.

    Raises
    ------
    ScenarioError
        On a YAML syntax error (with line and column) or more than one document.
    """
    doc = Document()
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _convert(node, "", doc, loader, 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"YAML syntax error at {where}: {what}",
                    None,
                    mark.line + 1 if mark else None,
                )
            ],
            source,
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem("", f"YAML error: {exc}")], source) from None
    finally:
        loader.dispose()
    return doc


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order, and strings that would re-read as another type quoted."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    plain_ok = _plain_value(value) == value and not SEXAGESIMAL.match(value) and value.strip()
    style = None if plain_ok else "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
    if math.isinf(value):
        text = ".inf" if value > 0 else "-.inf"
    elif math.isnan(value):
        text = ".nan"
    elif value.is_integer() and abs(value) < 1e15:
        text = f"{value:.1f}"
    else:
        text = repr(value)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(float, _represent_float)
_Dumper.add_representer(tuple, yaml.SafeDumper.represent_list)


def dump_yaml(data: Any) -> str:
    """Write plain data as block-style YAML that :func:`load_yaml` reads back equal."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
