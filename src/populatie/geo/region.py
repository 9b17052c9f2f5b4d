"""The fixed facts of the H10 region that every geodata check is measured against.

The ten municipalities are a procurement fact (the H10 contracts), not something the data
files may change: a file naming an eleventh municipality is wrong, not an extension.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import pandas as pd

MUNICIPALITIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "GM0518": "'s-Gravenhage",
        "GM0503": "Delft",
        "GM0637": "Zoetermeer",
        "GM1783": "Westland",
        "GM0603": "Rijswijk",
        "GM1916": "Leidschendam-Voorburg",
        "GM1926": "Pijnacker-Nootdorp",
        "GM1842": "Midden-Delfland",
        "GM0629": "Wassenaar",
        "GM1621": "Lansingerland",
    }
)

DISTRICT_CODE: Final = re.compile(r"^WK\d{6}$")
MUNICIPALITY_CODE: Final = re.compile(r"^GM\d{4}$")

#: Rijksdriehoeksstelsel (Amersfoort / RD New): metres, so areas and tolerances mean something.
PROJECTED_CRS: Final = "EPSG:28992"
#: What web maps (GeoJSON, RFC 7946) expect.
WEB_CRS: Final = "EPSG:4326"


def municipality_of(district_code: str) -> str:
    """A CBS district code embeds its municipality; deriving it lets files be cross-checked."""
    return "GM" + district_code[2:6]


def municipalities_frame() -> pd.DataFrame:
    """The ten municipalities as rows, sorted by code so that loads are reproducible."""
    codes = sorted(MUNICIPALITIES)
    return pd.DataFrame({"code": codes, "name": [MUNICIPALITIES[c] for c in codes]})
