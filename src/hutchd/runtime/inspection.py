"""What the decrypting proxy does to the bodies it holds (security.pii and security.transformations):
find PII, redact it into reversible tokens, put the tokens back (rehydration), and rewrite text by
regex. Pure and standard-library only: mitm_addon.py imports it under mitmproxy's own Python, and the
unit tests without mitmproxy.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
PII_TYPES = ("ssn", "credit_card", "email", "phone_number", "api_key", "ip_address")
_PATTERNS = {  # in priority order: an earlier type's match wins where two overlap
    "api_key": re.compile(
        r"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|sk_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}"
        r"|gh[pousr]_[A-Za-z0-9]{36,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})"
    ),
    "credit_card": re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"),
    "ssn": re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"),
    "email": re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    "ip_address": re.compile(
        r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
    ),
    "phone_number": re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]\d{3}[ .-]\d{4}(?!\w)"),
}
TOKEN = re.compile(r"\[(?:SSN|CREDIT_CARD|EMAIL|PHONE_NUMBER|API_KEY|IP_ADDRESS)_[0-9a-f]{12}\]")


def luhn_valid(number: str) -> bool:
    """Whether the digits of `number` pass the Luhn check (card numbers do; most other runs of digits not)."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


@dataclass(frozen=True)
class Finding:
    type: str
    start: int
    end: int


def find_pii(text: str, types: Iterable[str]) -> list[Finding]:
    """The PII of the given types in `text`, in order, none overlapping (a card number failing Luhn is none)."""
    wanted = set(types)
    found: list[Finding] = []
    for kind, pattern in _PATTERNS.items():
        if kind not in wanted:
            continue
        for m in pattern.finditer(text):
            if kind == "credit_card" and not luhn_valid(m.group()):
                continue
            if any(m.start() < f.end and f.start < m.end() for f in found):
                continue
            found.append(Finding(kind, m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


@dataclass
class Vault:
    """One sandbox's reversible tokens: the same value always gets the same token (a keyed hash, so a
    token says nothing about its value), and only this vault turns it back."""

    key: bytes
    values: dict[str, str] = field(default_factory=dict)  # token -> value

    def redact(self, text: str, findings: list[Finding], *, remember: bool = True) -> str:
        """Tokens in place of the findings; only `remember`ed ones are rehydrated later (the
        sandbox's own values, not those a response brought)."""
        out, last = [], 0
        for f in findings:
            value = text[f.start : f.end]
            digest = hmac.new(self.key, f"{f.type}\0{value}".encode(), hashlib.sha256).hexdigest()[:12]
            token = f"[{f.type.upper()}_{digest}]"
            if remember:
                self.values[token] = value
            out += [text[last : f.start], token]
            last = f.end
        return "".join(out) + text[last:]

    def rehydrate(self, text: str) -> str:
        return TOKEN.sub(lambda m: self.values.get(m.group(), m.group()), text)


def host_matches(name: str, domains: Iterable[str]) -> bool:
    """`name` is one of `domains` (`*.example.com`: the names below it)."""
    return any(name == d or (d.startswith("*.") and name.endswith(d[1:])) for d in domains)


@dataclass(frozen=True)
class Rule:
    """One of security.transformations: replace what `pattern` matches in bodies going `direction`."""

    pattern: re.Pattern[str]
    replacement: str
    direction: str  # "request" or "response"
    domains: tuple[str, ...] = ()  # empty: every host

    def applies(self, direction: str, host: str) -> bool:
        return direction == self.direction and (not self.domains or host_matches(host, self.domains))


def transform(text: str, rules: Iterable[Rule], direction: str, host: str) -> tuple[str, int]:
    """`text` after the rules for this direction and host; and how many replacements they made."""
    count = 0
    for rule in rules:
        if rule.applies(direction, host):
            text, n = rule.pattern.subn(rule.replacement, text)
            count += n
    return text, count


# Prompt injection: phrases that try to take over a model that reads the text, each with how sure a
# match alone makes us (0 to 1). Several matches add up: score = 1 - prod(1 - weight).
_INJECTION = [
    (
        0.9,
        r"\b(?:ignore|disregard|skip)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?"
        r"(?:previous|prior|above|earlier|preceding)\s+(?:instructions|prompts?|rules|directions)",
    ),
    (0.8, r"\bforget\s+(?:everything|all|your)\s+(?:you\s+(?:were|have\s+been)\s+told|instructions|previous|rules)"),
    (0.85, r"\byou\s+are\s+now\s+(?:in\s+)?(?:DAN|developer\s+mode|jailbroken|unrestricted|unfiltered)\b"),
    (
        0.85,
        r"\b(?:reveal|print|show|output|repeat|leak)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:system\s+prompt|initial\s+instructions|hidden\s+instructions)",
    ),
    (
        0.8,
        r"\boverride\s+(?:your|the|all)\s+(?:safety|security|content)\s+(?:policy|policies|filters?|guidelines|rules)",
    ),
    (
        0.8,
        r"\b(?:send|exfiltrate|upload|post|email)\s+(?:the\s+|all\s+|your\s+)?"
        r"(?:secrets|credentials|api\s+keys|passwords|tokens|environment\s+variables)\s+to\b",
    ),
    (0.75, r"\bpretend\s+(?:that\s+)?you\s+(?:have|had)\s+no\s+(?:restrictions|rules|limits|guidelines)"),
    (0.7, r"\bact\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+)?(?:unrestricted|unfiltered|uncensored)\b"),
    (0.6, r"<\|im_start\|>|<\|system\|>|\[/?INST\]|<<SYS>>"),
    (0.6, r"\bnew\s+(?:system\s+)?instructions?\s*:"),
    (0.5, r"\bdo\s+not\s+(?:tell|inform|alert)\s+the\s+user\b"),
]
INJECTION_PATTERNS = [(w, re.compile(p, re.IGNORECASE)) for w, p in _INJECTION]
SENSITIVITY = {"low": 0.9, "medium": 0.7, "high": 0.5}  # the score a text needs, by declaw's sensitivity


def injection_score(text: str) -> float:
    """How likely `text` carries a prompt injection, from 0 (no known pattern) to 1."""
    miss = 1.0
    for weight, pattern in INJECTION_PATTERNS:
        if pattern.search(text):
            miss *= 1 - weight
    return round(1 - miss, 4)
