"""What the maps show, read from PostGIS in one set-based statement per layer.

Render code never touches the database: routes and the export command call these functions and
pass the plain dicts to :mod:`geo_service.maps.render`. Strings come back raw; the page escapes
them. One module per map (``readiness``, ``investors`` with ``fit``, ``projects``, ``supply``), the
search boxes in ``search``; ``common`` holds the SQL pieces they share.
"""

from geo_service.maps.data.common import AREA_MU, CATEGORY, CONDS, MU, NET_LAND
from geo_service.maps.data.fit import FitQuery, fit_sql
from geo_service.maps.data.investors import (
    AVAILABLE_WHERE,
    PUBLIC_GEOM,
    InvestorFilter,
    count_investor_parcels,
    investor_choices,
    investor_parcels,
    investor_where,
    locate_plot,
    plot_sheet,
    public_context,
    roads_near,
)
from geo_service.maps.data.projects import project_choices, projects
from geo_service.maps.data.readiness import (
    READINESS_STATUSES,
    ReadinessFilter,
    context_layers,
    count_readiness_parcels,
    readiness_list,
    readiness_parcel,
    readiness_parcels,
    readiness_where,
)
from geo_service.maps.data.search import search_parcels, search_projects

__all__ = [
    "AREA_MU", "AVAILABLE_WHERE", "CATEGORY", "CONDS", "MU", "NET_LAND", "PUBLIC_GEOM",
    "READINESS_STATUSES", "FitQuery", "InvestorFilter", "ReadinessFilter", "context_layers",
    "count_investor_parcels", "count_readiness_parcels", "fit_sql",
    "investor_choices", "investor_parcels", "investor_where", "locate_plot",
    "plot_sheet", "project_choices", "projects", "public_context", "readiness_list",
    "readiness_parcel", "readiness_parcels", "readiness_where", "roads_near", "search_parcels",
    "search_projects",
]  # fmt: skip
