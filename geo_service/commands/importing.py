"""``geo-service import parcels|zones|assessments|protected|infrastructure FILE``.

The ``import`` group is :data:`import_app`; another domain adds its own command to it (the project
ledger's ``import projects``) with ``import_app.command("projects")(fn)`` from its own module.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

import_app = typer.Typer(
    no_args_is_help=True,
    help="Import land data: GeoJSON, GeoPackage, Shapefile (.shp/.zip), boundary-point CSV/XLSX.",
)

FileArg = Annotated[Path, typer.Argument(help="the file to import", show_default=False)]
CrsOpt = Annotated[
    str | None,
    typer.Option("--crs", help="coordinate system of the numbers, e.g. EPSG:4547 (sets/overrides)"),
]
LayerOpt = Annotated[
    str | None, typer.Option("--layer", help="GeoPackage layer or XLSX sheet to read")
]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="check and report; write nothing")]
CountyOpt = Annotated[
    str | None,
    typer.Option("--county", help="the county (division code) the rows belong to; default: home"),
]
RepairOpt = Annotated[
    bool, typer.Option("--repair", help="fix invalid shapes (make_valid); reports area changes")
]


def _run(
    kind: str,
    file: Path,
    *,
    crs: str | None,
    layer: str | None,
    dry_run: bool,
    repair: bool,
    infra_kind: str | None = None,
    county: str | None = None,
) -> None:
    from geo_service.commands import err, friendly_errors, load_settings, open_engine, out
    from geo_service.counties import scope
    from geo_service.importers import run_import

    settings = load_settings()
    with friendly_errors():
        engine = open_engine(settings)
        if county is not None:
            with engine.connect() as conn:
                from sqlalchemy.orm import Session

                scope.check_code(Session(conn), county, field="--county")
        with scope.scoped(county), out.status(f"importing {file.name}…") as status:
            report = run_import(
                engine,
                kind=kind,
                path=file,
                settings=settings,
                actor=f"cli:{getpass.getuser()}",
                crs=crs,
                layer=layer,
                dry_run=dry_run,
                repair=repair,
                infra_kind=infra_kind,
                progress=lambda m: status.update(f"{file.name}: {m}…"),
            )
    for line in report.lines():
        out.print(line, highlight=False)
    if report.problems:  # a dry run with problems: listed, and the exit code says so
        err.print(f"[red]{len(report.problems)} problem(s):[/red]", highlight=False)
        for p in report.problems[:200]:
            err.print(f"  - {p}", highlight=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")


#: the polygon layers and the help line of each: one command per layer, the same options
POLYGON_LAYERS = {
    "parcels": "Parcels (标准地): polygons, or a 界址点 table (code, ring, point, X = north).",
    "zones": "Zones (园区) the parcels belong to.",
    "assessments": "Regional assessment areas (区域评估) with kind and validity dates.",
    "protected": "Basic farmland (基本农田) and ecological red lines (生态红线).",
}


def _layer_command(kind: str, doc: str) -> None:
    def command(
        file: FileArg,
        crs: CrsOpt = None,
        layer: LayerOpt = None,
        dry_run: DryOpt = False,
        repair: RepairOpt = False,
        county: CountyOpt = None,
    ) -> None:
        _run(kind, file, crs=crs, layer=layer, dry_run=dry_run, repair=repair, county=county)

    command.__doc__ = doc
    import_app.command(kind)(command)


for _kind, _doc in POLYGON_LAYERS.items():
    _layer_command(_kind, _doc)


@import_app.command("infrastructure")
def import_infrastructure(
    file: FileArg,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="water, power or road for the whole file (else a column)"),
    ] = None,
    crs: CrsOpt = None,
    layer: LayerOpt = None,
    dry_run: DryOpt = False,
    repair: RepairOpt = False,
    county: CountyOpt = None,
) -> None:
    """Networks for the readiness checks: status, diameter_mm, voltage_kv, road_class."""
    _run(
        "infrastructure",
        file,
        crs=crs,
        layer=layer,
        dry_run=dry_run,
        repair=repair,
        infra_kind=kind,
        county=county,
    )
