"""``geo-service export parcels|projects|readiness --format … --out PATH``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

export_app = typer.Typer(no_args_is_help=True, help="Files for GIS and Excel users.")

FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="geojson, gpkg, shp (--out x.shp: the Shapefile set; x.zip: one zip), kml, xlsx, csv",
    ),
]
OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="file to write; its folder must exist already")
]
CountyOpt = Annotated[
    str | None,
    typer.Option("--county", help="one county (division code); default: every county"),
]
PublicOpt = Annotated[
    bool, typer.Option("--public", help="only what the public may see (published, public fields)")
]


def _out_file(what: str, fmt: str, out_path: Path) -> Path:
    """The file to write for ``--out``; InvalidInput saying what is wrong with it."""
    from geo_service.errors import InvalidInput
    from geo_service.exports.service import check_out_path

    if fmt == "shp":
        if out_path.is_dir():
            out_path = out_path / f"{what}.zip"  # a folder: the zip goes into it
        elif out_path.suffix.lower() not in (".shp", ".zip"):
            raise InvalidInput(
                f"--out {out_path}: a Shapefile export is written as a .shp (with its .shx, .dbf, "
                ".prj and .cpg beside it) or as one .zip; end the name in .shp or .zip"
            )
    check_out_path(out_path)
    return out_path


def _run(
    what: str, fmt: str, out_path: Path, public: bool = False, county: str | None = None
) -> None:
    import pyogrio.errors

    from geo_service.commands import friendly_errors, load_settings, open_engine, out
    from geo_service.counties import scope
    from geo_service.errors import InvalidInput
    from geo_service.exports import FORMATS, export

    settings = load_settings()
    with friendly_errors():
        if fmt not in FORMATS:
            raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}")
        out_path = _out_file(what, fmt, out_path)
        engine = open_engine(settings)
        if county is not None:  # one county: the county wall scopes every query of the export
            from sqlalchemy.orm import Session

            with engine.connect() as conn:
                county = scope.check_code(Session(conn), county, field="--county")
        t0 = time.perf_counter()
        try:
            with scope.scoped(county), out.status(f"exporting {what}…"):
                n = export(
                    engine,
                    what=what,
                    fmt=fmt,
                    out=out_path,
                    public=public,
                    fields=settings.public_parcel_fields,
                    chunk_rows=settings.export_chunk_rows,
                )
        except (OSError, pyogrio.errors.DataSourceError) as e:
            reason = getattr(e, "strerror", None) or str(e).splitlines()[0]
            raise InvalidInput(f"--out {out_path}: cannot write there ({reason})") from None
    out.print(f"{n} {what} → {out_path} ({time.perf_counter() - t0:.1f} s)", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("parcels")
def export_parcels(
    fmt: FormatOpt, out_path: OutOpt, public: PublicOpt = False, county: CountyOpt = None
) -> None:
    """All parcels with their attributes, areas in m² and 亩, net-land flag."""
    _run("parcels", fmt, out_path, public, county)


@export_app.command("projects")
def export_projects(fmt: FormatOpt, out_path: OutOpt, county: CountyOpt = None) -> None:
    """The key-project list with investment figures and dates."""
    _run("projects", fmt, out_path, county=county)


@export_app.command("readiness")
def export_readiness(fmt: FormatOpt, out_path: OutOpt, county: CountyOpt = None) -> None:
    """Each parcel's five net-land conditions (通水 通电 通路 场地平整 权属清晰)."""
    _run("readiness", fmt, out_path, county=county)
