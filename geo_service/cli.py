"""The ``geo-service`` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from geo_service.commands import err, friendly_errors, load_settings, open_engine, out
from geo_service.settings import PROJECT_DIR, Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="The database: local cluster and schema.")
demo_app = typer.Typer(no_args_is_help=True, help="The demo district.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(token_app, name="token")


def _register_commands() -> None:
    """Domain command groups live in geo_service/commands/<name>.py, each with ``register(app)``."""
    import importlib
    import pkgutil

    import geo_service.commands as pkg

    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        module = importlib.import_module(f"geo_service.commands.{mod}")
        module.register(app)


# the tools every command shares (console, friendly errors, settings, engine) live in commands/;
# the old private names stay for command modules written against them
_settings = load_settings
_engine = open_engine


def _cluster_cfg(settings: Settings) -> Any:
    from geo_service.db import cluster

    return cluster.default_config(PROJECT_DIR, port=settings.db_port)


# ---------------------------------------------------------------- db


@db_app.command("up")
def db_up() -> None:
    """Start the project-local PostGIS (creating it the first time); print its URL."""
    from geo_service.db import cluster

    settings = _settings()
    with friendly_errors():
        url = cluster.up(_cluster_cfg(settings))
    # the whole URL, usable as GEO_SERVICE_DATABASE_URL or with psql (postgresql://…)
    out.print(url, highlight=False, soft_wrap=True)


@db_app.command("down")
def db_down() -> None:
    """Stop the project-local PostGIS (its data is kept)."""
    from geo_service.db import cluster

    with friendly_errors():
        cluster.down(_cluster_cfg(_settings()))
    out.print("stopped")


@db_app.command("status")
def db_status() -> None:
    """Whether the local PostGIS runs, where, and whether the schema is current."""
    from geo_service.db import cluster

    settings = _settings()
    with friendly_errors():
        st = cluster.status(_cluster_cfg(settings))
    out.print(f"local cluster: {'running' if st.running else 'stopped'} (port {st.port})")
    out.print(f"data folder:   {st.data_dir}")
    if st.url:
        out.print(f"url:           {_redact(st.url)}", highlight=False)
    if settings.database_url:
        out.print(f"in use:        {_redact(settings.database_url)} (GEO_SERVICE_DATABASE_URL)")
    if not st.running and not settings.database_url:
        raise typer.Exit(3)


@db_app.command("migrate")
def db_migrate() -> None:
    """Bring the schema to the latest version (idempotent)."""
    from geo_service.db import migrate
    from geo_service.db.engine import make_engine

    settings = _settings()
    with friendly_errors():
        before, after = migrate.upgrade(make_engine(settings))
    out.print(f"schema: {before or 'empty'} → {after}" if before != after else f"schema: {after}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------- demo


@demo_app.command("load")
def demo_load(
    directory: Annotated[Path | None, typer.Option(help="folder of the demo files")] = None,
) -> None:
    """Load the demo district (idempotent), then check its readiness."""
    from geo_service.demo.load import load_demo

    settings = _settings()
    with friendly_errors():
        engine = _engine(settings)
        with out.status("loading the demo district…") as status:
            counts = load_demo(
                engine,
                directory or settings.demo_dir,
                progress=lambda m: status.update(f"loading {m}…"),
                boundary=settings.district_boundary,
            )
    out.print("loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    _after_demo_load(settings, engine)


def _after_demo_load(settings: Settings, engine: Any) -> None:
    """Check the readiness of the freshly loaded parcels."""
    from geo_service.db.engine import analyze
    from geo_service.demo.load import DEMO_DATE, demo_as_of
    from geo_service.readiness.engine import run_readiness

    as_of = demo_as_of()
    with friendly_errors():
        summary = run_readiness(engine, settings=settings, actor="cli:demo", as_of=as_of)
        analyze(engine)  # the maps and stats are planned on the loaded data from the start
    out.print(f"readiness: {summary}")
    if as_of == DEMO_DATE:
        out.print(
            f"  (judged as of {DEMO_DATE:%Y-%m-%d}, the demo's own date; "
            "`geo-service readiness run` judges it as of today)",
            highlight=False,
        )


# ---------------------------------------------------------------- tokens


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="bureau, official or investor")],
    name: Annotated[str, typer.Option(help="who or what holds the token")],
    county: Annotated[
        str | None, typer.Option(help="scope it to one county (division code); default: city")
    ] = None,
) -> None:
    """Create an API token and print it ONCE (only its hash is kept)."""
    from geo_service.auth.tokens import create_token
    from geo_service.db.engine import transaction

    settings = _settings()
    with friendly_errors(), transaction(_engine(settings)) as s:
        secret = create_token(s, role=role, name=name, actor="cli", county=county)
    out.print(secret, highlight=False)
    where = f"county {county}" if county else "the whole city"
    err.print(f"token for {name!r} ({role}, {where}); keep it: it is not shown again")


@token_app.command("list")
def token_list() -> None:
    """List tokens (names, roles, dates; never secrets)."""
    from geo_service.auth.tokens import list_tokens
    from geo_service.db.engine import transaction

    settings = _settings()
    with friendly_errors(), transaction(_engine(settings)) as s:
        for t in list_tokens(s):
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
            used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
            out.print(
                f"{t.name}\t{t.role}\t{t.county or 'city'}\t"
                f"created {t.created_at:%Y-%m-%d %H:%M}\t{used}\t{state}",
                highlight=False,
            )


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Option(help="the token's name")]) -> None:
    """Revoke the live tokens with this name."""
    from geo_service.auth.tokens import revoke_token
    from geo_service.db.engine import transaction

    settings = _settings()
    with friendly_errors(), transaction(_engine(settings)) as s:
        n = revoke_token(s, name=name, actor="cli")
    out.print(f"revoked {n} token(s)")


# ---------------------------------------------------------------- serve


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="port")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
) -> None:
    """Serve the HTTP API and the maps."""
    import uvicorn

    settings = _settings()
    h, p = host or settings.host, port or settings.port
    out.print(f"serving http://{h}:{p}  (docs: http://{h}:{p}/docs)")
    for path, who in (
        ("/maps/readiness", "land bureau"),
        ("/maps/investors", "investors"),
        ("/maps/projects", "officials"),
    ):
        out.print(f"  {who:12} http://{h}:{p}{path}")
    out.print(
        "  staff maps need a token: geo-service token create --role bureau|official --name NAME,"
        f" then sign in at http://{h}:{p}/maps/login"
    )
    uvicorn.run(
        "geo_service.api.app:create_app",
        factory=True,
        host=h,
        port=p,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def main() -> None:
    _register_commands()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
