"""Which records each generated page reads, so that a rebuild renders again only the pages whose
records changed (kb.build keeps a page's trace and its output in the build cache, kb.cache).

While a page renders, every read of the model goes through a watched container (a dict or a
list of the model, under a name) and is noted: `(name, key)` for one record, `(name, None)` for a
read of the whole container (iterating it, counting it). The notes are the page's trace, kept
as text, a token's repr per line (`Book.trace`). On the next build, the trace's records are
looked up again as they are now (`Book.digest`): if every one is unchanged, the page would
render the same, because rendering is deterministic and reads nothing else, and its output from
the cache is used. A trace is only ever a list of what to check:
a stale or foreign one can make a page render again, never reuse a wrong output.

What a page reads must therefore be reached through the watched containers: a page's job looks
its subject up by id when it runs, and a value kept for reuse across pages (a finding's block,
say) keeps the reads that made it and notes them again each time it is reused (`Recording`).
The property test (tests/test_deps.py) edits a corpus at random and checks that a warm build
always equals a cold one.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import marshal
import operator
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import repeat
from operator import methodcaller
from typing import Any

from .bib import Reference

Token = tuple[str, Any]  # (container name, key) or (container name, None) for the whole container

_open: list[set[Token]] = []  # the traces being recorded, innermost last


def note(token: Token) -> None:
    if _open:
        _open[-1].add(token)


def note_all(tokens: Iterable[Token]) -> None:
    if _open:
        _open[-1].update(tokens)


class Recording:
    """`with Recording() as r:` notes the reads made inside into r.tokens, and into any recording
    it is nested in (a reused finding's reads belong to the page that shows it)."""

    def __init__(self) -> None:
        self.tokens: frozenset[Token] = frozenset()

    def __enter__(self) -> Recording:
        _open.append(set())
        return self

    def __exit__(self, *exc: object) -> None:
        self.tokens = frozenset(_open.pop())
        note_all(self.tokens)


class WatchedDict(dict):
    """A dict of the model whose reads are noted."""

    name = ""

    def __getitem__(self, key: Any) -> Any:
        note((self.name, key))
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        note((self.name, key))
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        note((self.name, key))
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[Any]:
        note((self.name, None))
        return dict.__iter__(self)

    def __len__(self) -> int:
        note((self.name, None))
        return dict.__len__(self)

    def keys(self):
        note((self.name, None))
        return dict.keys(self)

    def values(self):
        note((self.name, None))
        return dict.values(self)

    def items(self):
        note((self.name, None))
        return dict.items(self)

    def __reduce__(self) -> Any:  # pragma: no cover - never pickled: workers are forked
        raise TypeError("a watched container stays in its process")


class WatchedList(list):
    """A list of the model whose reads are noted (any read is a read of the whole list)."""

    name = ""

    def __iter__(self) -> Iterator[Any]:
        note((self.name, None))
        return list.__iter__(self)

    def __len__(self) -> int:
        note((self.name, None))
        return list.__len__(self)

    def __getitem__(self, index: Any) -> Any:
        note((self.name, None))
        return list.__getitem__(self, index)

    def __contains__(self, item: object) -> bool:
        note((self.name, None))
        return list.__contains__(self, item)

    def __reversed__(self) -> Iterator[Any]:
        note((self.name, None))
        return list.__reversed__(self)


_MISSING = object()


class Book:
    """The watched containers of one build, by name, and what their records are now."""

    def __init__(self) -> None:
        self.containers: dict[str, WatchedDict | WatchedList] = {}
        self._values: dict[str, bytes] = {}  # a trace's line -> what it reads now (`value`)
        self._tokens: dict[str, Token] = {}  # a trace's line -> its token, where known (`trace`)
        self._canon = _Canon()

    def watch(self, name: str, container: dict | list) -> Any:
        """A watched copy of the container (a dict or a list), under a name unique in the build."""
        if name in self.containers:
            raise ValueError(f"two containers named {name!r}")
        watched: WatchedDict | WatchedList = (WatchedDict(container) if isinstance(container, dict)
                                              else WatchedList(container))
        watched.name = name
        self.containers[name] = watched
        return watched

    def value(self, line: str) -> bytes:
        """What a trace's line reads now (`trace`: a token as its repr), as a digest of the line
        and the value; a line that names no token (a key of a kind no repr gives back) reads as
        such, never as what a token read when the trace was made."""
        known = self._values.get(line)
        if known is None:
            token = self._tokens.get(line) or _token_of(line)
            if token is None:
                now = "no such token"
            else:
                name, key = token
                found = self.containers.get(name)
                if found is None:
                    now = "unknown container"
                elif key is None:
                    whole = list(dict.items(found)) if isinstance(found, dict) else list(list.__iter__(found))
                    now = self._canon(whole)
                else:
                    value = dict.get(found, key, _MISSING) if isinstance(found, dict) else _MISSING
                    now = "missing" if value is _MISSING else self._canon(value)
            known = self._values[line] = hashlib.blake2b(f"{line}\n{now}".encode(), digest_size=20).digest()
        return known

    def prime(self) -> None:
        """Name every record the containers hold directly (`_Canon.name_all`), before the traces
        are checked: one class at a time, in C, instead of one record at a time as each is met."""
        for found in self.containers.values():
            self._canon.name_all(dict.values(found) if isinstance(found, dict) else list.__iter__(found))

    def text(self, value: Any) -> str:
        """A value as text that changes whenever the value does (a record: its kind and digest,
        worked out once per build, `_Canon`)."""
        return self._canon(value)

    def trace(self, tokens: Iterable[Token]) -> str:
        """A trace as it is kept: its tokens' reprs, sorted, one per line (a repr holds no line
        break). Kept as one text, a trace is read back as one object, not a tuple per token, and
        its lines are looked up by text (`digest`); the tokens are known here by their lines."""
        lines = {repr(token): token for token in tokens}
        self._tokens.update(lines)
        return "\n".join(sorted(lines))

    def digest(self, trace: str) -> str:
        """One digest of what every line of a trace (`trace`) reads now. Most lines were looked up
        already, for another page: only the others are looked up here, and all are then found in C."""
        lines = trace.split("\n") if trace else []
        values = self._values
        try:
            joined = b"".join(map(values.__getitem__, lines))
        except KeyError:
            for line in set(lines).difference(values):
                self.value(line)
            joined = b"".join(map(values.__getitem__, lines))
        return hashlib.blake2b(joined, digest_size=20).hexdigest()


def _token_of(line: str) -> Token | None:
    """The token a trace's line is the repr of: a container's name and a key (a str, a tuple of
    them, or None); None for a line that is no such repr."""
    name, sep, rest = line[2:].partition("', ")
    if line.startswith("('") and sep and "'" not in name and "\\" not in rest:  # (the common cases, unparsed)
        key: Any = _MISSING
        if rest == "None)":
            key = None
        elif rest.startswith("'") and rest.endswith("')"):
            key = rest[1:-2]
        elif rest.startswith("('") and rest.endswith("'))"):
            key = tuple(rest[2:-3].split("', '"))
        if key is not _MISSING and repr((name, key)) == line:
            return name, key
    try:
        token = ast.literal_eval(line)
        hash(token)  # (a key a dict can hold)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return token if isinstance(token, tuple) and len(token) == 2 and isinstance(token[0], str) else None



class _Canon:
    """A value as text that changes whenever the value does. Dicts, lists and scalars are their
    repr (complete and stable); a record (an object: the model's records are dataclasses) is
    named by its class and the digest of what it holds (`data`), worked out once per build
    however many containers hold it."""

    def __init__(self) -> None:
        self.kept: list[object] = []  # the records named, kept alive (so that no other object takes their id)
        self.names: dict[int, str] = {}  # a record's id -> its text: its class and digest
        self.fields: dict[type, operator.attrgetter] = {}  # a class -> the fields that make its records

    def __call__(self, value: Any) -> str:
        kind = type(value)
        if kind is list or kind is tuple or (kind not in _REPR and isinstance(value, (list, tuple))):
            if value and id(value[0]) in self.names:  # (records named already, such as a compound's
                try:                                   # findings: looked up in C)
                    return "[" + ", ".join(map(self.names.__getitem__, map(id, value))) + "]"
                except KeyError:
                    pass
            return "[" + ", ".join(map(self, value)) + "]"
        if kind in _REPR or isinstance(value, _PLAIN):
            return repr(value)
        known = self.names.get(id(value))
        if known is None:
            self.kept.append(value)
            known = self.names[id(value)] = (f"{type(value).__qualname__}:"
                                             f"{hashlib.blake2b(self.data(value), digest_size=20).hexdigest()}")
        return known

    def name_all(self, values: Iterable[Any]) -> None:
        """Name the records among values that are not named yet, as `__call__` names each, a class
        at a time: their fields in marshal's first format, hashed and named by C calls, with no
        Python frame per record. A class whose fields marshal does not write is left to `__call__`."""
        by_class: dict[type, list[Any]] = {}
        names = self.names
        for value in values:
            kind = type(value)
            if kind not in _REPR and id(value) not in names and (kind in self.fields or _is_record(value)):
                by_class.setdefault(kind, []).append(value)
        for kind, records in by_class.items():
            fields = self.fields.get(kind)
            if fields is None:
                fields = self.fields[kind] = operator.attrgetter(*_fields(records[0]))
            try:
                data = list(map(marshal.dumps, zip(repeat(kind.__qualname__), map(fields, records)), repeat(0)))
            except ValueError:
                continue
            hashed = map(methodcaller("hexdigest"), map(_BLAKE20, data))
            names.update(zip(map(id, records), map(f"{kind.__qualname__}:".__add__, hashed), strict=True))
            self.kept.extend(records)

    def data(self, value: Any) -> bytes:
        """A record as bytes: its class and its fields' values in marshal's first format (plain
        data written as it is, never as a reference to an object seen before, so that equal
        values give equal bytes), or, where a field holds an object, as text (`__call__`)."""
        fields = self.fields.get(type(value))
        if fields is None:
            fields = self.fields[type(value)] = operator.attrgetter(*_fields(value))
        made = (type(value).__qualname__, fields(value))
        try:
            return marshal.dumps(made, 0)
        except ValueError:
            return self(made).encode()


_PLAIN = (dict, str, int, float, bool, type(None))  # values whose repr is complete and stable
_BLAKE20 = partial(hashlib.blake2b, digest_size=20)


def _is_record(value: Any) -> bool:
    return isinstance(value, Reference) or (dataclasses.is_dataclass(value) and not isinstance(value, type))
_REPR = frozenset(_PLAIN)  # (their exact classes, found first)


def _fields(value: Any) -> tuple[str, ...]:
    """The fields that make a record: a dataclass's fields as its repr shows them, and a
    Reference's raw entry (not the names parsed from its fields)."""
    if isinstance(value, Reference):
        return ("key", "entry_type", "fields", "line", "raw")
    if dataclasses.is_dataclass(value):
        return tuple(f.name for f in dataclasses.fields(value) if f.repr)
    raise TypeError(f"cannot tell whether a {type(value).__name__} changed")


