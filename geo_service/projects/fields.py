"""The one list of a project's own fields, read from its table (``models.Project``).

Everything else that names them derives from this: the upsert (``writes``), the edit snapshots in
the audit log (``edits``), the ledger file's columns (``ledger/columns.py``, which adds the headers
and the location/parcel columns; a test checks the two agree) and the API bodies (``schemas``).
"""

from __future__ import annotations

from geo_service.projects.models import Project

#: the table's columns that are not a project's own fields: bookkeeping, the code (the key), the
#: location and the parcel link (each written its own way), the county (the transaction's, by the
#: column's default: see geo_service.counties)
NOT_FIELDS = frozenset(
    {"id", "code", "county", "geom", "parcel_id", "version", "created_at", "updated_at"}
)

#: name, year, domain, … source_region, in the table's order
PROJECT_FIELDS: tuple[str, ...] = tuple(
    c.name for c in Project.__table__.columns if c.name not in NOT_FIELDS
)

#: the ledger's columns that are not fields: the code and how the location and parcel are given
LINK_COLUMNS = ("code", "parcel_code", "lon", "lat")

#: fields the API never takes in a body: money done is the sum of the monthly reports
NOT_IN_BODIES = frozenset({"completed_wan"})
