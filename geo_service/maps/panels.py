"""The HTML around the maps (title, filters, legend, result list, figures, plot sheet, errors)
from Jinja2 templates in ``templates/`` with autoescape on: every value is escaped where it is
written, whoever passed it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jinja2

from geo_service.counties import scope as county_scope
from geo_service.maps.definitions import MapDefinition
from geo_service.maps.page import lang_link


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("geo_service.maps", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mu"] = mu
    return env


def panel(name: str, **context: Any) -> str:
    """Render ``templates/<name>.html`` with ``context`` (values raw; the template escapes)."""
    return _env().get_template(f"{name}.html").render(**context)


def mu(value: Any) -> str:
    """亩 as shown to people: always 2 decimals."""
    return "" if value is None or value == "" else f"{float(value):.2f}"


def title_panel(
    defn: MapDefinition,
    path: str,
    query: Mapping[str, Any],
    *,
    subtitle: str = "",
    links: list[dict[str, str]] | None = None,
    note: str = "",
) -> str:
    return panel(
        "title",
        title=defn.title,
        lang_href=lang_link(defn, path, query),
        lang_label=defn.label("language"),
        print_label=defn.label("print"),
        links=links or [],
        subtitle=subtitle,
        note=note,
    )


def filters_note(defn: MapDefinition, fields: list[dict[str, Any]], printed: str) -> str:
    """What a print says about itself: the filters chosen (their labels and shown values) and
    the day it was printed."""
    chosen = []
    for f in fields:
        cur = f.get("current")
        if f.get("kind") not in ("select", "number") or cur in (None, ""):
            continue
        shown = next((t for v, t in f.get("options", []) if str(v) == str(cur)), cur)
        chosen.append(f"{f['label']} {shown}")
    sep = "；" if defn.lang == "zh" else "; "
    head = f"{defn.label('filters')}{defn.label('colon')}{sep.join(chosen)}" if chosen else ""
    return sep.join(x for x in (head, f"{defn.label('printed')} {printed}") if x)


def filters_panel(
    defn: MapDefinition,
    path: str,
    fields: list[dict[str, Any]],
    *,
    filtered: bool,
    cls: str = "gs-filters",
    keep: Mapping[str, Any] | None = None,
) -> str:
    """The filter form; ``keep`` holds query values that are not fields but must survive
    pressing 应用 (the projects map's ``as_of``), sent as hidden inputs when set."""
    hidden = [("lang", "en")] if defn.lang == "en" else []
    hidden += [(k, str(v)) for k, v in (keep or {}).items() if v not in (None, "")]
    county = county_scope.current()  # the county the page is walled to stays chosen
    has_field = any(f.get("name") == "county" for f in fields)  # the switcher
    if county is not None and "county" not in (keep or {}) and not has_field:
        hidden.append(("county", county))
    reset = path + ("?lang=en" if defn.lang == "en" else "")
    return panel(
        "filters",
        cls=cls,
        action=path,
        heading=defn.label("filters"),
        fields=fields,
        hidden=hidden,
        all_label=defn.label("all"),
        apply_label=defn.label("apply"),
        reset_href=reset if filtered else "",
        reset_label=defn.label("reset"),
    )


def county_csv(stem: str, *, filtered: bool = False, lang: str = "zh") -> str:
    """A list's CSV file name: one county's is named for it, as the API's export
    (``readiness-411625.csv``); the whole city's is ``readiness.csv``; a filtered list's says
    so and an English page's ends ``-en`` (``readiness-411625-filtered-en.csv``), so the full
    list and a filtered one, or the Chinese and the English, are not saved as one name."""
    county = county_scope.current()
    parts = [stem, county or "", "filtered" if filtered else "", "" if lang == "zh" else lang]
    return "-".join(p for p in parts if p) + ".csv"


def results_panel(
    defn: MapDefinition,
    *,
    columns: list[str],
    rows: list[list[Any]],
    count: int,
    csv_name: str,
    heading: str | None = None,
    compact: bool = False,
    csv_only: int = 0,
) -> str:
    """The list beside a map; its last ``csv_only`` columns go into the CSV only (hidden on
    screen and in print)."""
    more = defn.label("more").replace("{n}", str(len(rows))) if count > len(rows) else ""
    return panel(
        "results",
        heading=heading or defn.label("results"),
        count=count,
        columns=columns,
        rows=rows,
        more=more,
        empty=defn.label("none_found"),
        csv_label=defn.label("csv"),
        csv_name=csv_name,
        compact=compact,
        shown=len(columns) - csv_only,
    )
