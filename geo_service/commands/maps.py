"""``geo-service map export readiness|investors|projects --out FILE.html``: a self-contained map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    map_app = typer.Typer(no_args_is_help=True, help="The interactive maps.")
    app.add_typer(map_app, name="map")

    @map_app.command("export")
    def export(
        name: Annotated[str, typer.Argument(help="readiness, investors or projects")],
        out_path: Annotated[Path, typer.Option("--out", help="the HTML file to write")],
        lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    ) -> None:
        """Write one map as a single HTML file with Leaflet and the data inlined (works offline)."""
        from geo_service.commands import err, friendly_errors, load_settings, open_engine, out
        from geo_service.db.engine import transaction
        from geo_service.errors import InvalidInput
        from geo_service.exports.service import check_out_path
        from geo_service.maps import data, pages
        from geo_service.maps.render import inline_assets
        from geo_service.projects.repository import ProjectFilter

        settings = load_settings()
        with friendly_errors():
            if name not in ("readiness", "investors", "projects"):
                raise InvalidInput(f"unknown map {name!r}; choose readiness, investors or projects")
            check_out_path(out_path)
            if out_path.suffix.lower() not in (".html", ".htm"):
                raise InvalidInput(f"--out {out_path} must end in .html")
            with transaction(open_engine(settings)) as s:
                if name == "readiness":
                    page = pages.readiness_page(
                        s, settings, filters=data.ReadinessFilter(), lang=lang, embed_all=True
                    )
                elif name == "investors":
                    page = pages.investors_page(
                        s, settings, filters=data.InvestorFilter(), lang=lang, embed_all=True
                    )
                else:
                    page = pages.projects_page(
                        s, settings, filters=ProjectFilter(rules=settings.projects), lang=lang
                    )
            html = inline_assets(page.html)
            tmp = out_path.with_suffix(out_path.suffix + ".tmp")
            try:
                tmp.write_text(html, encoding="utf-8")
                tmp.replace(out_path)
            except OSError as e:
                tmp.unlink(missing_ok=True)
                raise InvalidInput(f"--out {out_path}: cannot write there ({e.strerror})") from None
        out.print(f"wrote {out_path} ({len(html.encode()) / 1e6:.2f} MB)", highlight=False)
        err.print("the file needs no network except for base tiles (GEO_SERVICE_TILE_URL)")
