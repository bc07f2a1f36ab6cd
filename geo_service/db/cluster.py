"""A project-local PostgreSQL + PostGIS cluster (``geo-service db up|down|status``).

The cluster has its own data folder and its own port (default 55432), listens on 127.0.0.1 only
and keeps its unix socket inside its state folder, so it never touches a PostgreSQL already
running on 5432.

Layout of ``state_dir``::

    data/           the cluster (initdb), mode 700
    run/            the unix socket (see ``socket_dir`` for very long paths)
    postgres.log    the server log
    password        the password of the ``geo_service`` role, mode 600
    setup-done      written once role, database and PostGIS exist

Running as root: the PostgreSQL server refuses to run as root, so ``initdb`` and ``pg_ctl`` run
as the ``postgres`` OS user (``runuser``), and the state folder lives under
``/var/lib/geo-service/`` (owned by ``postgres``) because the checkout itself may sit in a
folder that user cannot enter (e.g. ``/root/src``). Otherwise everything runs as the current
user and the state folder is ``<project>/.pgdata``.

Authentication: TCP connections (127.0.0.1) need the ``geo_service`` role's password
(scram-sha-256). The unix socket is ``trust`` for everybody, which is safe because the socket
folder is mode 700 and owned by the server's OS user: only that user (and root) can reach the
socket at all. We rely on that instead of ``peer`` because, as root, the admin connection comes
from root's process while the superuser role is ``postgres``, and peer auth would refuse it;
trust over a private socket folder works the same for root and non-root without spawning
``psql`` through ``runuser`` for every statement.

The ``geo_service`` role is a SUPERUSER of this local development cluster so that the service
and the tests can ``CREATE EXTENSION`` (PostGIS is not a trusted extension) and create
throw-away databases. Use ``GEO_SERVICE_DATABASE_URL`` with a less privileged role elsewhere.

The parts: ``cluster_config`` (configuration, names, the error), ``cluster_os`` (programs, users,
connections), ``cluster_server`` (state folder, initdb, start, set-up, pid, lock); this module is
the public face (``up``/``down``/``status``/``url``, throw-away databases) and re-exports the
helpers the standby (``db/standby.py``) and the commands use.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from psycopg import sql

from geo_service.db.cluster_config import (
    ADMIN_ROLE,
    DEFAULT_PORT,
    READY_TIMEOUT_S,
    ROOT_STATE_BASE,
    SERVER_OS_USER,
    ClusterConfig,
    ClusterError,
    ClusterStatus,
    check_name,
    socket_dir,
    validate_config,
)
from geo_service.db.cluster_os import (
    admin_connect,
    as_server_user,
    bin_dir,
    clear_dir,
    connect_url,
    is_root,
    pg_ctl,
    replace_database,
    run_command,
    server_user_ids,
    tail_log,
    url_for,
)
from geo_service.db.cluster_server import (
    initdb,
    locked,
    pid_file_port,
    prepare_state_dir,
    server_pid,
    setup,
    start_server,
)

__all__ = [
    "ADMIN_ROLE",
    "ClusterConfig",
    "ClusterError",
    "ClusterStatus",
    "DEFAULT_PORT",
    "READY_TIMEOUT_S",
    "ROOT_STATE_BASE",
    "SERVER_OS_USER",
    "admin_connect",
    "as_server_user",
    "bin_dir",
    "check_name",
    "clear_dir",
    "connect_url",
    "create_database",
    "default_config",
    "down",
    "drop_database",
    "initdb",
    "is_root",
    "locked",
    "pg_ctl",
    "pid_file_port",
    "prepare_state_dir",
    "replace_database",
    "run_command",
    "server_pid",
    "server_user_ids",
    "setup",
    "socket_dir",
    "start_server",
    "status",
    "tail_log",
    "up",
    "url",
    "url_for",
    "validate_config",
]


def default_config(project_dir: Path, port: int = DEFAULT_PORT) -> ClusterConfig:
    """The cluster of ``project_dir``: ``<project>/.pgdata``, or /var/lib/geo-service/… as root."""
    project = project_dir.resolve()
    if is_root():
        digest = hashlib.sha1(str(project).encode(), usedforsecurity=False).hexdigest()[:10]
        name = re.sub(r"[^A-Za-z0-9._-]", "_", project.name)[:32] or "project"
        return ClusterConfig(state_dir=ROOT_STATE_BASE / f"{name}-{digest}", port=port)
    return ClusterConfig(state_dir=project / ".pgdata", port=port)


def up(cfg: ClusterConfig) -> str:
    """Create (first time) and start the cluster if needed; return its SQLAlchemy URL."""
    validate_config(cfg)
    prepare_state_dir(cfg)
    with locked(cfg):
        pid = server_pid(cfg)
        if pid is not None and pid_file_port(cfg) not in (None, cfg.port):
            # Same cluster, but the port setting changed since it was started: move it.
            pg_ctl(cfg, "stop", "-m", "fast", "-w", "-t", "60")
            pid = None
        if pid is None:
            if not (cfg.data_dir / "PG_VERSION").is_file():
                initdb(cfg)
            start_server(cfg)
        if not (cfg.state_dir / "setup-done").is_file():
            setup(cfg)
        result = url(cfg)
    if result is None:  # pragma: no cover - setup writes both files
        raise ClusterError(f"the cluster in {cfg.state_dir} has no password file after set-up")
    return result


def down(cfg: ClusterConfig) -> None:
    """Stop the cluster if it runs (fast shutdown). Idempotent; keeps the data."""
    if not (cfg.data_dir / "PG_VERSION").is_file():
        return
    with locked(cfg):
        if server_pid(cfg) is None:
            return
        pg_ctl(cfg, "stop", "-m", "fast", "-w", "-t", "60")


def status(cfg: ClusterConfig) -> ClusterStatus:
    """Whether the cluster runs, and its URL, data folder, port and server pid."""
    pid = server_pid(cfg)
    port = (pid_file_port(cfg) if pid is not None else None) or cfg.port
    return ClusterStatus(
        running=pid is not None, url=url(cfg), data_dir=cfg.data_dir, port=port, pid=pid
    )


def url(cfg: ClusterConfig) -> str | None:
    """The SQLAlchemy URL of the cluster's database if it has been set up (does not start it)."""
    if not (cfg.state_dir / "setup-done").is_file():
        return None
    try:
        password = cfg.password_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise ClusterError(
            f"cannot read {cfg.password_file}: run as the user who ran `geo-service db up` "
            "(or as root)"
        ) from exc
    return url_for(cfg.user, password, cfg.port, cfg.database)


def create_database(target: ClusterConfig | str, name: str | None = None) -> str:
    """Create database ``name`` (default ``geo_test_<random>``) with PostGIS; return its URL.

    ``target`` is this cluster (the database is owned by ``cfg.user``) or the URL of any
    PostgreSQL role allowed to create databases (the database is owned by that role).
    """
    name = name or f"geo_test_{secrets.token_hex(6)}"
    check_name(name, "database name")
    if isinstance(target, ClusterConfig):
        cluster_url = url(target)
        if cluster_url is None or server_pid(target) is None:
            raise ClusterError(
                f"the local cluster in {target.state_dir} is not running: run `geo-service db up`"
            )
        with admin_connect(target) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(name), sql.Identifier(target.user)
                )
            )
        with admin_connect(target, dbname=name) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return replace_database(cluster_url, name)
    with connect_url(target) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name)
            )
        )
    new_url = replace_database(target, name)
    with connect_url(new_url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return new_url


def drop_database(target: ClusterConfig | str, name: str) -> None:
    """Drop database ``name`` if it exists, ending its open connections first."""
    check_name(name, "database name")
    if isinstance(target, ClusterConfig) and name == target.database:
        raise ClusterError(f"refusing to drop the cluster's own database {name!r}")
    stmt = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    if isinstance(target, ClusterConfig):
        with admin_connect(target) as conn:
            conn.execute(stmt)
    else:
        with connect_url(replace_database(target, "postgres")) as conn:
            conn.execute(stmt)
