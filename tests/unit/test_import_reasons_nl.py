"""Every reason the spending import can give has Dutch words on the finance page.

Two ways round: the import's source is read and every text in it that could be (part of) a
reason must be found in a Dutch template, so a new English reason fails here the day it is
written; and bad files that produce the reasons are parsed for real, and each reason they give
must come out in Dutch, with every template produced by a file or by the call that raises it.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from litestar.exceptions import ValidationException

from populatie.core.money import parse_euro, to_cents
from populatie.spending import personal_data
from populatie.spending.controllers import upload_name
from populatie.spending.parsing import ALL_COLUMNS, SpendingFileError, parse_spending
from populatie.web.import_reasons_nl import (
    COLUMN_MEANINGS,
    COMMA_HINTS,
    FOUND_KINDS,
    REASONS,
    UNKNOWN,
    ReasonTemplate,
    dutch_reason,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "populatie"

#: Where the import's reasons are written: a module, and the functions or names in it that
#: build reasons (None: the whole module).
SOURCES: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("spending/parsing.py", None),
    ("spending/rules.py", None),
    ("spending/arrow_reader.py", None),
    ("spending/arrow_copy.py", None),
    ("spending/personal_data.py", None),
    ("spending/coded.py", None),
    ("spending/detail.py", None),
    ("spending/service.py", None),
    ("spending/controllers.py", ("upload_name",)),
    ("core/money.py", ("parse_euro", "to_cents")),
    ("api/spending.py", ("UPLOAD_COMMA_HINT",)),
)
#: Texts in those modules that are no reason: SQL, the CLI's summary line of an import, and
#: the message of the parser's own exception (the service lists its errors instead).
NOT_REASONS = (
    re.compile(r"(INSERT|SELECT|COPY|CREATE|DROP) |import_id, |\{\}, s\.month_id"),
    re.compile(r"\{\}: (already imported|imported \{\} rows) "),
    re.compile(r"\{\} errors"),
)


def _text(node: ast.AST) -> str | None:
    """A string literal, an f-string with ``{}`` for each of its values, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _texts(tree: ast.AST) -> list[tuple[int, str]]:
    """The prose of ``tree``: its strings with words and spaces, docstrings left out."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)  # the f-string's parts: taken whole
    found = []
    for node in ast.walk(tree):
        text = _text(node)
        if id(node) in skip or text is None:
            continue
        if " " in text and re.search(r"[A-Za-z]{2}", text):
            found.append((getattr(node, "lineno", 0), text))
    return found


def _parts(module: ast.Module, names: tuple[str, ...] | None) -> list[ast.AST]:
    if names is None:
        return [module]
    parts: list[ast.AST] = [
        node
        for node in module.body
        if (isinstance(node, ast.FunctionDef) and node.name in names)
        or (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and any(isinstance(t, ast.Name) and t.id in names for t in _targets(node))
        )
    ]
    assert len(parts) == len(names), f"not all of {names} found"
    return parts


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _covered(text: str) -> bool:
    """Whether ``text`` (``{}`` where the source puts a value) is part of a Dutch template's
    English, or one of the English words the templates translate."""
    if text in {*COLUMN_MEANINGS, *FOUND_KINDS, *COMMA_HINTS}:
        return True
    shape = ".*".join(re.escape(piece) for piece in text.split("{}"))
    return any(re.search(shape, re.sub(r"\{\w+\}", "{}", t.english), re.DOTALL) for t in REASONS)


def test_every_reason_text_in_the_import_source_has_dutch_words() -> None:
    missing = []
    for relative, names in SOURCES:
        module = ast.parse((SRC / relative).read_text(encoding="utf-8"))
        for part in _parts(module, names):
            for line, text in _texts(part):
                if any(p.search(text) for p in NOT_REASONS):
                    continue
                if not _covered(text):
                    missing.append(f"{relative}:{line}: {text!r}")
    assert not missing, "reasons with no Dutch template in web/import_reasons_nl.py:\n" + "\n".join(
        missing
    )


def test_the_source_reader_sees_a_new_reason() -> None:
    """The check above can fail: a reason added to a parser is found and has no template."""
    new = ast.parse('def check(v):\n    return f"not a colour: {v} is neither red nor blue"\n')
    texts = [text for _, text in _texts(new)]
    assert texts == ["not a colour: {} is neither red nor blue"]
    assert not _covered(texts[0])
    assert _covered("duplicate invoice reference: also on line {}")


def test_the_personal_data_words_all_have_dutch() -> None:
    assert set(personal_data.KINDS.values()) == set(FOUND_KINDS)
    meanings = {personal_data.column_kind(name) for name in ("BSN", "naam", "postcode", "email")}
    assert meanings <= set(COLUMN_MEANINGS)


# --- the reasons as the import gives them ---------------------------------------------------

SEGMENTS = {"A": (2020, 2026), "B": (2020, 2024), "N": (2027, None)}
GOOD = {
    "booking_date": "2025-03-14",
    "municipality": "GM0518",
    "district": "",
    "reference": "H10-1",
    "domain": "specialist",
    "provider": "Stichting Jeugdformaat",
    "amount": "12.50",
    "invoice_reference": "",
    "description": "",
}
BAD_ROWS: tuple[dict[str, str], ...] = (
    {"booking_date": "14-03-2025"},
    {"booking_date": "2025-02-30"},
    {"booking_date": "1999-12-31"},
    {"municipality": "G518"},
    {"municipality": "GM9999"},
    {"district": "W51"},
    {"district": "WK060311"},
    {"domain": "nursing"},
    {"provider": " "},
    {"reference": "R" * 65},
    {"invoice_reference": "-"},  # filled in below: empty
    {"invoice_reference": "DUP"},
    {"invoice_reference": "DUP"},
    {"provider": "mail j.jansen@example.nl of 06-12345678"},
    {"description": "kop\x01staart"},
    {"reference": "H10\t1"},
    {"amount": "abc"},
    {"amount": "12,50"},
    {"amount": "0.00"},
    {"amount": "2000000000.00"},
    {"amount": "1.505"},
    {"segment": "Z"},
    {"segment": "N"},
    {"segment": "B"},
    {"product_code": "4", "quantity": "1"},
    {"product_code": "45A12", "quantity": "abc"},
    {"product_code": "45A12", "quantity": "0"},
    {"product_code": "45A12", "quantity": "99999999"},
    {"product_code": "45A12", "quantity": "1", "unit": "litre"},
    {"product_code": "45A12", "stage": "middle", "assignment_reference": "A1"},
    {"product_code": "45A12", "stage": "start", "assignment_reference": "bad-ref!"},
    {"product_code": "45A12", "stage": "start", "assignment_reference": "111222333"},
    {"quantity": "2"},
    {"unit": "hour"},
    {"stage": "start"},
)


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...] = ALL_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def _reasons(data: bytes, segments: dict[str, tuple[int, int | None]] = SEGMENTS) -> list[str]:
    with pytest.raises(SpendingFileError) as caught:
        parse_spending(data, decimal_comma=False, municipalities=["GM0518"], segments=segments)
    return [e.reason for e in caught.value.errors]


def _bad_files() -> list[str]:
    rows = []
    for number, bad in enumerate(BAD_ROWS):
        row = {**GOOD, "invoice_reference": f"I-{number}", **bad}
        if bad.get("invoice_reference") == "-":
            row["invoice_reference"] = ""
        rows.append(row)
    header = ("naam", "colour", "amount", "amount", "booking_date")
    return [
        *_reasons(_csv(rows)),
        *_reasons(_csv([{**GOOD, "segment": "A"}]), segments={}),
        *_reasons(b"booking_date\n\xff\n"),
        *_reasons(b""),
        *_reasons(_csv([])),
        *_reasons(_csv([GOOD], header)),
        *_reasons(_csv([GOOD]) + b"2025-01-01,GM0518\n"),
        *_reasons(_csv([GOOD]) + b'2025-01-01,"GM0518"x,,,,,,,\n'),
    ]


def _raised(call: object, *args: object) -> str:
    assert callable(call)
    try:
        call(*args)
    except ValidationException as exc:
        return str(exc.detail)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(f"{call} raised nothing")


def _called() -> list[str]:
    """The reasons no file brings about on its own: the file name, the money rules' guards,
    and the service's (its texts as written there; the source test keeps them in step)."""
    return [
        _raised(upload_name, ".."),
        _raised(upload_name, "x" * 300 + ".csv"),
        _raised(upload_name, "a\x07.csv"),
        _raised(parse_euro, 5),
        _raised(to_cents, Decimal("NaN")),
        _raised(to_cents, Decimal("1.001")),
        "duplicate invoice reference: imported before (jan.csv line 7)",
        "jan.csv is rejected: 1 error, nothing was imported",
        "jan.csv is rejected: 3 errors, nothing was imported",
        "no municipalities of record: run `populatie load` first",
        "jan.csv: the database refused the import: UNIQUE constraint failed",
        "rows got ids up to 9, not the block 1..10",
    ]


def _template_of(reason: str) -> ReasonTemplate:
    for template in REASONS:
        if template.pattern().fullmatch(reason):
            return template
    raise AssertionError(f"no template for {reason!r}")


def test_every_reason_a_bad_file_gives_is_shown_in_dutch() -> None:
    reasons = _bad_files() + _called()
    unknown = [r for r in reasons if not dutch_reason(r).known]
    assert not unknown
    hit = {_template_of(r).english for r in reasons}
    assert hit == {t.english for t in REASONS}, "templates no reason produced"
    english_words = re.compile(r"\b(the|not|are|with|must|holds|only|should)\b")
    for reason in reasons:
        shown = dutch_reason(reason)
        assert not english_words.search(shown.text), (reason, shown.text)


@pytest.mark.parametrize(
    ("reason", "text", "english"),
    [
        ("no such date", "deze datum bestaat niet", ""),
        ("district WK060311 is not in GM0518", "wijk WK060311 ligt niet in GM0518", ""),
        (
            "personal data is not accepted: the provider holds an e-mail address and a Dutch "
            "phone number (not repeated here); remove it from the export",
            "persoonsgegevens worden niet aangenomen: de kolom provider bevat een e-mailadres en "
            "een Nederlands telefoonnummer (hier niet herhaald); haal dat uit de export",
            "",
        ),
        (
            "personal data is not accepted: the column looks like a name; remove it from the "
            "export",
            "persoonsgegevens worden niet aangenomen: de kolom lijkt een naam te bevatten; haal "
            "hem uit de export",
            "",
        ),
        (
            "'12,50' is not a euro amount (expected e.g. '1234.56'); for Dutch amounts (1.234,56) "
            "upload with the form field decimal_comma=true",
            "'12,50' is geen eurobedrag (verwacht bijvoorbeeld '1234.56'); voor Nederlandse "
            "bedragen (1.234,56): vink ‘Bedragen met een decimale komma (1.234,56)’ aan",
            "",
        ),
        (
            "segment N applies from 2027 on, not in 2025",
            "segment N geldt vanaf 2027, niet in 2025",
            "",
        ),
        (
            "not a readable CSV file: ',' expected after '\"'",
            "geen leesbaar CSV-bestand; de CSV-lezer meldt:",
            "',' expected after '\"'",
        ),
    ],
)
def test_a_reason_in_dutch(reason: str, text: str, english: str) -> None:
    assert dutch_reason(reason) == type(dutch_reason(reason))(text, english)


@pytest.mark.parametrize(
    "reason",
    [
        "the moon is made of cheese",
        # a known template, but words inside it that have no Dutch yet
        "personal data is not accepted: the column looks like a pet's name; remove it from the "
        "export",
        "personal data is not accepted: the provider holds a licence plate (not repeated here); "
        "remove it from the export",
        "'x' is not a euro amount (expected e.g. '1'); for Dutch amounts (1.234,56) ask someone",
    ],
)
def test_a_reason_without_dutch_words_says_so_and_keeps_the_english(reason: str) -> None:
    shown = dutch_reason(reason)
    assert (shown.text, shown.english, shown.known) == (UNKNOWN, reason, False)
