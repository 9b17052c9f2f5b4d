"""How long mapping districts across boundary vintages takes, against a bare geopandas overlay.

Run from the repository root::

    python -m bench.bench_boundaries [--repeats 5] [--shift 137 -89]

Two cases on the shipped CBS boundaries (EPSG:28992):

- **2016 vs 2023**: the 67 districts of 2016 against the 72 of 2023 of the four
  municipalities that have both maps ('s-Gravenhage, Leidschendam-Voorburg, Rijswijk,
  Wassenaar); the 2023 map is full resolution (about 35,000 vertices), so this is the heavy one;
- **2016 vs 2016 shifted**: all 120 districts of the ten municipalities against the same map
  moved by ``--shift`` metres, so every district straddles its neighbours.

"Mapping" is :func:`populatie.geo.harmonise.boundary_mapping` on the two frames: the overlap
matrix, the shares, the sliver rule and all the checks. "Overlay" is the bare
``geopandas.overlay(old, new, how="intersection")`` on the same frames, which computes the
intersection geometries and nothing else. Both see the same frames in the same run; the ratio
says what the shares and the checks cost on top of (or save against) the overlay. The load
computes the mapping per municipality, which is also timed for the first case.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np

from populatie.geo import load_geodata
from populatie.geo.harmonise import boundary_mapping, vintage_mappings

GEODATA = Path(__file__).resolve().parents[1] / "geodata"
BOTH_VINTAGES = ("GM0518", "GM0603", "GM0629", "GM1916")
WATER_ONLY = {2023: ["WK051899", "WK062999"]}
TARGET_RATIO = 2.0
TARGET_LOAD_S = 2.0


def _overlay(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.overlay(
        old[["district_code", "geometry"]],
        new[["district_code", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )


def best_s(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best single call of each, alternating, so all meet the same background load."""
    for call in calls.values():
        call()  # warm the spatial indexes and lazy imports
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _same_intersections(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> tuple[int, float]:
    """Both compute the same overlaps: pieces and total area agree (or the bench is void)."""
    mapping = boundary_mapping(old, new, sliver_share=0.0)
    inside = mapping[mapping["new_code"].notna()]
    overlay = _overlay(old, new)
    areas = overlay.area.to_numpy()
    if len(inside) != int(np.count_nonzero(areas > 0)):
        raise SystemExit(f"pieces differ: mapping {len(inside)}, overlay {len(overlay)}")
    total, reference = float(inside["area_m2"].sum()), float(areas.sum())
    if abs(total - reference) > 1e-6 * reference:
        raise SystemExit(f"overlap areas differ: mapping {total:.1f} m², overlay {reference:.1f}")
    return len(inside), total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--shift", type=float, nargs=2, default=(137.0, -89.0), metavar=("DX", "DY")
    )
    args = parser.parse_args(argv)

    shapes = load_geodata(GEODATA).shapes
    four = shapes[shapes["municipality_code"].isin(BOTH_VINTAGES)]
    old_2016 = four[four["vintage"] == 2016].reset_index(drop=True)
    new_2023 = four[four["vintage"] == 2023].reset_index(drop=True)
    all_2016 = shapes[shapes["vintage"] == 2016].reset_index(drop=True)
    shifted = all_2016.copy()
    shifted["geometry"] = all_2016.geometry.translate(*args.shift)
    shifted["vintage"] = 2017

    ok = True
    cases = (
        ("2016 vs 2023, four municipalities", old_2016, new_2023),
        (f"2016 vs 2016 shifted {args.shift[0]:g},{args.shift[1]:g} m, all ten", all_2016, shifted),
    )
    for title, old, new in cases:
        pieces, area = _same_intersections(old, new)
        calls: dict[str, Callable[[], object]] = {
            "mapping": partial(boundary_mapping, old, new),
            "overlay": partial(_overlay, old, new),
        }
        best = best_s(calls, args.repeats)
        ratio = best["mapping"] / best["overlay"]
        print(
            f"{title}: {len(old)} onto {len(new)} districts, {pieces} overlapping pieces, "
            f"{area / 1e6:.2f} km²"
        )
        print(
            f"  boundary_mapping:       {best['mapping'] * 1000:8.1f} ms (best of {args.repeats})"
        )
        print(
            f"  bare geopandas.overlay: {best['overlay'] * 1000:8.1f} ms (best of {args.repeats})"
        )
        print(f"  ratio mapping/overlay:  {ratio:8.2f} x (target < {TARGET_RATIO} x)")
        ok = ok and ratio < TARGET_RATIO

    per_municipality = best_s(
        {"load": lambda: vintage_mappings(shapes, uninhabited=WATER_ONLY)}, args.repeats
    )["load"]
    print(
        f"as the load runs it (per municipality, every pair of vintages): "
        f"{per_municipality * 1000:.1f} ms (target < {TARGET_LOAD_S * 1000:.0f} ms)"
    )
    ok = ok and per_municipality < TARGET_LOAD_S
    print("within target" if ok else "OUTSIDE TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
