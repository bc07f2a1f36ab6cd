"""Files out: parcels, projects and readiness for GIS and Excel users (GeoPandas/pyogrio)."""

from geo_service.exports.queries import WHATS
from geo_service.exports.service import FORMATS, export

__all__ = ["FORMATS", "WHATS", "export"]
