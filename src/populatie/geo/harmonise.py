"""District changes across years: map old districts onto new ones and spread counts over them.

CBS redraws districts and reuses their codes for other areas (Rijswijk's ``WK060303`` of 2016
and of 2023 barely overlap), so old and new districts are matched by geometry only, never by
code. The model is pysal/tobler's ``area_interpolate``, with its two counter-examples turned
around: a coordinate-system mismatch raises instead of printing, and a missing value makes the
spread value missing instead of 0.

**The mapping.** :func:`boundary_mapping` intersects every old district with every new one and
gives, per pair, the intersection's area and its *overlap share*: the share of the old
district's area that lies in the new one. What no new district covers is one more row with no
``new_code`` (status ``outside``). With district-level data only area weighting is possible: it
assumes the counts are spread evenly over each old district. Spreading by population needs a
finer population layer (neighbourhoods or addresses) that ``geodata/`` does not ship, so
``weights`` accepts only ``"area"``.

**Slivers.** The 2016 map is generalised and the 2023 one is full resolution, so the borders of
the two never coincide and every old district touches its neighbours' new shapes in thin
slivers (mostly under a hectare, all under 1 % of a district). The rule, applied per old
district, in this order:

1. a piece (or the part outside every new district) whose overlap share is below
   ``sliver_share`` (default 1 %) is a ``sliver``;
2. a piece in a new district named in ``uninhabited`` (CBS's water-only districts, which hold
   no inhabitants, dwellings or households) is ``uninhabited``; area weighting would otherwise
   move the people of a coastal district into the sea;
3. the remaining pieces are kept and their overlap shares renormalised to sum to 1, which is
   ``share``; dropped pieces keep their row, with ``share`` 0, so nothing is dropped unseen.

Should nothing remain after (1) and (2), the uninhabited pieces are kept after all, and should
still nothing remain, every piece is: an old district is never left without a destination.

**Spreading.** :func:`spread` and :func:`convert_figures` put ``Σ share × value`` on every new
district. Only counts may be spread (:data:`ADDITIVE_INDICATORS`); percentages, rates,
densities and areas are not additive and are refused. A new district that any of its old
districts contributes to without a value gets no value (NaN, or no figure row), never a
partial sum. An old district with a kept part outside every new district cannot be spread
without losing that part, so it raises. Every converted figure is ``derived`` and names the
mapping in its ``derivation``.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from populatie.errors import DataError
from populatie.geo.indicators import FIGURE_COLUMNS, figures_frame
from populatie.geo.region import MUNICIPALITIES, municipality_of

#: Below this share of an old district's area a piece is a sliver (see the module docstring).
SLIVER_SHARE: Final = 0.01

#: An old district's area left uncovered below this share is float noise, not an ``outside`` part.
_UNCOVERED_NOISE: Final = 1e-9

#: New districts covering more than this share beyond 100 % of an old one overlap each other.
_OVERLAP_TOLERANCE: Final = 1e-4

OVERLAP: Final = "overlap"
OUTSIDE: Final = "outside"
SLIVER: Final = "sliver"
UNINHABITED: Final = "uninhabited"
STATUSES: Final = (OVERLAP, OUTSIDE, SLIVER, UNINHABITED)

MAPPING_COLUMNS: Final = (
    "old_code",
    "new_code",
    "old_vintage",
    "new_vintage",
    "share",
    "area_m2",
    "overlap_share",
    "status",
    "method",
)

#: Indicators that are counts (people, households, dwellings) and so may be spread by share.
ADDITIVE_INDICATORS: Final = (
    "inhabitants",
    "men",
    "women",
    "young_0_14",
    "young_15_24",
    "young_population",
    "households",
    "households_with_children",
    "low_income_households",
    "social_assistance",
    "youth_care_users",
    "dwellings",
)

#: Indicators that must not be spread, and why.
NOT_ADDITIVE: Final = {
    "land_area_ha": "an area: measure it on the new boundaries instead of spreading it",
}


def _check_crs(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> CRS:
    """The one projected CRS both frames are in, or DataError naming both."""
    old_crs, new_crs = old.crs, new.crs
    named = f"old districts in {_crs_name(old_crs)}, new districts in {_crs_name(new_crs)}"
    details: list[dict[str, object]] = [
        {"old_crs": _crs_name(old_crs), "new_crs": _crs_name(new_crs)}
    ]
    if old_crs is None or new_crs is None:
        raise DataError(
            f"a boundary map without a CRS cannot be overlaid: {named}", details=details
        )
    if not CRS(old_crs).equals(CRS(new_crs)):
        raise DataError(
            f"boundary maps in different CRSs: {named}; reproject one explicitly first",
            details=details,
        )
    if not CRS(old_crs).is_projected:
        raise DataError(
            f"boundary maps in a geographic CRS cannot be measured in m²: {named}; "
            "reproject both to a projected CRS (EPSG:28992) first",
            details=details,
        )
    return CRS(old_crs)


def _crs_name(crs: object) -> str:
    if crs is None:
        return "no CRS"
    parsed = CRS(crs)
    authority = parsed.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else parsed.name


def _districts(frame: gpd.GeoDataFrame, role: str) -> tuple[list[str], int]:
    """Codes and the single vintage of one side, checked."""
    for column in ("district_code", "vintage"):
        if column not in frame.columns:
            raise DataError(
                f"{role} districts: column {column!r} missing", details=[{"column": column}]
            )
    vintages = sorted({int(v) for v in frame["vintage"]})
    if len(vintages) != 1:
        raise DataError(
            f"{role} districts: one boundary vintage expected, got {vintages}",
            details=[{"side": role, "vintages": vintages}],
        )
    codes = [str(c) for c in frame["district_code"]]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise DataError(
            f"{role} districts {vintages[0]}: codes not unique: {', '.join(duplicated)}",
            details=[{"district_code": c, "vintage": vintages[0]} for c in duplicated],
        )
    geometry = np.asarray(frame.geometry)
    bad = [
        code
        for code, valid, empty in zip(
            codes, shapely.is_valid(geometry), shapely.is_empty(geometry), strict=True
        )
        if not valid or empty
    ]
    if bad:
        raise DataError(
            f"{role} districts {vintages[0]}: invalid or empty geometry: {', '.join(bad)}",
            details=[{"district_code": c, "vintage": vintages[0]} for c in bad],
        )
    return codes, vintages[0]


def mapping_method(
    old_vintage: int,
    new_vintage: int,
    *,
    source: str = "CBS",
    sliver_share: float = SLIVER_SHARE,
    uninhabited: Collection[str] = (),
) -> str:
    """The words that name a mapping in its rows and in every figure converted with it."""
    dropped = f"slivers < {sliver_share * 100:g} %"
    if uninhabited:
        dropped += f" and parts in uninhabited {', '.join(sorted(uninhabited))}"
    return (
        f"area-weighted overlay of {source} {old_vintage} boundaries onto {new_vintage} "
        f"boundaries ({dropped} dropped, the rest renormalised)"
    )


def boundary_mapping(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    weights: str = "area",
    sliver_share: float = SLIVER_SHARE,
    uninhabited: Collection[str] = (),
    source: str = "CBS",
) -> pd.DataFrame:
    """Which share of every old district lies in which new district.

    ``old`` and ``new`` are boundary maps of one vintage each, with columns ``district_code``,
    ``vintage`` and a geometry, in the same projected CRS (else DataError naming both CRSs;
    nothing is reprojected here). ``uninhabited`` names new districts known to hold no counts.

    Returns one row per old district and intersecting new district, plus one per old district
    partly outside every new one (``new_code`` missing), with columns :data:`MAPPING_COLUMNS`:
    ``area_m2`` of the intersection (of the uncovered part for ``outside``), ``overlap_share``
    = area_m2 / the old district's area, ``status`` (``overlap``, ``outside``, ``sliver``,
    ``uninhabited``) and ``share``: the overlap share after the sliver rule, 0 for dropped
    rows; per old district the shares sum to 1. ``method`` names the mapping.
    """
    if weights != "area":
        raise ValueError(
            f"weights={weights!r}: only 'area' is possible with district-level data; "
            "population weighting needs a finer population layer, which is not shipped"
        )
    if not 0 <= sliver_share < 1:
        raise ValueError(f"sliver_share={sliver_share}: must be in [0, 1)")
    _check_crs(old, new)
    old_codes, old_vintage = _districts(old, "old")
    new_codes, new_vintage = _districts(new, "new")
    old_geometry = np.asarray(old.geometry)
    new_geometry = np.asarray(new.geometry)
    old_area = shapely.area(old_geometry)
    flat = [code for code, area in zip(old_codes, old_area, strict=True) if not area > 0]
    if flat:
        raise DataError(
            f"old districts {old_vintage} without area: {', '.join(flat)}",
            details=[{"district_code": c, "vintage": old_vintage} for c in flat],
        )

    # The sparse overlap matrix: candidate pairs from the spatial index, then exact areas.
    old_index, new_index = new.sindex.query(old_geometry, predicate="intersects")
    area = shapely.area(shapely.intersection(old_geometry[old_index], new_geometry[new_index]))
    touching = area > 0
    pieces = pd.DataFrame(
        {
            "old": old_index[touching],
            "new_code": pd.array([new_codes[j] for j in new_index[touching]], dtype="str"),
            "area_m2": area[touching],
        }
    )
    covered = np.bincount(pieces["old"].to_numpy(), weights=pieces["area_m2"], minlength=len(old))
    _check_new_overlaps(old_codes, old_vintage, new_vintage, covered / old_area)
    uncovered = old_area - covered
    outside = np.flatnonzero(uncovered / old_area > _UNCOVERED_NOISE)
    rows = pd.concat(
        [
            pieces,
            pd.DataFrame(
                {
                    "old": outside,
                    "new_code": pd.array([None] * len(outside), dtype="str"),
                    "area_m2": uncovered[outside],
                }
            ),
        ],
        ignore_index=True,
    )
    rows["overlap_share"] = rows["area_m2"] / old_area[rows["old"].to_numpy()]
    rows["status"] = _statuses(rows, sliver_share, frozenset(uninhabited))
    kept = rows["status"].isin([OVERLAP, OUTSIDE])
    kept_total = rows["overlap_share"].where(kept, 0.0).groupby(rows["old"]).transform("sum")
    rows["share"] = (rows["overlap_share"] / kept_total).where(kept, 0.0)
    rows["old_code"] = pd.array([old_codes[i] for i in rows["old"]], dtype="str")
    rows["old_vintage"] = old_vintage
    rows["new_vintage"] = new_vintage
    present = sorted(set(uninhabited) & set(new_codes))
    rows["method"] = mapping_method(
        old_vintage, new_vintage, source=source, sliver_share=sliver_share, uninhabited=present
    )
    rows["outside_last"] = rows["new_code"].isna()
    rows = rows.sort_values(["old_code", "outside_last", "new_code"], ignore_index=True)
    return rows[list(MAPPING_COLUMNS)].astype(
        {"old_vintage": "int64", "new_vintage": "int64", "status": "str", "method": "str"}
    )


def _check_new_overlaps(
    old_codes: Sequence[str], old_vintage: int, new_vintage: int, coverage: np.ndarray
) -> None:
    """New districts that overlap each other would count an old district's part twice."""
    double = [
        (code, float(c))
        for code, c in zip(old_codes, coverage, strict=True)
        if c > 1 + _OVERLAP_TOLERANCE
    ]
    if double:
        shown = ", ".join(f"{code} ({c:.2%})" for code, c in double[:5])
        raise DataError(
            f"new districts {new_vintage} overlap each other: they cover more than all of old "
            f"districts {old_vintage} {shown}",
            details=[{"district_code": code, "coverage": c} for code, c in double],
        )


def _statuses(rows: pd.DataFrame, sliver_share: float, uninhabited: frozenset[str]) -> pd.Series:
    """The sliver rule of the module docstring, per old district."""
    is_outside = rows["new_code"].isna()
    sliver = rows["overlap_share"] < sliver_share
    empty = rows["new_code"].isin(list(uninhabited)) & ~is_outside
    keep = ~sliver & ~empty
    # Fallbacks: never leave an old district without a destination.
    has_keep = keep.groupby(rows["old"]).transform("any")
    keep = keep | (~has_keep & ~sliver)
    has_keep = keep.groupby(rows["old"]).transform("any")
    keep = keep | ~has_keep
    status = np.where(
        keep,
        np.where(is_outside, OUTSIDE, OVERLAP),
        np.where(sliver, SLIVER, UNINHABITED),
    )
    return pd.Series(status, index=rows.index, dtype="str")


def _single_pair(mapping: pd.DataFrame) -> tuple[int, int]:
    pairs = sorted(
        {
            (int(a), int(b))
            for a, b in zip(mapping["old_vintage"], mapping["new_vintage"], strict=True)
        }
    )
    if len(pairs) != 1:
        raise DataError(
            f"a mapping between one pair of boundary vintages expected, got {pairs or 'none'}; "
            "select one pair first",
            details=[{"old_vintage": a, "new_vintage": b} for a, b in pairs],
        )
    return pairs[0]


def map_codes(mapping: pd.DataFrame, old_codes: Sequence[str]) -> pd.DataFrame:
    """The kept rows (old_code, new_code, share) of ``old_codes``, to re-express old values.

    ``mapping`` must hold one pair of vintages. Raises DataError for a code the mapping does not
    know (of that old vintage) and for a code with a kept part outside every new district.
    """
    old_vintage, new_vintage = _single_pair(mapping)
    wanted = sorted({str(c) for c in old_codes})
    known = set(mapping["old_code"])
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise DataError(
            f"no mapping of {old_vintage} district(s) {', '.join(unknown)} onto {new_vintage}",
            details=[{"district_code": c, "vintage": old_vintage} for c in unknown],
        )
    rows = mapping[mapping["old_code"].isin(wanted) & (mapping["share"] > 0)]
    leaking = rows[rows["status"] == OUTSIDE]
    if not leaking.empty:
        shown = ", ".join(
            f"{code} ({share:.1%})"
            for code, share in zip(leaking["old_code"], leaking["share"], strict=True)
        )
        raise DataError(
            f"part of {old_vintage} district(s) {shown} lies outside every {new_vintage} "
            "district: spreading their values would lose that part",
            details=[
                {"district_code": str(c), "vintage": old_vintage, "outside_share": float(s)}
                for c, s in zip(leaking["old_code"], leaking["share"], strict=True)
            ],
        )
    return rows[["old_code", "new_code", "share"]].reset_index(drop=True)


def spread(
    frame: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    code_column: str = "district_code",
    value_column: str = "value",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Re-express counts on old districts on the new ones: ``Σ share × value`` per new district.

    ``frame`` holds one value per old district (and per group of ``by``, e.g. a domain). The
    result has columns ``[*by, code_column, value_column]``, one row per group and new district
    that any old district with a row in that group contributes to. Its value is NaN when any
    old district contributing to that new district has no value there (no row, or NaN): a
    missing count stays missing, it never counts as 0.
    """
    keys = list(by)
    if frame.duplicated([*keys, code_column]).any():
        raise DataError(
            f"more than one value per {', '.join([*keys, code_column])} to spread", details=[]
        )
    crosswalk = map_codes(mapping, [str(c) for c in frame[code_column].unique()])
    # Every old district that feeds a new one, also those absent from ``frame``.
    feeding = mapping[(mapping["share"] > 0) & mapping["new_code"].notna()]
    contributors = feeding.groupby("new_code")["old_code"].nunique()
    values = frame[[*keys, code_column, value_column]].rename(
        columns={code_column: "old_code", value_column: "_value"}
    )
    values["old_code"] = values["old_code"].astype("str")
    joined = values.merge(crosswalk, on="old_code", how="inner", validate="many_to_many")
    joined["_part"] = joined["share"] * joined["_value"]
    joined["_known"] = joined["_value"].notna()
    group = [*keys, "new_code"]
    totals = joined.groupby(group, sort=True, dropna=False).agg(
        value=("_part", "sum"), known=("_known", "sum")
    )
    totals = totals.reset_index()
    complete = totals["known"] == totals["new_code"].map(contributors)
    totals["value"] = totals["value"].where(complete, np.nan)
    result = totals[[*group, "value"]].rename(
        columns={"new_code": code_column, "value": value_column}
    )
    return result.reset_index(drop=True)


def convert_figures(
    figures: pd.DataFrame, mapping: pd.DataFrame, *, target_vintage: int
) -> pd.DataFrame:
    """Figures on old districts, spread onto the districts of boundary vintage ``target_vintage``.

    ``figures`` has the columns of ``load_geodata``'s figures and must hold counts on the old
    boundaries of the mapping's rows onto ``target_vintage`` (one old vintage). Each figure
    keeps its own reference year (``vintage``); ``district_code`` becomes the new district's.
    Every row returned is ``derived``, its ``derivation`` names the mapping and the old
    districts with their shares, its ``source_table`` the inputs' tables. A new district that
    any contributing old district has no figure for gets no row. Raises DataError for
    indicators that are not counts (:data:`ADDITIVE_INDICATORS`) and for districts the mapping
    does not know.
    """
    onto = mapping[mapping["new_vintage"] == target_vintage]
    if onto.empty:
        raise DataError(
            f"the mapping holds no boundaries of {target_vintage} to convert onto",
            details=[{"new_vintage": target_vintage}],
        )
    old_vintage, _ = _single_pair(onto)
    refused = sorted(set(figures["indicator"]) - set(ADDITIVE_INDICATORS))
    if refused:
        reasons = "; ".join(
            f"{i}: {NOT_ADDITIVE.get(i, 'not a count, so not additive')}" for i in refused
        )
        raise DataError(
            f"only counts can be spread over changed boundaries, not {reasons}",
            details=[{"indicator": i} for i in refused],
        )
    if figures.empty:
        return figures_frame([])
    method = str(onto["method"].iloc[0])
    keys = ["vintage", "indicator"]
    spread_values = spread(figures, onto, by=keys)
    spread_values = spread_values[spread_values["value"].notna()]
    crosswalk = map_codes(onto, [str(c) for c in figures["district_code"].unique()])
    terms = _terms(onto)
    inputs = figures.merge(
        crosswalk[["old_code", "new_code"]], left_on="district_code", right_on="old_code"
    )
    tables = inputs.groupby([*keys, "new_code"])["source_table"].agg(_joined)
    derived_from = (
        inputs[inputs["derived"]].groupby([*keys, "new_code"])["district_code"].agg(_joined)
    )
    records: list[dict[str, object]] = []
    for row in spread_values.to_dict("records"):
        new_code = str(row["district_code"])
        key = (int(row["vintage"]), str(row["indicator"]), new_code)
        derivation = f"{method}, {old_vintage} districts: {terms[new_code]}"
        if key in derived_from.index:
            derivation += f"; input figures themselves derived: {derived_from[key]}"
        records.append(
            {
                "district_code": new_code,
                "municipality_code": municipality_of(new_code),
                "vintage": key[0],
                "indicator": key[1],
                "value": float(row["value"]),
                "source_table": str(tables[key]),
                "derived": True,
                "derivation": derivation,
            }
        )
    converted = figures_frame(records)
    return converted.sort_values(
        ["vintage", "municipality_code", "district_code", "indicator"], ignore_index=True
    )[list(FIGURE_COLUMNS)]


def _terms(mapping: pd.DataFrame) -> dict[str, str]:
    """Per new district the sum it is made of, as "0.8916 × WK060303 + …"."""
    parts: dict[str, list[str]] = {}
    kept = mapping[(mapping["share"] > 0) & mapping["new_code"].notna()]
    for old_code, new_code, share in sorted(
        zip(kept["old_code"], kept["new_code"], kept["share"], strict=True)
    ):
        parts.setdefault(str(new_code), []).append(f"{share:.4f} × {old_code}")
    return {code: " + ".join(terms) for code, terms in parts.items()}


def _joined(values: pd.Series) -> str:
    return "; ".join(sorted({str(v) for v in values}))


def municipality_totals(
    frame: pd.DataFrame,
    *,
    code_column: str = "district_code",
    value_column: str = "value",
    by: Sequence[Hashable] = (),
) -> pd.Series:
    """Σ value per municipality (taken from the district code) and ``by``: to check spreading."""
    municipality = frame[code_column].map(lambda code: municipality_of(str(code)))
    return frame.groupby([*by, municipality.rename("municipality_code")])[value_column].sum()


def vintage_mappings(
    shapes: gpd.GeoDataFrame,
    *,
    uninhabited: Mapping[int, Collection[str]] | None = None,
    sliver_share: float = SLIVER_SHARE,
    source: str = "CBS",
) -> pd.DataFrame:
    """:func:`boundary_mapping` per municipality between every two consecutive shape vintages.

    ``shapes`` is ``load_geodata``'s frame (district_code, municipality_code, vintage,
    geometry). A municipality is mapped from each vintage it has shapes of onto its next one;
    a municipality with shapes of one vintage only yields no rows. Working per municipality
    keeps every old district's counts inside its municipality: a border correction between
    two municipalities shows up as a sliver or an ``outside`` part, never as a transfer.
    ``uninhabited`` gives per new vintage the districts known to hold no counts.
    """
    water = uninhabited or {}
    frames: list[pd.DataFrame] = []
    for municipality, own in shapes.groupby("municipality_code", sort=True):
        vintages = sorted(int(v) for v in own["vintage"].unique())
        for older, newer in itertools.pairwise(vintages):
            frames.append(
                boundary_mapping(
                    own[own["vintage"] == older],
                    own[own["vintage"] == newer],
                    sliver_share=sliver_share,
                    uninhabited=water.get(newer, ()),
                    source=source,
                ).assign(municipality_code=str(municipality))
            )
    if not frames:
        return pd.DataFrame(columns=[*MAPPING_COLUMNS, "municipality_code"])
    return pd.concat(frames, ignore_index=True)


def mapping_report(mapping: pd.DataFrame) -> list[str]:
    """Lines that say, per municipality and pair of vintages, what the mapping did."""
    lines: list[str] = []
    municipality = mapping["old_code"].map(lambda code: municipality_of(str(code)))
    keys = [municipality.rename("municipality"), "old_vintage", "new_vintage"]
    for (gm, older, newer), rows in mapping.groupby(keys, sort=True):
        kept = rows[rows["share"] > 0]
        dropped = ", ".join(
            f"{int((rows['status'] == status).sum())} {status}"
            for status in (SLIVER, UNINHABITED, OUTSIDE)
            if (rows["status"] == status).any()
        )
        lines.append(
            f"{gm} {MUNICIPALITIES.get(str(gm), '')}: {rows['old_code'].nunique()} districts of "
            f"{older} onto {kept['new_code'].nunique()} of {newer}, {rows['method'].iloc[0]}"
            + (f"; parts: {dropped}" if dropped else "")
        )
        for old_code, parts in kept.groupby("old_code", sort=True):
            if len(parts) > 1 or str(parts["new_code"].iloc[0]) != str(old_code):
                onto = ", ".join(
                    f"{'outside' if pd.isna(n) else n} {s:.1%}"
                    for n, s in zip(parts["new_code"], parts["share"], strict=True)
                )
                lines.append(f"  {old_code} ({older}) onto {onto} ({newer})")
    return lines
