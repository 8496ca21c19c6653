r"""Where each key of a TOML text is: the line of every table, key and array element.

``tomllib`` parses a document into plain values and forgets positions, so an error found later,
in a value, could not say its line. :func:`key_lines` scans the same text once more and maps
every *path* (the keys and array indexes leading to a value, as in
``("fees", "rules", 1, "rate")``) to the line where that value is written: a key's line, an
array element's line, a table header's line. Arrays of tables are counted like arrays, so
``[[fees.rules]]`` headers give ``("fees", "rules", 0)``, ``("fees", "rules", 1)``, ...

The scan assumes text that ``tomllib`` has already accepted: it skips values without checking
them, and only follows the structure. It is best effort: :func:`line_of` answers the line of the
nearest enclosing path it knows, or None.

```pycon
>>> lines = key_lines('[limits]\ncurrency = "CNY"\n\n[[limits.tiers]]\nname = "a"\n')
>>> lines[("limits", "tiers", 0, "name")], line_of(lines, ("limits", "tiers", 0, "daily"))
(5, 4)

```
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Mapping
from typing import Final, TypeAlias

__all__ = ["KeyPath", "display_key", "key_lines", "line_of"]

KeyPath: TypeAlias = tuple[str | int, ...]
"""The keys and array indexes from the document's root to one value."""

_BARE: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_SPACE: Final = " \t"
_ESCAPES: Final = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_SCALAR_END: Final = frozenset(",]}#\r\n")


def display_key(path: KeyPath) -> str:
    """The path as a reader writes it: ``fees.rules[1].brackets[0].rate``.

    ```pycon
    >>> display_key(("authentication", "tier_minimum_kinds", "real name", 0))
    'authentication.tier_minimum_kinds."real name"[0]'

    ```
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            written = part if part and _BARE.issuperset(part) else _quoted(part)
            text += f".{written}" if text else written
    return text


def _quoted(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, else of the nearest enclosing path found; None if none is."""
    for end in range(len(path), 0, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map every path of ``text`` (valid TOML) to its 1-based line; best effort, never raises."""
    scanner = _Scanner(text)
    with contextlib.suppress(IndexError, ValueError):  # text tomllib refuses: keep what was found
        scanner.document()
    starts = [index for index, char in enumerate(text) if char == "\n"]
    return {path: bisect.bisect_left(starts, at) + 1 for path, at in scanner.found.items()}


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.found: dict[KeyPath, int] = {}  # path -> offset in the text
        self.arrays: dict[KeyPath, int] = {}  # array-of-tables path -> elements so far

    def document(self) -> None:
        table: KeyPath = ()
        while self._skip_blank():
            if self.text.startswith("[[", self.at):
                table = self._header(array=True)
            elif self.text[self.at] == "[":
                table = self._header(array=False)
            else:
                self._pair(table)

    def _skip_blank(self) -> bool:
        """Skip spaces, newlines and comments; False at the end of the text."""
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            if char in " \t\r\n":
                self.at += 1
            elif char == "#":
                end = text.find("\n", self.at)
                self.at = len(text) if end < 0 else end
            else:
                return True
        return False

    def _skip_space(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in _SPACE:
            self.at += 1

    def _header(self, *, array: bool) -> KeyPath:
        start = self.at
        self.at += 2 if array else 1
        keys = self._keys()
        self._skip_space()
        self.at += 2 if array else 1
        path: KeyPath = ()
        for index, key in enumerate(keys):
            path = (*path, key)
            self.found.setdefault(path, start)
            if index < len(keys) - 1 and path in self.arrays:
                path = (*path, self.arrays[path] - 1)
        if array:
            count = self.arrays.get(path, 0)
            self.arrays[path] = count + 1
            path = (*path, count)
        self.found.setdefault(path, start)
        return path

    def _keys(self) -> list[str]:
        """A dotted key: ``a."b.c".d`` gives ``["a", "b.c", "d"]``."""
        keys = []
        while True:
            self._skip_space()
            keys.append(self._key())
            self._skip_space()
            if self.text[self.at] != ".":
                return keys
            self.at += 1

    def _key(self) -> str:
        text, start = self.text, self.at
        if text[start] == '"':
            return self._basic_string()
        if text[start] == "'":
            end = text.index("'", start + 1)
            self.at = end + 1
            return text[start + 1 : end]
        while self.at < len(text) and text[self.at] in _BARE:
            self.at += 1
        if self.at == start:  # pragma: no cover  # text tomllib accepted always has a key here
            raise ValueError("no key here")
        return text[start : self.at]

    def _basic_string(self) -> str:
        text = self.text
        self.at += 1
        chars = []
        while text[self.at] != '"':
            char = text[self.at]
            if char == "\\":
                code = text[self.at + 1]
                if code in "uU":
                    width = 4 if code == "u" else 8
                    chars.append(chr(int(text[self.at + 2 : self.at + 2 + width], 16)))
                    self.at += 2 + width
                    continue
                chars.append(_ESCAPES.get(code, code))
                self.at += 2
                continue
            chars.append(char)
            self.at += 1
        self.at += 1
        return "".join(chars)

    def _pair(self, table: KeyPath) -> None:
        start = self.at
        path = table
        for key in self._keys():
            path = (*path, key)
            self.found.setdefault(path, start)
        self._skip_space()
        self.at += 1  # the "="
        self._skip_space()
        self._value(path)

    def _value(self, path: KeyPath) -> None:
        text = self.text
        char = text[self.at]
        if text.startswith(('"""', "'''"), self.at):
            quotes = text[self.at : self.at + 3]
            end = self.at + 3
            while True:
                end = text.index(quotes, end)
                if quotes[0] == '"' and _escaped(text, end):
                    end += 1
                    continue
                break
            while text.startswith(quotes[0], end + 3):  # up to two quotes may end the content
                end += 1
            self.at = end + 3
        elif char == '"':
            self._basic_string()
        elif char == "'":
            self.at = text.index("'", self.at + 1) + 1
        elif char == "[":
            self._array(path)
        elif char == "{":
            self._inline_table(path)
        else:
            while self.at < len(text) and text[self.at] not in _SCALAR_END:
                self.at += 1

    def _array(self, path: KeyPath) -> None:
        self.at += 1
        index = 0
        while True:
            self._skip_blank()
            if self.text[self.at] == "]":
                self.at += 1
                return
            self.found.setdefault((*path, index), self.at)
            self._value((*path, index))
            self._skip_blank()
            if self.text[self.at] == ",":
                self.at += 1
                index += 1

    def _inline_table(self, path: KeyPath) -> None:
        self.at += 1
        while True:
            self._skip_space()
            if self.text[self.at] == "}":
                self.at += 1
                return
            self._pair(path)
            self._skip_space()
            if self.text[self.at] == ",":
                self.at += 1


def _escaped(text: str, quote: int) -> bool:
    """True when the quote at ``quote`` follows an odd number of backslashes."""
    slashes = 0
    while text[quote - 1 - slashes] == "\\":
        slashes += 1
    return slashes % 2 == 1
