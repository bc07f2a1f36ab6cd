"""A streaming hot standby of the project-local cluster (``geo-service db standby up|down|status``).

The standby is a second local cluster, made by ``pg_basebackup -R`` from the primary that
:mod:`geo_service.db.cluster` runs, streaming from it over the primary's private unix socket (the
``local replication all trust`` line initdb writes; the socket folder is mode 700, so only the
server's OS user and root reach it). It holds a physical replication slot on the primary so that
it can catch up after being stopped; :func:`destroy` drops the slot with the copy.

Layout: ``<primary state>-standby-<port>/`` beside the primary's state folder, with the same
``data/``, ``run/``, ``postgres.log`` and ``password`` files (the password is the primary's: the
role is replicated with everything else). It runs as the ``postgres`` OS user when we are root,
like the primary. Point ``GEO_SERVICE_READ_REPLICA_URL`` at :func:`url` to read from it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg

from geo_service.db import cluster
from geo_service.db.cluster import ClusterConfig, ClusterError

DEFAULT_STANDBY_PORT = 55452


@dataclass(frozen=True)
class StandbyStatus:
    """What ``geo-service db standby status`` reports."""

    running: bool
    port: int
    data_dir: Path
    in_recovery: bool | None
    replay_paused: bool | None
    lag_bytes: int | None


def config(primary: ClusterConfig, port: int = DEFAULT_STANDBY_PORT) -> ClusterConfig:
    """The standby's files and port, beside ``primary``'s state folder."""
    if port == primary.port:
        raise ClusterError(f"the standby needs a port of its own, not the primary's {port}")
    state = primary.state_dir.parent / f"{primary.state_dir.name}-standby-{port}"
    return ClusterConfig(state_dir=state, port=port, database=primary.database, user=primary.user)


def slot_name(standby: ClusterConfig) -> str:
    """The physical replication slot the standby streams through."""
    return f"geo_standby_{standby.port}"


def up(primary: ClusterConfig, standby: ClusterConfig, database: str | None = None) -> str:
    """Copy the primary (first time), start the standby, wait until it streams; return its URL.

    ``database``: the database the URL names (default: the cluster's own). The primary must run.
    """
    if cluster.status(primary).pid is None:
        raise ClusterError(
            f"the primary cluster (port {primary.port}) is not running: run `geo-service db up`"
        )
    cluster.validate_config(standby)
    cluster.prepare_state_dir(standby)
    with cluster.locked(standby):
        if cluster.server_pid(standby) is None:
            if not (standby.data_dir / "PG_VERSION").is_file():
                _base_backup(primary, standby)
            cluster.start_server(standby)
        _wait_streaming(primary, standby)
    return url(primary, standby, database)


def down(standby: ClusterConfig) -> None:
    """Stop the standby (fast shutdown) if it runs; keeps its copy, so ``up`` resumes it."""
    cluster.down(standby)


def destroy(primary: ClusterConfig, standby: ClusterConfig) -> None:
    """Stop the standby, delete its copy and drop its replication slot on the primary."""
    down(standby)
    if standby.state_dir.exists():
        shutil.rmtree(standby.state_dir)
    sock = cluster.socket_dir(standby)
    if sock.exists():
        shutil.rmtree(sock, ignore_errors=True)
    if cluster.status(primary).pid is not None:
        _drop_slot(primary, standby)


def url(primary: ClusterConfig, standby: ClusterConfig, database: str | None = None) -> str:
    """The SQLAlchemy URL of ``database`` on the standby (same role and password as the primary)."""
    primary_url = cluster.url(primary)
    if primary_url is None:
        raise ClusterError("the primary cluster is not set up: run `geo-service db up`")
    password = primary.password_file.read_text(encoding="utf-8").strip()
    return cluster.url_for(standby.user, password, standby.port, database or standby.database)


def status(primary: ClusterConfig, standby: ClusterConfig) -> StandbyStatus:
    """Whether the standby runs, is in recovery, has replay paused, and how far behind it is."""
    running = cluster.server_pid(standby) is not None
    in_recovery = paused = lag = None
    if running:
        try:
            with cluster.admin_connect(standby, connect_timeout=3) as conn:
                row = conn.execute(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
                ).fetchone()
                assert row is not None
                in_recovery, replay = bool(row[0]), row[1]
                if in_recovery:
                    paused_row = conn.execute("SELECT pg_is_wal_replay_paused()").fetchone()
                    paused = bool(paused_row and paused_row[0])
            with cluster.admin_connect(primary, connect_timeout=3) as conn:
                lag_row = conn.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)::bigint", [replay]
                ).fetchone()
                lag = int(lag_row[0]) if lag_row and lag_row[0] is not None else None
        except psycopg.Error:
            pass
    return StandbyStatus(running, standby.port, standby.data_dir, in_recovery, paused, lag)


def pause_replay(standby: ClusterConfig, paused: bool = True) -> None:
    """Pause (or resume) WAL replay on the standby: it keeps receiving but stops applying."""
    fn = "pg_wal_replay_pause" if paused else "pg_wal_replay_resume"
    with cluster.admin_connect(standby) as conn:
        conn.execute(f"SELECT {fn}()")


# --------------------------------------------------------------------------------------------


def _base_backup(primary: ClusterConfig, standby: ClusterConfig) -> None:
    with cluster.admin_connect(primary) as conn:
        row = conn.execute("SHOW wal_level").fetchone()
        if row is None or row[0] not in ("replica", "logical"):
            raise ClusterError(
                f"the primary's wal_level is {row[0] if row else '?'}: a standby needs 'replica' "
                "(ALTER SYSTEM SET wal_level = replica, then restart it with `geo-service db up`)"
            )
    _drop_slot(primary, standby)  # a slot left by a copy that was deleted by hand
    data = standby.data_dir
    data.mkdir(mode=0o700, exist_ok=True)
    if cluster.is_root():
        uid, gid = cluster.server_user_ids()
        shutil.chown(data, uid, gid)
    cmd = [
        str(cluster.bin_dir(primary) / "pg_basebackup"),
        "-D",
        str(data.absolute()),
        "-h",
        str(cluster.socket_dir(primary)),
        "-p",
        str(primary.port),
        "-U",
        cluster.ADMIN_ROLE,
        "-R",  # standby.signal + primary_conninfo: start as a streaming hot standby
        "-X",
        "stream",
        "-c",
        "fast",
        "-C",
        "-S",
        slot_name(standby),
    ]
    result = cluster.run_command(cluster.as_server_user(cmd), check=False)
    if result.returncode != 0:
        cluster.clear_dir(data)
        _drop_slot(primary, standby)
        raise ClusterError(
            f"pg_basebackup into {data} failed:\n{cluster.tail_log(result.stderr or result.stdout)}"
        )
    # the port and socket options are on the command line (pg_ctl -o); hot_standby is on by
    # default; feedback keeps the primary's vacuum from cancelling the standby's running reads
    with (data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
        conf.write("hot_standby_feedback = on\n")
    shutil.copy2(primary.password_file, standby.password_file)
    (standby.state_dir / "setup-done").write_text("standby\n", encoding="utf-8")


def _wait_streaming(primary: ClusterConfig, standby: ClusterConfig) -> None:
    """Until the primary sees the standby's WAL receiver streaming (it may first catch up)."""
    import time

    deadline = time.monotonic() + cluster.READY_TIMEOUT_S
    while True:
        with cluster.admin_connect(primary) as conn:
            row = conn.execute(
                "SELECT state FROM pg_stat_replication r JOIN pg_replication_slots s "
                "ON s.active_pid = r.pid WHERE s.slot_name = %s",
                [slot_name(standby)],
            ).fetchone()
        if row is not None and row[0] == "streaming":
            return
        if time.monotonic() > deadline:
            raise ClusterError(
                f"the standby on port {standby.port} does not stream from the primary "
                f"(state {row[0] if row else 'not connected'}); see {standby.log_file}"
            )
        time.sleep(0.2)


def _drop_slot(primary: ClusterConfig, standby: ClusterConfig) -> None:
    with cluster.admin_connect(primary) as conn:
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s AND NOT active",
            [slot_name(standby)],
        )
