"""Which records each generated page reads, so that a rebuild renders again only the pages whose
records changed (kb.build keeps a page's trace and its output in the build cache, kb.cache).

While a page renders, every read of the model goes through a watched container (a dict or a
list of the model, under a name) and is noted: `(name, key)` for one record, `(name, None)` for a
read of the whole container (iterating it, counting it). The notes are the page's trace. On the
next build, the trace's records are looked up again as they are now (`Book.digest`): if every
one is unchanged, the page would render the same, because rendering is deterministic and reads
nothing else, and its output from the cache is used. A trace is only ever a list of what to check:
a stale or foreign one can make a page render again, never reuse a wrong output.

What a page reads must therefore be reached through the watched containers: a page's job looks
its subject up by id when it runs, and a value kept for reuse across pages (a finding's block,
say) keeps the reads that made it and notes them again each time it is reused (`Recording`).
The property test (tests/test_deps.py) edits a corpus at random and checks that a warm build
always equals a cold one.
"""
from __future__ import annotations

import dataclasses
import hashlib
import marshal
import operator
from collections.abc import Collection, Iterable, Iterator
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
        self._values: dict[Token, bytes] = {}
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

    def value(self, token: Token) -> bytes:
        """What a token reads now, as a digest of the token and its value."""
        known = self._values.get(token)
        if known is None:
            name, key = token
            found = self.containers.get(name)
            if found is None:
                now = "unknown container"
            elif key is None:
                now = self._canon(list(dict.items(found)) if isinstance(found, dict) else list(list.__iter__(found)))
            else:
                value = dict.get(found, key, _MISSING) if isinstance(found, dict) else _MISSING
                now = "missing" if value is _MISSING else self._canon(value)
            known = self._values[token] = hashlib.blake2b(f"{token!r}\n{now}".encode(), digest_size=20).digest()
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

    def digest(self, tokens: Collection[Token]) -> str:
        """One digest of what every token reads now (the tokens in their order: see `order`).
        Most tokens of a trace were looked up already, for another page: only the others are
        looked up here, and all are then found in C."""
        values = self._values
        try:
            joined = b"".join(map(values.__getitem__, tokens))
        except KeyError:
            for token in set(tokens).difference(values):
                self.value(token)
            joined = b"".join(map(values.__getitem__, tokens))
        return hashlib.blake2b(joined, digest_size=20).hexdigest()


def order(token: Token) -> str:
    """A token's place in a trace, which is kept sorted."""
    return repr(token)


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


def trace_of(value: Any) -> tuple[Token, ...] | None:
    """A trace as kb.cache kept it; None if it is not one."""
    if not (isinstance(value, tuple) and all(isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], str)
                                             for t in value)):
        return None
    return value
