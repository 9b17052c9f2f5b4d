"""Documents for print and for the record: Dutch HTML, PDF from headless Chromium, and workbooks
whose bytes depend on their content alone.

A document that is reproduced later (a council report) must come out byte for byte the same,
so what a writer stamps on a file by itself is fixed here to a moment the caller gives:

* **XLSX**: openpyxl writes the creation and modification time in ``docProps/core.xml`` and
  the time of saving on every zip entry; both become ``moment``.
* **PDF**: Chromium writes ``/CreationDate`` and ``/ModDate`` (the rest of its output is the
  same for the same HTML on the same Chromium); both become ``moment``, written in the same
  number of bytes, so the cross-reference offsets stay right.

The HTML of a printed document is self-contained (its style sheets inline), so Chromium reads
nothing but the one file it is given.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from openpyxl import Workbook

from populatie.errors import PopulatieError

__all__ = [
    "PdfPrintError",
    "fixed_pdf",
    "fixed_xlsx",
    "inline_styles",
    "print_pdf",
    "template_env",
]

CHROMIUM_ENV = "POPULATIE_CHROMIUM"
CHROMIUM_DEFAULT = "chromium"
PRINT_SECONDS = 120
STATIC = Path(__file__).parent / "web" / "static"
#: The NL Design System style sheets the pages link, inlined into a printed document.
STYLE_SHEETS = (
    "vendor/voorbeeld-design-tokens/theme.css",
    "vendor/utrecht-component-library-css/index.css",
    "vendor/utrecht-component-library-css/html.css",
)
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")
_CORE_TIME = re.compile(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


class PdfPrintError(PopulatieError):
    """Chromium is missing or failed to print; nothing was written."""

    problem_type = "pdf-print"
    status = 503


def number(value: float | int | None, decimals: int = 1) -> str:
    """A figure the Dutch way (1.234,5); ``x`` where it is withheld."""
    from populatie.web.formatting import count

    return "x" if value is None else count(value, decimals)


def template_env(folder: Path) -> Environment:
    """A Jinja environment over ``folder`` (and the pages' static files, for ``print.css``)
    with the Dutch filters every document uses. The pages' words are imported here, not at
    the top: the pages' package loads the whole web application, which the command line does
    not need."""
    from populatie.web.formatting import DOMAIN_LABELS, EXCEPTION_LABELS, STATUS_LABELS, euro

    env = Environment(
        loader=FileSystemLoader([folder, STATIC]),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Callable[..., Any]] = {
        "nl": number,
        "euro": euro,
        "domain": lambda d: DOMAIN_LABELS.get(d, d),
        "status": lambda s: STATUS_LABELS.get(s, s),
        "exception": lambda k: EXCEPTION_LABELS.get(k, k),
    }
    env.filters.update(filters)
    return env


def inline_styles() -> Markup:
    """The NL Design System style sheets as one ``<style>`` element."""
    text = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in STYLE_SHEETS)
    return Markup("<style>\n") + Markup(text.replace("</", "<\\/")) + Markup("\n</style>")


def _stamp(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def fixed_xlsx(book: Workbook, moment: datetime) -> bytes:
    """The workbook's bytes with every time in it set to ``moment``."""
    at = _stamp(moment).replace(tzinfo=None, microsecond=0)
    book.properties.created = at
    book.properties.modified = at
    raw = io.BytesIO()
    book.save(raw)
    iso = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(rf"\g<1>{iso}\g<3>", data.decode("utf-8")).encode("utf-8")
            entry = zipfile.ZipInfo(item.filename, date_time=at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = item.external_attr
            target.writestr(entry, data)
    return out.getvalue()


def fixed_pdf(pdf: bytes, moment: datetime) -> bytes:
    """Chromium's PDF with its creation and modification dates set to ``moment``."""
    stamp = _stamp(moment).strftime("%Y%m%d%H%M%S").encode()

    def replace(match: re.Match[bytes]) -> bytes:
        fixed = b"/" + match[1] + b" (D:" + stamp + b"+00'00')"
        if len(fixed) != len(match[0]):  # another length would move every offset after it
            raise PdfPrintError(f"unexpected PDF date {match[0]!r}")
        return fixed

    return _PDF_DATE.sub(replace, pdf)


def chromium() -> str:
    """The Chromium to print with: ``POPULATIE_CHROMIUM``, else ``chromium`` on the PATH."""
    name = os.environ.get(CHROMIUM_ENV) or CHROMIUM_DEFAULT
    found = shutil.which(name)
    if found is None:
        raise PdfPrintError(
            f"no Chromium to print with ({name!r} not found; set {CHROMIUM_ENV} to its path)"
        )
    return found


def print_pdf(html: str, moment: datetime) -> bytes:
    """Print ``html`` (self-contained) with headless Chromium, dated ``moment``."""
    with tempfile.TemporaryDirectory(prefix="populatie-print-") as folder:
        page = Path(folder) / "document.html"
        page.write_text(html, encoding="utf-8")
        out = Path(folder) / "document.pdf"
        command = [
            chromium(),
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with one
        try:
            done = subprocess.run(command, capture_output=True, timeout=PRINT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfPrintError(f"Chromium did not print: {exc}") from None
        if done.returncode != 0 or not out.exists():
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise PdfPrintError(f"Chromium did not print (exit {done.returncode}): {tail}")
        return fixed_pdf(out.read_bytes(), moment)
