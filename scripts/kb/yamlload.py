"""Read a curator's YAML file into plain values plus the line and column of every value.

PyYAML's traps are closed here: duplicate keys are reported instead of overwritten, YAML 1.1
surprises (an unquoted `no` read as a boolean, a date read as a date) are reported instead of
silently changing the curator's text, a tag outside YAML's core schema (`!custom`,
`!!python/...`) is reported instead of dropped, and aliases are refused before anything is built,
so that no file can expand exponentially.
"""
from __future__ import annotations

import marshal
import re
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from .problems import Problem

MAX_BYTES = 1_000_000
# libyaml's parser when PyYAML was built with it (about 20x faster); the same marks and tags.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Path = tuple  # a path into the document: keys and list indexes

_BOOL_WORDS = {"true", "false"}
# Tags: only YAML's core schema may pass, given explicitly or implied. A plain scalar is also
# resolved to YAML 1.1 types (a date, `=`, `<<`): reported as KB107 or KB102 below, not as tags.
_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_SCALARS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null"))
_PLAIN = _SCALARS | {_CORE + t for t in ("timestamp", "value", "merge")}
_MAP, _SEQ = frozenset([_CORE + "map"]), frozenset([_CORE + "seq"])
_SURPRISING_INT = re.compile(r"[-+]?(0[0-7]+|0o[0-7]+|0x[0-9a-fA-F]+|[0-9][0-9_]*(:[0-5]?[0-9])+)")


@dataclass
class Doc:
    """A loaded YAML file: its values and where each one stands."""

    path: str
    data: Any = None
    value_pos: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Path, key: bool = False) -> tuple[int, int]:
        """Line and column of the value (or key) at path, or of its nearest known parent."""
        table = self.key_pos if key else self.value_pos
        while path:
            if path in table:
                return table[path]
            if path in self.value_pos:
                return self.value_pos[path]
            path = path[:-1]
        return self.value_pos.get((), (1, 1))

    def problem(self, path: Path, code: str, message: str, key: bool = False) -> Problem:
        line, col = self.at(path, key)
        return Problem(self.path, line, col, code, message)


class PackedDoc(Doc):
    """A Doc as the build cache keeps it (kb.build): where each record stands at hand (`few`:
    every path of at most two steps), where everything else stands packed (marshal's bytes of
    value_pos and key_pos), unpacked only when asked for, as a problem's position is. Loading
    10,000 claims' positions was three quarters of reading them back from the cache."""

    def __init__(self, path: str, data: Any, few: dict[Path, tuple[int, int]], packed: bytes,
                 folded: list | None = None) -> None:
        self.path, self.data, self._few, self._packed = path, data, few, packed
        self.folded = folded  # its records as the model takes them (kb.model.folded), if kept
        self._unpacked: tuple[dict, dict] | None = None

    @staticmethod
    def pack(doc: Doc) -> tuple[dict[Path, tuple[int, int]], bytes]:
        return {p: v for p, v in doc.value_pos.items() if len(p) <= 2}, marshal.dumps((doc.value_pos, doc.key_pos))

    def _positions(self) -> tuple[dict, dict]:
        if self._unpacked is None:
            self._unpacked = marshal.loads(self._packed)
        return self._unpacked

    @property
    def value_pos(self) -> dict[Path, tuple[int, int]]:  # type: ignore[override]
        return self._positions()[0]

    @property
    def key_pos(self) -> dict[Path, tuple[int, int]]:  # type: ignore[override]
        return self._positions()[1]

    def at(self, path: Path, key: bool = False) -> tuple[int, int]:
        if not key and path in self._few:
            return self._few[path]
        return super().at(path, key)


def _mark(node: yaml.Node | yaml.Event) -> tuple[int, int]:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


class _Builder:
    def __init__(self, doc: Doc, problems: list[Problem]):
        self.doc = doc
        self.problems = problems
        self.scalars = yaml.constructor.SafeConstructor()

    def report(self, node: yaml.Node, code: str, message: str) -> None:
        line, col = _mark(node)
        self.problems.append(Problem(self.doc.path, line, col, code, message))

    def check_tag(self, node: yaml.Node, allowed: frozenset) -> bool:
        """Report a tag outside YAML's core schema (`!custom`, `!!python/...`, `!!binary`, `!!set`):
        such a tag would otherwise be dropped without a word. True if the tag may pass."""
        if node.tag in allowed:
            return True
        shown = "!!" + node.tag[len(_CORE):] if node.tag.startswith(_CORE) else node.tag
        self.report(node, "KB108", f"YAML tag '{shown}' is not allowed (only YAML's core tags are)")
        return False

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.value_pos[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            self.check_tag(node, _MAP)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.report(key_node, "KB204", "a mapping key must be plain text")
                    continue
                self.check_tag(key_node, _SCALARS)
                key = key_node.value
                if key in out:
                    line, _ = self.doc.key_pos[path + (key,)]
                    self.report(key_node, "KB106", f"duplicate key '{key}' (first given on line {line})")
                    continue
                self.doc.key_pos[path + (key,)] = _mark(key_node)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            self.check_tag(node, _SEQ)
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.scalar(cast(yaml.ScalarNode, node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR:  # quoted and block text, plain text, and !!str
            return node.value
        if not self.check_tag(node, _SCALARS if node.style else _PLAIN):
            return node.value
        if not node.style and self.surprise(node):  # quoted with a core tag (!!int "12"): as tagged
            return node.value
        try:
            return self.scalars.construct_object(node)
        except (yaml.YAMLError, ValueError) as exc:  # an unknown tag, an unparsable number
            reason = " ".join(str(getattr(exc, "problem", None) or exc).split())
            self.report(node, "KB102", f"cannot read value '{node.value}': {reason}")
            return node.value

    def surprise(self, node: yaml.ScalarNode) -> bool:
        """Report a plain value YAML 1.1 reads as something other than the text typed."""
        tag, value = node.tag, node.value
        if tag == _CORE + "bool" and value.lower() not in _BOOL_WORDS:
            self.report(node, "KB107", f"'{value}' would be read as a boolean; "
                        f"write \"{value}\" in quotes if it is text")
        elif tag == _CORE + "timestamp":
            self.report(node, "KB107", f"'{value}' would be read as a date; write \"{value}\" in quotes")
        elif tag == _CORE + "int" and _SURPRISING_INT.fullmatch(value):
            self.report(node, "KB107", f"'{value}' would be read as an octal, hexadecimal or "
                        f"sexagesimal number; write \"{value}\" in quotes")
        else:
            return False
        return True


def size_problem(path: str, size: int) -> Problem | None:
    """The problem of a file of this many bytes, if it is too large (checked before reading it)."""
    if size > MAX_BYTES:
        return Problem(path, 1, 1, "KB105", f"file is {size:,} bytes; the limit is {MAX_BYTES:,}")
    return None


def load_yaml(path: str, raw: bytes) -> tuple[Doc, list[Problem]]:
    """Parse raw bytes of the file at path; return the document and every problem found."""
    doc = Doc(path)
    problems: list[Problem] = []
    too_large = size_problem(path, len(raw))
    if too_large:
        return doc, [too_large]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return doc, [Problem(path, line, col, "KB101", f"byte 0x{raw[exc.start]:02x} is not UTF-8")]
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return doc, [Problem(path, 1, 1, "KB104", "the file has no content")]
    for number, text_line in enumerate(text.splitlines(), 1):
        indent = text_line[: len(text_line) - len(text_line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(Problem(path, number, indent.index("\t") + 1, "KB103",
                                    "tab character in indentation"))
    if problems:
        return doc, problems
    try:
        aliases = [Problem(path, *_mark(ev), "KB102", f"YAML alias '*{ev.anchor}' is not supported; "
                           "write the value out") for ev in yaml.parse(text, Loader=LOADER)
                   if isinstance(ev, yaml.AliasEvent)] if "*" in text else []
        if aliases:  # refused before composing, so that no file can expand exponentially
            return doc, aliases
        node = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(filter(None, [exc.context, exc.problem]))
        return doc, [Problem(path, line, col, "KB102", what or "cannot parse YAML")]
    except yaml.YAMLError as exc:
        return doc, [Problem(path, 1, 1, "KB102", str(exc).splitlines()[0])]
    except RecursionError:
        return doc, [Problem(path, 1, 1, "KB102", "the YAML is nested too deeply to read")]
    if node is None:
        return doc, [Problem(path, 1, 1, "KB104", "the file has no content")]
    try:
        doc.data = _Builder(doc, problems).build(node, ())
    except RecursionError:
        return doc, [Problem(path, 1, 1, "KB102", "the YAML is nested too deeply to read")]
    return doc, problems
