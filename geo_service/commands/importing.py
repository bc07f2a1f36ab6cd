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
) -> None:
    from geo_service.cli import _engine, _settings, err, friendly_errors, out
    from geo_service.importers import run_import

    settings = _settings()
    with friendly_errors():
        engine = _engine(settings)
        with out.status(f"importing {file.name}…") as status:
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


@import_app.command("parcels")
def import_parcels(
    file: FileArg,
    crs: CrsOpt = None,
    layer: LayerOpt = None,
    dry_run: DryOpt = False,
    repair: RepairOpt = False,
) -> None:
    """Parcels (标准地): polygons, or a 界址点 table (code, ring, point, X north, Y east)."""
    _run("parcels", file, crs=crs, layer=layer, dry_run=dry_run, repair=repair)


@import_app.command("zones")
def import_zones(
    file: FileArg,
    crs: CrsOpt = None,
    layer: LayerOpt = None,
    dry_run: DryOpt = False,
    repair: RepairOpt = False,
) -> None:
    """Zones (园区) the parcels belong to."""
    _run("zones", file, crs=crs, layer=layer, dry_run=dry_run, repair=repair)


@import_app.command("assessments")
def import_assessments(
    file: FileArg,
    crs: CrsOpt = None,
    layer: LayerOpt = None,
    dry_run: DryOpt = False,
    repair: RepairOpt = False,
) -> None:
    """Regional assessment areas (区域评估) with kind and validity dates."""
    _run("assessments", file, crs=crs, layer=layer, dry_run=dry_run, repair=repair)


@import_app.command("protected")
def import_protected(
    file: FileArg,
    crs: CrsOpt = None,
    layer: LayerOpt = None,
    dry_run: DryOpt = False,
    repair: RepairOpt = False,
) -> None:
    """Basic farmland (基本农田) and ecological red lines (生态红线)."""
    _run("protected", file, crs=crs, layer=layer, dry_run=dry_run, repair=repair)


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
    )
