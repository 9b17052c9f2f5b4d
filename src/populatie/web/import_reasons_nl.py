"""The spending import's reasons in Dutch, for the finance page's table of upload errors.

The import speaks English to the API and the CLI (tools and logs read it), and its reasons are
built in the parser from fixed texts with variable parts. The page is Dutch throughout, so each
English template here has its Dutch counterpart; a reason is matched against the templates and
its variable parts carried over (translated where they are English words, kept where they are
the file's own values or column names).

A reason no template matches still reaches the reader: a Dutch sentence that says so, with the
import's own text after it marked ``lang="en"``. The unit test
``tests/unit/test_import_reasons_nl.py`` reads the import's source and fails on any reason text
that has no template here, so a new reason gets its Dutch words when it is written.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["REASONS", "DutchReason", "ReasonTemplate", "dutch_reason"]

#: Where a reason's value is itself English: translated by a table, by a function, or recursively
#: as a reason of its own (``REASON``); ``None`` from a function means "not known".
Words = Mapping[str, str] | Callable[[str], str | None]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: A placeholder whose words translate as a whole reason (an amount's reason, with a hint after it).
REASON = "reason"


@dataclass(frozen=True)
class DutchReason:
    """A reason as the page shows it: Dutch ``text``, and where the import quoted an English
    message of another program (the CSV reader, the database), that message in ``english``,
    shown after the text and marked ``lang="en"``. ``known`` is False for the fallback."""

    text: str
    english: str = ""
    known: bool = True


@dataclass(frozen=True)
class ReasonTemplate:
    """One of the import's reasons: its English template with ``{name}`` for each variable part,
    the Dutch with the same names, the translation of the parts that are English words, and
    the part (if any) that quotes another program's English message."""

    english: str
    dutch: str
    words: Mapping[str, Words] = field(default_factory=dict)
    quoted: str = ""

    def pattern(self) -> re.Pattern[str]:
        parts = _PLACEHOLDER.split(self.english)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        return re.compile(regex, re.DOTALL)


# --- the words inside reasons -----------------------------------------------------------------

#: What a column name announces (:data:`populatie.spending.personal_data._COLUMNS`).
COLUMN_MEANINGS = {
    "a citizen service number (BSN)": "een burgerservicenummer (BSN)",
    "a citizen service number (sofinummer)": "een burgerservicenummer (sofinummer)",
    "data about a client": "gegevens over een cliënt",
    "a name": "een naam",
    "a birth date": "een geboortedatum",
    "an address": "een adres",
    "an address (postcode)": "een adres (postcode)",
    "a phone number": "een telefoonnummer",
    "an e-mail address": "een e-mailadres",
}
#: The kinds of personal data found in a value (:data:`populatie.spending.personal_data.KINDS`).
FOUND_KINDS = {
    "a citizen service number (BSN: nine digits that pass the eleven-test)": (
        "een burgerservicenummer (BSN: negen cijfers die de elfproef doorstaan)"
    ),
    "an e-mail address": "een e-mailadres",
    "a Dutch phone number": "een Nederlands telefoonnummer",
    "a full date (day, month and year), which may be a date of birth": (
        "een volledige datum (dag, maand en jaar), mogelijk een geboortedatum"
    ),
}
#: How each caller names the option for Dutch amounts (the page uploads through the API's).
COMMA_HINTS = {
    "upload with the form field decimal_comma=true": (
        "vink ‘Bedragen met een decimale komma (1.234,56)’ aan"
    ),
    "import with --decimal-comma": "lees in met --decimal-comma",
}
_KIND = re.compile("|".join(re.escape(k) for k in sorted(FOUND_KINDS, key=len, reverse=True)))


def _kinds(value: str) -> str | None:
    """``"an e-mail address and a Dutch phone number"`` in Dutch; None if a kind is unknown."""
    found = list(_KIND.finditer(value))
    between = [value[a.end() : b.start()] for a, b in itertools.pairwise(found)]
    if not found or found[0].start() or found[-1].end() != len(value):
        return None
    if any(joint != " and " for joint in between):  # how the import joins them
        return None
    return " en ".join(FOUND_KINDS[m.group()] for m in found)


REASONS: tuple[ReasonTemplate, ...] = (
    # The file as a whole.
    ReasonTemplate("not UTF-8 text", "geen tekst in UTF-8: sla het bestand op als UTF-8"),
    ReasonTemplate(
        "not a readable CSV file: {detail}",
        "geen leesbaar CSV-bestand; de CSV-lezer meldt:",
        quoted="detail",
    ),
    ReasonTemplate(
        "the file is empty: a header row is required",
        "het bestand is leeg: een kopregel met de kolomnamen is verplicht",
    ),
    ReasonTemplate(
        "personal data is not accepted: the column looks like {meaning}; remove it from the export",
        "persoonsgegevens worden niet aangenomen: de kolom lijkt {meaning} te bevatten; haal "
        "hem uit de export",
        {"meaning": COLUMN_MEANINGS},
    ),
    ReasonTemplate(
        "unknown column; the columns are {columns}", "onbekende kolom; de kolommen zijn {columns}"
    ),
    ReasonTemplate("the column appears more than once", "de kolom komt meer dan eens voor"),
    ReasonTemplate("required column is missing", "verplichte kolom ontbreekt"),
    ReasonTemplate(
        "the file has a header but no rows", "het bestand heeft een kopregel maar geen regels"
    ),
    ReasonTemplate(
        "{fields} fields where the header has {width}",
        "{fields} velden, terwijl de kopregel er {width} heeft",
    ),
    # A row's values.
    ReasonTemplate("not a date written YYYY-MM-DD", "geen datum in de vorm JJJJ-MM-DD"),
    ReasonTemplate("no such date", "deze datum bestaat niet"),
    ReasonTemplate(
        "a booking date must lie in 2000–2099", "een boekingsdatum moet in 2000–2099 liggen"
    ),
    ReasonTemplate("not a CBS municipality code (GMnnnn)", "geen CBS-gemeentecode (GMnnnn)"),
    ReasonTemplate("not a municipality of the region", "geen gemeente van de regio"),
    ReasonTemplate("not a CBS district code (WKnnnnnn)", "geen CBS-wijkcode (WKnnnnnn)"),
    ReasonTemplate(
        "not a domain; domains are {domains}", "geen domein; de domeinen zijn {domains}"
    ),
    ReasonTemplate("provider is empty", "de aanbieder is leeg"),
    ReasonTemplate(
        "district {district} is not in {municipality}",
        "wijk {district} ligt niet in {municipality}",
    ),
    ReasonTemplate("longer than {limit} characters", "langer dan {limit} tekens"),
    ReasonTemplate("invoice reference is empty", "het factuurnummer is leeg"),
    ReasonTemplate(
        "duplicate invoice reference: also on line {line}",
        "dubbel factuurnummer: staat ook op regel {line}",
    ),
    ReasonTemplate(
        "duplicate invoice reference: imported before ({file} line {line})",
        "dubbel factuurnummer: al eerder ingelezen ({file}, regel {line})",
    ),
    ReasonTemplate(
        "personal data is not accepted: the {column} holds {kinds} (not repeated here); remove "
        "it from the export",
        "persoonsgegevens worden niet aangenomen: de kolom {column} bevat {kinds} (hier niet "
        "herhaald); haal dat uit de export",
        {"kinds": _kinds},
    ),
    ReasonTemplate(
        "holds a control character ({what}); only text, tabs and line breaks are accepted",
        "bevat een stuurteken ({what}); alleen tekst, tabs en regeleinden zijn toegestaan",
    ),
    ReasonTemplate(
        "holds a control character ({what}); only printable text is accepted",
        "bevat een stuurteken ({what}); alleen afdrukbare tekst is toegestaan",
    ),
    # Amounts (the import's own checks, and the rule of record in populatie.core.money).
    ReasonTemplate(
        "{reason}; for Dutch amounts (1.234,56) {hint}",
        "{reason}; voor Nederlandse bedragen (1.234,56): {hint}",
        {"hint": COMMA_HINTS},
    ),
    ReasonTemplate(
        "more than € 1.000.000.000 in one booking", "meer dan € 1.000.000.000 in één boeking"
    ),
    ReasonTemplate("an amount of zero books nothing", "een bedrag van nul boekt niets"),
    ReasonTemplate(
        "{value} is not a euro amount (expected e.g. {example})",
        "{value} is geen eurobedrag (verwacht bijvoorbeeld {example})",
    ),
    ReasonTemplate("{value} has a fraction of a cent", "{value} bevat een fractie van een cent"),
    ReasonTemplate(
        "an amount must be text, got {value}", "een bedrag moet tekst zijn, niet {value}"
    ),
    ReasonTemplate(
        "{value} is not a finite decimal amount", "{value} is geen eindig decimaal bedrag"
    ),
    ReasonTemplate(
        "{value} euro is not a whole number of cents", "{value} euro is geen geheel aantal centen"
    ),
    # The detail columns of a regional contract's booking.
    ReasonTemplate(
        "not a segment; segments are none of record",
        "geen segment; er zijn geen segmenten vastgelegd",
    ),
    ReasonTemplate(
        "not a segment; segments are {segments}", "geen segment; de segmenten zijn {segments}"
    ),
    ReasonTemplate(
        "segment {code} applies from {first} to {last}, not in {year}",
        "segment {code} geldt van {first} tot en met {last}, niet in {year}",
    ),
    ReasonTemplate(
        "segment {code} applies from {first} on, not in {year}",
        "segment {code} geldt vanaf {first}, niet in {year}",
    ),
    ReasonTemplate(
        "not an iJw product code: 2 digits of the category and 3 letters or digits, e.g. 45A12",
        "geen iJw-productcode: 2 cijfers van de productcategorie en 3 letters of cijfers, "
        "bijvoorbeeld 45A12",
    ),
    ReasonTemplate(
        "not a quantity: write a number with at most two decimals, e.g. {example}",
        "geen aantal: schrijf een getal met hoogstens twee decimalen, bijvoorbeeld {example}",
    ),
    ReasonTemplate("a quantity of zero books nothing", "een aantal van nul boekt niets"),
    ReasonTemplate(
        "more than 10,000,000 units in one booking", "meer dan 10.000.000 eenheden in één boeking"
    ),
    ReasonTemplate("not a unit; units are {units}", "geen eenheid; de eenheden zijn {units}"),
    ReasonTemplate("not a stage; stages are {stages}", "geen fase; de fasen zijn {stages}"),
    ReasonTemplate(
        "not an assignment reference: 1 to 20 letters or digits",
        "geen toewijzingsnummer: 1 tot 20 letters of cijfers",
    ),
    ReasonTemplate(
        "personal data is not accepted: nine digits that pass the eleven-test look like a "
        "citizen service number (BSN), not an assignment reference",
        "persoonsgegevens worden niet aangenomen: negen cijfers die de elfproef doorstaan, "
        "lijken op een burgerservicenummer (BSN) en niet op een toewijzingsnummer",
    ),
    ReasonTemplate(
        "a quantity needs the product it counts", "een aantal vraagt om het product dat het telt"
    ),
    ReasonTemplate("a unit needs a quantity", "een eenheid vraagt om een aantal"),
    ReasonTemplate(
        "a stage needs the assignment it belongs to",
        "een fase vraagt om de toewijzing waar die bij hoort",
    ),
    ReasonTemplate(
        "a stage needs the product of the assignment",
        "een fase vraagt om het product van de toewijzing",
    ),
    # The import as a whole, and the uploaded file's name.
    ReasonTemplate(
        "{file} is rejected: 1 error, nothing was imported",
        "{file} is afgewezen: 1 fout, er is niets ingelezen",
    ),
    ReasonTemplate(
        "{file} is rejected: {count} errors, nothing was imported",
        "{file} is afgewezen: {count} fouten, er is niets ingelezen",
    ),
    ReasonTemplate(
        "no municipalities of record: run `populatie load` first",
        "er zijn geen gemeenten vastgelegd: voer eerst `populatie load` uit",
    ),
    ReasonTemplate(
        "{file}: the database refused the import: {detail}",
        "{file}: de database weigerde het inlezen; de database meldt:",
        quoted="detail",
    ),
    ReasonTemplate(
        "rows got ids up to {last}, not the block {first}..{end}",
        "de regels kregen nummers tot {last}, niet het blok {first}..{end}",
    ),
    ReasonTemplate(
        "the file name {name} names no file", "de bestandsnaam {name} noemt geen bestand"
    ),
    ReasonTemplate(
        "the file name is longer than {limit} bytes", "de bestandsnaam is langer dan {limit} bytes"
    ),
    ReasonTemplate(
        "the file name holds a control character", "de bestandsnaam bevat een stuurteken"
    ),
)

_COMPILED = tuple((template, template.pattern()) for template in REASONS)
UNKNOWN = "Deze melding van het inlezen heeft nog geen Nederlandse tekst:"


def _translated(words: Words, value: str) -> str | None:
    if callable(words):
        return words(value)
    return words.get(value)


def dutch_reason(reason: str) -> DutchReason:
    """``reason`` in Dutch; a reason of no known template in a Dutch sentence with the English
    after it (``known`` False), never dropped and never passed off as Dutch."""
    for template, pattern in _COMPILED:
        match = pattern.fullmatch(reason)
        if match is None:
            continue
        values: dict[str, str] = {}
        english = ""
        for name, value in match.groupdict().items():
            if name == template.quoted:
                english = value
                continue
            if name == REASON:
                inner = dutch_reason(value)
                if not inner.known:
                    return _unknown(reason)
                values[name], english = inner.text, inner.english
                continue
            if name in template.words:
                words = _translated(template.words[name], value)
                if words is None:
                    return _unknown(reason)
                values[name] = words
                continue
            values[name] = value
        return DutchReason(template.dutch.format_map(values), english)
    return _unknown(reason)


def _unknown(reason: str) -> DutchReason:
    return DutchReason(UNKNOWN, reason, known=False)
