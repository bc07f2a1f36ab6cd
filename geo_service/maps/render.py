"""The maps' public face, for routes, the export command and tests: one import for each map.

Each map lives in its own module (``readiness_map``, ``investor_map``, ``project_map``); the page
around them in ``page``; panels in ``panels`` (Jinja2 templates, autoescaped); the JSON that
reaches the browser is escaped by ``layers``. No database access in any of them.
"""

from __future__ import annotations

from geo_service.maps.investor_map import investor_props, render_investors, render_plot_sheet
from geo_service.maps.layers import esc, escape_tree
from geo_service.maps.page import STATIC_DIR, Page, inline_assets
from geo_service.maps.project_map import render_projects
from geo_service.maps.readiness_map import readiness_props, render_readiness

__all__ = [
    "STATIC_DIR",
    "Page",
    "esc",
    "escape_tree",
    "inline_assets",
    "investor_props",
    "readiness_props",
    "render_investors",
    "render_plot_sheet",
    "render_projects",
    "render_readiness",
]
