"""District maps as inline SVG, drawn on the server from the stored WGS84 boundaries.

No map library and nothing fetched: the page carries the drawing itself.

- **Projection.** Equirectangular around the map's middle latitude (``x = lon · cos φ0``,
  ``y = −lat``), scaled to fit the drawing. Over the extent of a municipality or of the H10
  region (some 30 km) the distortion against a conformal projection stays well under a pixel.
- **Size.** After projection, a point closer than :data:`MIN_STEP` pixels to the last point kept
  is dropped, and coordinates are written with one decimal: Den Haag's 2023 boundaries shrink
  from some 650 kB of GeoJSON to a few tens of kB of SVG.
- **Areas.** Districts are shaded by their area's value; the areas' outlines (the union of their
  districts, by shapely) are drawn over them, with a label at each area's pole of
  inaccessibility (``polylabel``) giving its short name and value.
- **Colour.** A sequential scale of one hue whose lightness falls with the value
  (:data:`RAMP`), so its order survives greyscale printing and colour-blind reading; every
  class also has its own pattern, and every area its value written on it, so nothing depends on
  colour alone. :func:`relative_luminance` is what the tests check the order with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel, unary_union

__all__ = [
    "NO_DATA_FILL",
    "RAMP",
    "MapArea",
    "MapShape",
    "Scale",
    "ScaleClass",
    "legend_swatch",
    "relative_luminance",
    "render_map",
    "sequential_scale",
]

#: Light to dark, one hue (from ColorBrewer "Blues"): lightness falls monotonically, each step
#: at least 1.4 times darker than the last by the WCAG contrast formula.
RAMP = ("#deebf7", "#9ecae1", "#4292c6", "#08519c", "#08214a")
#: Marks drawn over each class: none, dots, diagonal lines, crossing lines, dense dots.
PATTERNS = ("none", "dots", "diagonal", "cross", "grid")
NO_DATA_FILL = "#f2f2f2"
MIN_STEP = 0.7  # px
MAX_CLASSES = len(RAMP)

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class MapShape:
    """One district: its code, name, the area it belongs to, and its GeoJSON geometry."""

    code: str
    name: str
    area: str
    geometry: Mapping[str, Any]


@dataclass(frozen=True)
class MapArea:
    """What an area shows: a short label on the map, a title, its value and that value as text."""

    code: str
    label: str
    title: str
    value: float | None
    value_text: str


@dataclass(frozen=True)
class ScaleClass:
    index: int
    lower: float
    upper: float
    fill: str
    pattern: str
    label: str


@dataclass(frozen=True)
class Scale:
    """Classes of equal width between the lowest and the highest value shown."""

    classes: tuple[ScaleClass, ...]
    unit: str

    def class_of(self, value: float | None) -> ScaleClass | None:
        if value is None or not self.classes:
            return None
        for c in self.classes:
            if value < c.upper:
                return c
        return self.classes[-1]


def sequential_scale(
    values: Iterable[float | None],
    fmt: Callable[[float], str],
    unit: str,
    n_classes: int = MAX_CLASSES,
) -> Scale:
    """At most ``n_classes`` classes of equal width over the values given (None: no data).

    The scale is built from the values shown and nothing else, so its breaks reveal nothing
    about areas that are not on the map. Fewer distinct values give fewer classes, spread over
    the whole ramp so neighbouring classes stay far apart in lightness.
    """
    known = sorted({float(v) for v in values if v is not None and math.isfinite(v)})
    if not known:
        return Scale(classes=(), unit=unit)
    # Values that read the same once formatted are one value to the reader.
    k = max(1, min(n_classes, MAX_CLASSES, len({fmt(v) for v in known})))
    low, high = known[0], known[-1]
    if k == 1:
        shade = [len(RAMP) // 2]
    elif k == MAX_CLASSES:
        shade = list(range(MAX_CLASSES))
    else:  # leave out the palest shade, which reads as "no data" on a white page
        shade = [round(1 + i * (len(RAMP) - 2) / (k - 1)) for i in range(k)]
    width = (high - low) / k if k > 1 else 0.0
    classes = []
    for i in range(k):
        lower = low + i * width
        upper = high if i == k - 1 else low + (i + 1) * width
        label = fmt(low) if k == 1 else f"{fmt(lower)} – {fmt(upper)}"
        classes.append(
            ScaleClass(
                index=i,
                lower=lower,
                upper=upper,
                fill=RAMP[shade[i]],
                pattern=PATTERNS[shade[i]],
                label=label,
            )
        )
    return Scale(classes=tuple(classes), unit=unit)


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` (0 black … 1 white)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _mark(fill: str) -> str:
    """Pattern marks that stand out on ``fill``: dark on light classes, white on dark ones."""
    return "#08306b" if relative_luminance(fill) > 0.3 else "#ffffff"


def _pattern_defs(prefix: str, scale: Scale) -> str:
    parts = []
    for c in scale.classes:
        mark = _mark(c.fill)
        body = f'<rect width="8" height="8" fill="{c.fill}"/>'
        if c.pattern == "dots":
            body += f'<circle cx="4" cy="4" r="1.1" fill="{mark}"/>'
        elif c.pattern == "diagonal":
            body += (
                f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{mark}" stroke-width="1"/>'
            )
        elif c.pattern == "cross":
            body += (
                f'<path d="M0,8 l8,-8 M0,0 l8,8" stroke="{mark}" stroke-width="0.9" '
                'stroke-opacity="0.9"/>'
            )
        elif c.pattern == "grid":
            body += (
                f'<circle cx="2" cy="2" r="1.1" fill="{mark}"/>'
                f'<circle cx="6" cy="6" r="1.1" fill="{mark}"/>'
            )
        parts.append(
            f'<pattern id="{prefix}-c{c.index}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse">{body}</pattern>'
        )
    parts.append(
        f'<pattern id="{prefix}-none" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{NO_DATA_FILL}"/>'
        '<path d="M0,6 l6,-6" stroke="#767676" stroke-width="0.6"/></pattern>'
    )
    return "".join(parts)


def legend_swatch(prefix: str, scale_class: ScaleClass | None) -> Markup:
    """A small square filled like the map class (or "no data"), for an HTML legend."""
    fill = f"url(#{prefix}-c{scale_class.index})" if scale_class else f"url(#{prefix}-none)"
    return Markup(
        '<svg class="swatch" width="28" height="18" viewBox="0 0 28 18" aria-hidden="true" '
        'focusable="false">'
        f'<rect x="0.5" y="0.5" width="27" height="17" fill="{fill}" stroke="#333" '
        'stroke-width="1"/></svg>'
    )


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[Sequence[float]]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coords]
    if kind == "MultiPolygon":
        return list(coords)
    raise ValueError(f"a district boundary must be a Polygon or MultiPolygon, not {kind!r}")


@dataclass(frozen=True)
class _Frame:
    """The projection of one map: lon/lat to SVG pixels."""

    k: float
    min_x: float
    max_y: float
    s: float
    pad: float

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.pad + (lon * self.k - self.min_x) * self.s,
            self.pad + (self.max_y - lat) * self.s,
        )


def _frame(
    shapes: Sequence[MapShape], width: float, max_height: float, pad: float
) -> tuple[_Frame, float]:
    lons: list[float] = []
    lats: list[float] = []
    for shape in shapes:
        for polygon in _polygons(shape.geometry):
            for ring in polygon:
                for point in ring:
                    lons.append(float(point[0]))
                    lats.append(float(point[1]))
    if not lons:
        raise ValueError("no district boundary to draw")
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * k, 1e-9)
    span_y = max(max(lats) - min(lats), 1e-9)
    s = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
    height = span_y * s + 2 * pad
    return _Frame(k=k, min_x=min(lons) * k, max_y=max(lats), s=s, pad=pad), height


def _thin(ring: Ring) -> Ring:
    """Drop points closer than :data:`MIN_STEP` to the last one kept (the ring stays closed)."""
    if len(ring) < 4:
        return ring
    kept = [ring[0]]
    for x, y in ring[1:-1]:
        lx, ly = kept[-1]
        if (x - lx) ** 2 + (y - ly) ** 2 >= MIN_STEP**2:
            kept.append((x, y))
    kept.append(ring[-1])
    return kept


def _path(rings: Iterable[Ring]) -> str:
    parts = []
    for ring in rings:
        thin = _thin(ring)
        if len(thin) < 4:
            continue
        head = f"M{thin[0][0]:.1f},{thin[0][1]:.1f}"
        parts.append(head + "L" + " ".join(f"{x:.1f},{y:.1f}" for x, y in thin[1:-1]) + "Z")
    return "".join(parts)


def _geometry_rings(geom: Any) -> list[Ring]:
    polygons = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    rings: list[Ring] = []
    for polygon in polygons:
        if not isinstance(polygon, Polygon) or polygon.is_empty:
            continue
        rings.append([(float(x), float(y)) for x, y in polygon.exterior.coords])
        rings.extend([(float(x), float(y)) for x, y in hole.coords] for hole in polygon.interiors)
    return rings


def _polygonal(geom: Any) -> Any:
    """Only the polygons of a geometry (a union can add stray lines where borders touch)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    return unary_union(parts) if parts else Polygon()


# ---------------------------------------------------------------------------------------------
# The map
# ---------------------------------------------------------------------------------------------


def render_map(
    shapes: Sequence[MapShape],
    areas: Sequence[MapArea],
    scale: Scale,
    *,
    prefix: str,
    title: str,
    description: str,
    width: float = 640,
    max_height: float = 560,
) -> Markup:
    """The districts of ``shapes``, shaded by their area's class of ``scale``, as an SVG.

    ``prefix`` keeps the ids of the patterns unique when a page holds more than one map; the
    HTML legend (:func:`legend_swatch`) refers to the same patterns.
    """
    frame, height = _frame(shapes, width, max_height, pad=8.0)
    by_code = {a.code: a for a in areas}
    projected: dict[str, list[Any]] = {}
    district_paths = []
    for shape in shapes:
        area = by_code.get(shape.area)
        polygons = []
        for polygon in _polygons(shape.geometry):
            rings = [[frame(float(p[0]), float(p[1])) for p in ring] for ring in polygon]
            if rings and len(rings[0]) >= 4:
                polygons.append(Polygon(rings[0], rings[1:]).buffer(0))
        if not polygons:
            continue
        projected.setdefault(shape.area, []).extend(polygons)
        cls = scale.class_of(area.value if area else None)
        fill = f"url(#{prefix}-c{cls.index})" if cls else f"url(#{prefix}-none)"
        rings = [r for p in polygons for r in _geometry_rings(p)]
        value = f": {area.value_text}" if area else ""
        tooltip = f"{shape.name} ({shape.code}), {area.title if area else shape.area}{value}"
        district_paths.append(
            f'<path d="{_path(rings)}" fill="{fill}" fill-rule="evenodd" class="district">'
            f"<title>{escape(tooltip)}</title></path>"
        )
    outlines = []
    labels = []
    for code, polygons in projected.items():
        area = by_code.get(code)
        union = _polygonal(unary_union(polygons).buffer(0))
        if union.is_empty:
            continue
        outlines.append(f'<path d="{_path(_geometry_rings(union.simplify(0.4)))}"/>')
        if area is None:
            continue
        largest = max(getattr(union, "geoms", [union]), key=lambda g: g.area)
        spot = polylabel(largest, tolerance=0.5)
        x, y = float(spot.x), float(spot.y)
        labels.append(
            f'<text x="{x:.1f}" y="{y - 3:.1f}" class="area-label">'
            f'<tspan x="{x:.1f}" class="area-label-name">{escape(area.label)}</tspan>'
            f'<tspan x="{x:.1f}" dy="1.15em">{escape(area.value_text)}</tspan></text>'
        )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
        f"<defs>{_pattern_defs(prefix, scale)}</defs>"
        f'<g class="districts" stroke="#ffffff" stroke-width="0.6">{"".join(district_paths)}</g>'
        f'<g class="area-outlines" fill="none" stroke="#1a1a1a" stroke-width="2" '
        f'stroke-linejoin="round">{"".join(outlines)}</g>'
        f'<g class="area-labels" text-anchor="middle">{"".join(labels)}</g>'
        "</svg>"
    )
