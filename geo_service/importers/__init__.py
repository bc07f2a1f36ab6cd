"""Files in: parcels, zones, assessment and protected areas, infrastructure (GeoPandas/pyogrio)."""

from geo_service.importers.service import KINDS, ImportReport, run_import

__all__ = ["KINDS", "ImportReport", "run_import"]
