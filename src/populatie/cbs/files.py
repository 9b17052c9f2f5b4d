"""Writing a fetched vintage into the data folder: whole or not at all.

Each file is written to a temporary name in the same folder and renamed into place, so a
failure half-way (a 500 on the last page, a full disk) leaves the folder as it was, and a
reader never sees half a file.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

LICENCE: Final = "CC BY 4.0"
ATTRIBUTION: Final = "Bron: CBS"


def figures_name(year: int, level: str, municipalities: Sequence[str], every: Sequence[str]) -> str:
    """``kwb_2024_h10_wijken_fetched.csv`` for all ten; a subset names its municipalities, so a
    partial fetch never replaces a whole one."""
    unit = "wijken" if level == "district" else "buurten"
    scope = (
        "h10"
        if set(municipalities) == set(every)
        else "_".join(code.lower() for code in sorted(municipalities))
    )
    return f"kwb_{year}_{scope}_{unit}_fetched.csv"


def provenance_name(data_name: str) -> str:
    return data_name.rsplit(".", 1)[0] + ".provenance.json"


def _write_atomic(path: Path, writer: Any) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_table(
    folder: Path,
    name: str,
    header: Sequence[str],
    rows: Sequence[Mapping[str, object]],
    provenance: Mapping[str, object],
) -> tuple[Path, Path]:
    """The CSV (LF line ends, blank cell = not published) and its provenance beside it."""
    data_path = folder / name
    meta_path = folder / provenance_name(name)

    def table(stream: Any) -> None:
        out = csv.DictWriter(stream, fieldnames=list(header), lineterminator="\n")
        out.writeheader()
        for row in rows:
            out.writerow({k: "" if row.get(k) is None else row.get(k) for k in header})

    _write_atomic(meta_path, lambda s: s.write(json.dumps(provenance, indent=2) + "\n"))
    _write_atomic(data_path, table)
    return data_path, meta_path


def write_json(folder: Path, name: str, payload: Mapping[str, object]) -> Path:
    path = folder / name
    _write_atomic(path, lambda s: s.write(json.dumps(payload, ensure_ascii=False) + "\n"))
    return path


def number_text(value: float | None) -> str | None:
    """A figure as CBS wrote it: whole numbers without ``.0``; None stays None."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))
