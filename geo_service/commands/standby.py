"""``geo-service db standby up|down|status``: a streaming hot standby of the local cluster.

For trying the read replica on one machine (docs/replica.md): ``up`` copies the running local
cluster with ``pg_basebackup -R`` (the first time), starts the copy streaming on its own port and
prints its URL, to use as ``GEO_SERVICE_READ_REPLICA_URL``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

standby_app = typer.Typer(
    no_args_is_help=True, help="A streaming hot standby of the local cluster (a read replica)."
)

PortOpt = Annotated[
    int | None,
    typer.Option(
        "--port",
        envvar="GEO_SERVICE_DB_STANDBY_PORT",
        help="the standby's port (default: the cluster's port + 20)",
        min=1024,
        max=65535,
    ),
]


def register(app: typer.Typer) -> None:
    # the ``db`` group of the app we are given (geo_service.cli may run as __main__)
    for group in app.registered_groups:
        if group.name == "db" and group.typer_instance is not None:
            group.typer_instance.add_typer(standby_app, name="standby")


def _configs(port: int | None) -> tuple[Any, Any]:
    from geo_service.commands import load_settings
    from geo_service.db import cluster, standby
    from geo_service.settings import PROJECT_DIR

    primary = cluster.default_config(PROJECT_DIR, port=load_settings().db_port)
    return primary, standby.config(primary, port or primary.port + 20)


@standby_app.command("up")
def standby_up(port: PortOpt = None) -> None:
    """Copy the running local cluster (first time), start the copy streaming; print its URL."""
    from geo_service.commands import friendly_errors, out
    from geo_service.db import standby

    with friendly_errors():
        primary, cfg = _configs(port)
        url = standby.up(primary, cfg)
    out.print(url, highlight=False, soft_wrap=True)


@standby_app.command("down")
def standby_down(
    port: PortOpt = None,
    delete: Annotated[
        bool, typer.Option("--delete", help="also delete the copy and its replication slot")
    ] = False,
) -> None:
    """Stop the standby (its copy is kept and catches up at the next `up`, unless --delete)."""
    from geo_service.commands import friendly_errors, out
    from geo_service.db import standby

    with friendly_errors():
        primary, cfg = _configs(port)
        if delete:
            standby.destroy(primary, cfg)
        else:
            standby.down(cfg)
    out.print("deleted" if delete else "stopped")


@standby_app.command("status")
def standby_status(port: PortOpt = None) -> None:
    """Whether the standby runs and streams, and how many bytes of WAL it is behind."""
    from geo_service.commands import friendly_errors, out
    from geo_service.db import standby

    with friendly_errors():
        primary, cfg = _configs(port)
        st = standby.status(primary, cfg)
    out.print(f"standby:       {'running' if st.running else 'stopped'} (port {st.port})")
    out.print(f"data folder:   {st.data_dir}")
    if st.running:
        out.print(f"in recovery:   {st.in_recovery}  replay paused: {st.replay_paused}")
        out.print(f"lag:           {st.lag_bytes} bytes of WAL")
    else:
        raise typer.Exit(3)
