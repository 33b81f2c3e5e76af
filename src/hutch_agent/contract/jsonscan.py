"""Two scans of JSON that must not recurse: nesting depth before parsing (json.loads recurses, and
100 000 levels raise RecursionError), and where a lone surrogate sits after parsing."""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Strings (whose brackets do not count) and brackets, found by the regex engine in C.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


def check_depth(raw: bytes, limit: int) -> int | None:
    """None if `raw` nests at most `limit` arrays/objects deep, else the depth it reached."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return None  # cannot be deeper than its number of openers
    depth = 0
    for match in _TOKENS.finditer(raw):
        first = raw[match.start()]
        if first in _OPEN:
            depth += 1
            if depth > limit:
                return depth
        elif first != 0x22:  # a closer (a string starts with ")
            depth -= 1
    return None


def _lone(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def lone_surrogate_at(value: Any) -> str | None:
    """The dotted path of the first key or string holding a lone surrogate, or None."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _lone(item):
                return path
        elif isinstance(item, dict):
            for key, sub in item.items():
                sub_path = f"{path}.{key}" if path else key
                if _lone(key):
                    return (path + "." if path else "") + str(key).encode("utf-8", "backslashreplace").decode()
                stack.append((sub_path, sub))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", sub) for i, sub in enumerate(item))
    return None
