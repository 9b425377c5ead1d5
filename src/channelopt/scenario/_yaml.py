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

Hostile documents are bounded before they cost memory or time (docs/limits.md):
at most :data:`MAX_BYTES` of text, :data:`MAX_DEPTH` levels of nesting,
:data:`MAX_ALIASES` alias references (``*name``) and :data:`MAX_VALUES` values
once aliases are expanded (a "billion laughs" file of ten levels of ten aliases
expands to 10^10 values from 600 bytes), no alias that refers to a node
containing it, and no integer beyond the range of a double. Each is reported as
a :class:`ScenarioError` with the line and column where the limit was crossed,
found while the document is being composed: nothing is expanded first.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

import yaml

from ..errors import Problem, ScenarioError

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "Document",
    "dump_yaml",
    "load_yaml",
    "read_text_limited",
]

#: Largest scenario or plan file read, in bytes (1 MiB; the bundled scenarios are
#: about 6 kB). Contact records are not YAML: ``read_contacts`` streams them.
MAX_BYTES = 1 << 20
#: Deepest nesting of lists and mappings (a scenario needs about 6 levels).
MAX_DEPTH = 50
#: Most alias references (``*name``) in one document.
MAX_ALIASES = 1_000
#: Most values (scalars, lists and mappings) in one document once every alias is
#: expanded: about 3 s of reading on a loaded machine, far above any real scenario.
MAX_VALUES = 100_000
#: Longest integer literal, in digits: a double ends at about 1.8e308.
_MAX_INT_DIGITS = 310

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
    if _INT.match(text) or _HEX.match(text) or _OCT.match(text):
        digits = text.replace("_", "")
        if len(digits) > _MAX_INT_DIGITS:
            # Python refuses to parse more than 4,300 digits (ValueError) and no
            # field takes a number beyond a double: keep it a (rejected) string.
            raise _TooLargeError(text)
        if _INT.match(text):
            return int(digits)
        return int(digits[2:], 16 if _HEX.match(text) else 8)
    if _FLOAT.match(text):
        return float(text.replace("_", ""))
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


class _TooLargeError(Exception):
    """An integer literal with more digits than any double holds."""


_PLAIN = "tag:channelopt,2026:plain"
_CORE_TAGS = frozenset(
    (
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    )
)


class _LimitError(Exception):
    """A document crossed one of the limits; carries the message and the YAML mark."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """Marks unquoted scalars so that :func:`_plain_value` (not YAML 1.1) types them,
    and enforces the depth, alias and expanded-size limits while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._values = 0  # values composed so far, each alias counted as its expansion
        self._sizes: dict[int, int] = {}  # id(node) -> its expanded size, once complete
        self._merged: dict[int, int] = {}  # id(mapping node) -> pairs merged in by `<<`

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value != "<<":
            return _PLAIN
        return super().resolve(kind, value, implicit)

    def compose_node(self, parent: Any, index: Any) -> Any:
        # PyYAML's composer recurses through this method for every node, so the
        # limits hold before Python's recursion limit or memory is reached.
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # the anchored node (not a copy)
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitError(
                    f"more than {MAX_ALIASES:,} aliases (*name); see docs/limits.md",
                    event.start_mark,
                )
            size = self._sizes.get(id(node))
            if size is None:  # still being composed: the alias sits inside its anchor
                raise _LimitError(
                    f"alias *{event.anchor} refers to a list or mapping that contains it "
                    "(a document without end)",
                    event.start_mark,
                )
            self._count(size, event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _LimitError(
                f"document nested more than {MAX_DEPTH} levels deep; see docs/limits.md",
                event.start_mark,
            )
        start = self._values
        self._count(1, event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = self._values - start
        return node

    def merged_pairs(self, node: yaml.MappingNode) -> int:
        """Resolve the ``<<`` merge keys of ``node`` in place (once); the number of
        leading pairs of ``node.value`` that came from merges."""
        if id(node) not in self._merged:
            own = sum(key.tag != "tag:yaml.org,2002:merge" for key, _ in node.value)
            self.flatten_mapping(node)
            self._merged[id(node)] = len(node.value) - own
        return self._merged[id(node)]

    def _count(self, n: int, mark: Any) -> None:
        self._values += n
        if self._values > MAX_VALUES:
            raise _LimitError(
                f"the document holds more than {MAX_VALUES:,} values once its aliases are "
                "expanded (at most that many are read; see docs/limits.md)",
                mark,
            )


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
    if depth > MAX_DEPTH + 1:  # pragma: no cover - the composer stops this first
        doc.problems.append(Problem(path, f"document nested more than {MAX_DEPTH} levels deep"))
        return None
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _PLAIN or node.tag in _CORE_TAGS:
            try:
                return _plain_value(node.value)
            except _TooLargeError:
                mark = node.start_mark
                doc.problems.append(
                    Problem(
                        path,
                        f"integer of {len(node.value)} digits at line {mark.line + 1}, "
                        f"column {mark.column + 1} is beyond any number a field takes "
                        "(at most about 1.8e308)",
                        node.value[:20] + "...",
                        mark.line + 1,
                    )
                )
                return node.value
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
        merged = loader.merged_pairs(node)  # resolves `<<` merge keys
        out: dict[Any, Any] = {}
        from_merge: set[Any] = set()
        for i, (key_node, value_node) in enumerate(node.value):
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
            if i < merged:  # a pair merged in by `<<`: the first merged wins
                if key in out:
                    continue
                from_merge.add(key)
            elif key in from_merge:  # a key of the mapping itself overrides a merged one
                from_merge.discard(key)
            elif key in out:
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
    if len(text) > MAX_BYTES:
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"the document is {len(text):,} characters long, more than the "
                    f"{MAX_BYTES:,} a scenario or plan may have (see docs/limits.md)",
                )
            ],
            source,
        )
    loader: _Loader | None = None
    try:
        # The reader checks the characters as it is built (a NUL byte is an error).
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is not None:
            doc.data = _convert(node, "", doc, loader, 0)
    except _LimitError as exc:
        mark = exc.mark
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"at line {mark.line + 1}, column {mark.column + 1}: {exc.message}",
                    None,
                    mark.line + 1,
                )
            ],
            source,
        ) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        char = exc.character
        shown = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"character {shown} at line {line}, column {column} is not allowed in "
                    "YAML (a binary file, or text that is not UTF-8?)",
                    None,
                    line,
                )
            ],
            source,
        ) from None
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
    except RecursionError:  # pragma: no cover - the depth limit is far below Python's
        raise ScenarioError(
            [Problem("", f"document nested more than {MAX_DEPTH} levels deep")], source
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return doc


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:position]
    line = before.count("\n") + 1
    return line, position - (before.rfind("\n") + 1) + 1


def read_text_limited(path: str | os.PathLike[str], what: str) -> str:
    """Read a scenario or plan file as UTF-8, at most :data:`MAX_BYTES`.

    Parameters
    ----------
    path : path-like
        The file. Devices and pipes (``/dev/zero``) are read only up to the
        limit, never to their end.
    what : str
        ``"scenario"`` or ``"plan"``, for messages.

    Raises
    ------
    ScenarioError
        The file cannot be read, is larger than :data:`MAX_BYTES` or is not UTF-8
        (naming the file, and the line of the first bad byte).
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(
            [Problem("", f"cannot read the {what} file: {exc}", name)], name
        ) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"the {what} file is larger than {MAX_BYTES:,} bytes (1 MiB), the largest "
                    f"{what} file read (see docs/limits.md); is it the right file?",
                    name,
                )
            ],
            name,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"the {what} file is not UTF-8 text: byte 0x{data[exc.start]:02x} at "
                    f"line {line} (save it as UTF-8)",
                    name,
                    line,
                )
            ],
            name,
        ) from None


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order, and strings that would re-read as another type quoted."""


def _reads_back_as_text(value: str) -> bool:
    try:
        return bool(_plain_value(value) == value)
    except _TooLargeError:  # a very long run of digits: would not read back as text
        return False


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    plain_ok = _reads_back_as_text(value) and not SEXAGESIMAL.match(value) and value.strip()
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
