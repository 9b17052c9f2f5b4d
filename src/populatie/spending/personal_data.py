"""Recognise personal data in a spending file: pure functions over header names and texts.

No personal data about children or families is accepted, so it is refused at the door rather
than cleaned up afterwards. Two rules, because two kinds of field need different ones:

* **Free text** (``provider``, ``description``) is checked by value: a nine-digit number that
  passes the BSN eleven-test (written with or without dots, spaces or dashes), an e-mail
  address, a Dutch phone number, or a full date (day, month and year: a date of birth looks
  exactly like any other date, and a booking has its own date column).
* **References** (``reference``, ``invoice_reference``) are checked by column name only: a
  nine-digit invoice or assignment number is ordinary, and about one random nine-digit number
  in eleven passes the eleven-test, so a value check there would refuse honest files. A column
  whose header names personal data (``bsn``, ``naam client``, ``geboortedatum``, ``email`` …)
  is refused whatever it holds.

A finding never carries the text it was found in: :func:`mask` hides the matched part, so an
error message or an errors file does not repeat the personal data it refuses.

The texts are checked together: :func:`find_in` joins the distinct values into one string and
scans it once for each of three cheap marks (a written number, a year, an ``@``); the precise
patterns run only on what those find, since most of a description is words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "KINDS",
    "Finding",
    "column_kind",
    "elf_proof",
    "find",
    "find_in",
    "mask",
]

#: What each kind of finding means, in the words an error message uses.
KINDS: dict[str, str] = {
    "bsn": "a citizen service number (BSN: nine digits that pass the eleven-test)",
    "email": "an e-mail address",
    "phone": "a Dutch phone number",
    "date": "a full date (day, month and year), which may be a date of birth",
}

# Header names that mean personal data, matched on the name lower-cased with only letters and
# digits kept (so "Naam cliënt", "naam_client" and "NAAMCLIENT" are one name).
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bsn", "a citizen service number (BSN)"),
    ("burgerservice", "a citizen service number (BSN)"),
    ("sofi", "a citizen service number (sofinummer)"),
    ("client", "data about a client"),
    ("naam", "a name"),
    ("name", "a name"),
    ("birth", "a birth date"),
    ("geboorte", "a birth date"),
    ("dob", "a birth date"),
    ("adres", "an address"),
    ("address", "an address"),
    ("postcode", "an address (postcode)"),
    ("zipcode", "an address (postcode)"),
    ("telefoon", "a phone number"),
    ("phone", "a phone number"),
    ("mobiel", "a phone number"),
    ("mobile", "a phone number"),
    ("email", "an e-mail address"),
    ("mail", "an e-mail address"),
)

_SEP = r"[ .\-]"
# Nine digits, each pair at most one separator apart, not part of a longer number.
_BSN = re.compile(rf"(?<!\d)(?<!\d{_SEP})\d(?:{_SEP}?\d){{8}}(?!\d)(?!{_SEP}\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A run that could be a phone number; :func:`_is_phone` decides on its digits.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ().\-]{7,18}\d(?!\d)")
# Month names and their abbreviations, Dutch and English.
_MONTH_WORDS = frozenset({
    "jan", "januari", "january", "feb", "februari", "february", "maart", "mrt", "mar", "march",
    "apr", "april", "mei", "may", "jun", "juni", "june", "jul", "juli", "july", "aug",
    "augustus", "august", "sep", "sept", "september", "okt", "oct", "oktober", "october",
    "nov", "november", "dec", "december",
})  # fmt: skip
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d\d"
_NUMERIC_DATE = re.compile(
    rf"(?<!\d)(?:{_YEAR}([-/.]){_MONTH}\1{_DAY}|{_DAY}([-/.]){_MONTH}\2{_YEAR})(?!\d)"
)  # 2014-03-12; 12-03-2014, 12/03/2014, 12.03.2014
_YEAR_ONLY = re.compile(rf"{_YEAR}(?!\d)")
# Where a number is written (digits with the separators people use): the precise patterns above
# only run on these runs, which the regex engine finds quickly because they start with a digit.
_RUN = re.compile(r"[+0-9(][\d .\-/()]{4,}\d")


@dataclass(frozen=True)
class Finding:
    """Personal data of ``kind`` (a key of :data:`KINDS`) at ``start:end`` of a text."""

    kind: str
    start: int
    end: int


def column_kind(name: str) -> str | None:
    """What personal data a header name announces, or None for an ordinary name."""
    squashed = re.sub(r"[^a-z0-9]", "", name.lower().replace("ë", "e"))
    for needle, meaning in _COLUMNS:
        if needle in squashed:
            return meaning
    return None


def elf_proof(digits: str) -> bool:
    """The BSN eleven-test: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a positive multiple of 11."""
    total = sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])
    return total > 0 and total % 11 == 0


def _is_phone(text: str) -> bool:
    """Dutch: 0 and nine digits (the first not 0), or +31 / 0031 and those nine digits (a
    "(0)" between them allowed)."""
    digits = re.sub(r"\D", "", text)
    international = text.startswith(("+", "00"))
    if international:
        digits = digits.removeprefix("00")
        if not digits.startswith("31"):
            return False
        digits = digits[2:]
        if "(0)" in text and digits.startswith("0"):
            digits = digits[1:]
        return len(digits) == 9 and digits[0] != "0"
    return len(digits) == 10 and digits[0] == "0" and digits[1] != "0"


def _scan(text: str) -> list[Finding]:
    found: list[Finding] = []
    for at in (m.start() for m in re.finditer("@", text)):
        lo = max(0, at - 64)
        for m in _EMAIL.finditer(text, lo, at + 256):
            if m.start() <= at < m.end():
                found.append(Finding("email", m.start(), m.end()))
                break
    for run in _RUN.finditer(text):
        found += _in_run(run.group(), run.start())
    for year in _YEAR_ONLY.finditer(text):
        start = _named_date_start(text, year.start())
        if start is not None:
            found.append(Finding("date", start, year.end()))
    return sorted(set(found), key=lambda f: (f.start, f.end, f.kind))


def _named_date_start(text: str, year_at: int) -> int | None:
    """Where a date with the month in words ends in the year at ``year_at`` (12 maart 2014,
    12 mrt. 2014, March 12, 2014) starts; None if the words before the year are no such date.
    Plain string work on the two words before the year: a year is common in descriptions, and
    this runs for every one."""
    lo = max(0, year_at - 32)
    before = text[lo:year_at].rsplit("\x00", 1)[-1]
    if not before[-1:].isspace():
        return None
    words = before.replace(",", " ").split()
    if len(words) < 2:
        return None
    first, second = words[-2].rstrip("."), words[-1].rstrip(".")
    if second.lower() in _MONTH_WORDS:
        day = first  # 12 maart 2014
    elif first.lower() in _MONTH_WORDS:
        day = second  # March 12, 2014
    else:
        return None
    if not (day.isdigit() and 1 <= int(day) <= 31):
        return None
    return text.rfind(words[-2], lo, year_at)


def _in_run(run: str, offset: int) -> list[Finding]:
    """BSNs, phone numbers and numeric dates in one written number."""
    found = [
        Finding("bsn", offset + m.start(), offset + m.end())
        for m in _BSN.finditer(run)
        if elf_proof(re.sub(r"\D", "", m.group()))
    ]
    found += [
        Finding("date", offset + m.start(), offset + m.end()) for m in _NUMERIC_DATE.finditer(run)
    ]
    for m in _PHONE.finditer(run):
        length = _phone_length(m.group())
        if length:
            found.append(Finding("phone", offset + m.start(), offset + m.start() + length))
    return found


def _phone_length(run: str) -> int:
    """The length of the longest phone number that ``run`` starts with (0: none). A run may
    carry a number written after it ("06 1234 5678 2025"), so shorter prefixes ending before a
    space are tried too."""
    ends = [len(run)] + [i for i in range(len(run) - 1, 0, -1) if run[i] == " "]
    for end in ends:
        if _is_phone(run[:end]):
            return end
    return 0


def find(text: str) -> list[Finding]:
    """Every piece of personal data in one free text, in order of position."""
    return _scan(text)


def find_in(values: Sequence[str]) -> dict[int, list[Finding]]:
    """The findings of every value that holds personal data, by its index in ``values``.

    The values are scanned as one text (joined by NUL, which no accepted value holds and no
    pattern matches), so the cost is a few passes of the regex engine, not a call per value.
    """
    if not values:
        return {}
    joined = "\x00".join(values)
    starts = [0, *accumulate(len(v) + 1 for v in values)]
    result: dict[int, list[Finding]] = {}
    index = 0
    for finding in _scan(joined):
        while starts[index + 1] <= finding.start:
            index += 1
        offset = starts[index]
        result.setdefault(index, []).append(
            Finding(finding.kind, finding.start - offset, finding.end - offset)
        )
    return result


def mask(text: str, findings: Sequence[Finding]) -> str:
    """``text`` with every letter and digit of each finding replaced by ``•``."""
    hidden = list(text)
    for f in findings:
        for i in range(f.start, f.end):
            if hidden[i].isalnum():
                hidden[i] = "•"
    return "".join(hidden)
