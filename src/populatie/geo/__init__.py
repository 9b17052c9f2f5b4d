"""Reading, validating and deriving the H10 district geodata (CBS, EPSG:28992).

Pure of the database: functions take a folder or frames and return frames and values; the
database loader stores what :func:`load_geodata` returns.
"""

from populatie.geo.dataset import (
    GeoDataset,
    load_geodata,
    newest_shapes,
    require_figures,
    shapes_geojson,
)
from populatie.geo.derive import PROJECTED_INDICATORS
from populatie.geo.indicators import FIELDS_2019, FIELDS_2024, FIGURE_COLUMNS
from populatie.geo.readers import DATA_FILES, content_hash
from populatie.geo.region import MUNICIPALITIES, PROJECTED_CRS, municipalities_frame
from populatie.geo.validate import (
    TOLERANCE_M,
    repair_geometries,
    validate_crs,
    validate_district_list,
    validate_figures,
    validate_shapes,
)

__all__ = [
    "DATA_FILES",
    "FIELDS_2019",
    "FIELDS_2024",
    "FIGURE_COLUMNS",
    "MUNICIPALITIES",
    "PROJECTED_CRS",
    "PROJECTED_INDICATORS",
    "TOLERANCE_M",
    "GeoDataset",
    "content_hash",
    "load_geodata",
    "municipalities_frame",
    "newest_shapes",
    "repair_geometries",
    "require_figures",
    "shapes_geojson",
    "validate_crs",
    "validate_district_list",
    "validate_figures",
    "validate_shapes",
]
