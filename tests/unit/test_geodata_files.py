"""geodata/README.md says what the shipped files are byte for byte: their checksums and line
endings. The data hash every run records is over these bytes, so a silent change shows here."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

GEODATA = Path(__file__).resolve().parents[2] / "geodata"
ROW = re.compile(r"^\| `([\w.]+)` \| (CRLF|LF) \| `([0-9a-f]{64})` \|$", re.M)


def test_every_data_file_has_the_checksum_and_line_endings_its_readme_states() -> None:
    stated = {
        name: (ends, digest)
        for name, ends, digest in ROW.findall((GEODATA / "README.md").read_text(encoding="utf-8"))
    }
    shipped = sorted(p.name for p in GEODATA.iterdir() if p.suffix in {".csv", ".geojson"})
    assert sorted(stated) == shipped
    for name, (ends, digest) in stated.items():
        data = (GEODATA / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
        lines = data.count(b"\n")
        crlf = data.count(b"\r\n")
        assert (crlf == lines) if ends == "CRLF" else (crlf == 0), (name, ends, crlf, lines)
