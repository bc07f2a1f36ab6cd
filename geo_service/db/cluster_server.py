"""The local cluster's server: its state folder, ``initdb``, starting it and waiting until it
answers, the first set-up (role, database, PostGIS, password), its pid and its lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shlex
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from geo_service.db.cluster_config import (
    ADMIN_ROLE,
    READY_TIMEOUT_S,
    ROOT_STATE_BASE,
    SERVER_OS_USER,
    ClusterConfig,
    ClusterError,
    socket_dir,
)
from geo_service.db.cluster_os import (
    admin_connect,
    as_server_user,
    bin_dir,
    clear_dir,
    is_root,
    pg_ctl,
    run_command,
    server_user_ids,
    tail_log,
)


def prepare_state_dir(cfg: ClusterConfig) -> None:
    state = cfg.state_dir
    if is_root():
        server_user_ids()  # fails clearly when the postgres OS user is missing
        state.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        state.mkdir(exist_ok=True, mode=0o700)
        uid, gid = server_user_ids()
        st = state.stat()
        if (st.st_uid, st.st_gid) != (uid, gid):
            shutil.chown(state, uid, gid)
        state.chmod(0o700)
        # The postgres OS user must be able to walk down to the state folder.
        probe = run_command(
            as_server_user(["test", "-w", str(state), "-a", "-x", str(state)]), check=False
        )
        if probe.returncode != 0:
            raise ClusterError(
                f"the '{SERVER_OS_USER}' OS user cannot enter {state}: a parent folder is not "
                f"searchable by it (chmod o+x), or choose a state folder under {ROOT_STATE_BASE}"
            )
    else:
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
    sock = socket_dir(cfg)
    if not sock.is_dir():
        sock.mkdir(mode=0o700, parents=True, exist_ok=True)
        if is_root():
            uid, gid = server_user_ids()
            shutil.chown(sock, uid, gid)
    sock.chmod(0o700)


def initdb(cfg: ClusterConfig) -> None:
    bindir = bin_dir(cfg)
    data = cfg.data_dir
    if data.exists() and any(data.iterdir()):
        raise ClusterError(
            f"{data} exists but holds no PostgreSQL cluster (an interrupted set-up?): "
            f"remove {cfg.state_dir} and run `geo-service db up` again"
        )
    data.mkdir(mode=0o700, exist_ok=True)
    if is_root():
        uid, gid = server_user_ids()
        shutil.chown(data, uid, gid)
    base = [
        str(bindir / "initdb"),
        "-D",
        str(data.absolute()),
        "-U",
        ADMIN_ROLE,
        "-E",
        "UTF8",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
    ]
    result = run_command(as_server_user([*base, "--locale=C.UTF-8"]), check=False)
    if result.returncode != 0 and "locale" in (result.stderr + result.stdout).lower():
        # C.UTF-8 is missing on a few systems; the C locale sorts the same way.
        clear_dir(data)
        result = run_command(as_server_user([*base, "--no-locale"]), check=False)
    if result.returncode != 0:
        raise ClusterError(
            f"initdb failed for {data}:\n{tail_log(result.stderr or result.stdout)}\n"
            f"fix the cause, remove {cfg.state_dir} and run `geo-service db up` again"
        )


def start_server(cfg: ClusterConfig) -> None:
    _clear_stale_files(cfg)
    if _port_in_use(cfg.port):
        raise ClusterError(
            f"port {cfg.port} on 127.0.0.1 is used by another program (another checkout's or "
            f"user's cluster?): set GEO_SERVICE_DB_PORT to a free port"
        )
    options = " ".join(
        [
            f"-p {cfg.port}",
            f"-k {shlex.quote(str(socket_dir(cfg)))}",
            "-c listen_addresses=127.0.0.1",
            "-c unix_socket_permissions=0700",
            # every uvicorn worker and test app keeps a small pool; 100 is tight for a test session
            "-c max_connections=300",
        ]
    )
    result = pg_ctl(
        cfg,
        "start",
        "-w",
        "-t",
        str(int(READY_TIMEOUT_S)),
        "-l",
        str(cfg.log_file.absolute()),
        "-o",
        options,
        check=False,
    )
    if result.returncode != 0:
        log_tail = tail_log(_read_log(cfg))
        if "address already in use" in log_tail.lower():
            raise ClusterError(
                f"port {cfg.port} is used by another program: set GEO_SERVICE_DB_PORT to a "
                f"free port (log: {cfg.log_file})"
            )
        raise ClusterError(
            f"PostgreSQL did not start within {READY_TIMEOUT_S:.0f} s; see {cfg.log_file}:\n"
            f"{log_tail or tail_log(result.stderr or result.stdout)}"
        )
    _wait_ready(cfg)


def _wait_ready(cfg: ClusterConfig) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            with admin_connect(cfg, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"PostgreSQL started but does not accept connections on "
                    f"{socket_dir(cfg)} port {cfg.port}: {exc}; see {cfg.log_file}"
                ) from exc
            time.sleep(0.2)


def setup(cfg: ClusterConfig) -> None:
    """Create the role (with a stored random password), the database and PostGIS. Idempotent."""
    password = _ensure_password(cfg)
    with admin_connect(cfg) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [cfg.user]).fetchone()
        role_stmt = (
            sql.SQL("ALTER ROLE {} WITH LOGIN SUPERUSER PASSWORD {}")
            if exists
            else sql.SQL("CREATE ROLE {} WITH LOGIN SUPERUSER PASSWORD {}")
        )
        conn.execute(role_stmt.format(sql.Identifier(cfg.user), sql.Literal(password)))
        has_db = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [cfg.database]
        ).fetchone()
        if not has_db:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(cfg.database), sql.Identifier(cfg.user)
                )
            )
    with admin_connect(cfg, dbname=cfg.database) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.errors.FeatureNotSupported as exc:  # pragma: no cover - env problem
            raise _postgis_missing(cfg) from exc
        except psycopg.errors.UndefinedFile as exc:  # pragma: no cover - env problem
            raise _postgis_missing(cfg) from exc
    (cfg.state_dir / "setup-done").write_text("ok\n", encoding="utf-8")


def _postgis_missing(cfg: ClusterConfig) -> ClusterError:
    major = bin_dir(cfg).parent.name
    return ClusterError(
        f"PostGIS is not installed for PostgreSQL {major}: run scripts/install-os-deps.sh "
        f"(installs postgresql-{major}-postgis-3)"
    )


def _ensure_password(cfg: ClusterConfig) -> str:
    path = cfg.password_file
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(24)
    tmp = path.with_name(f".password.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    os.replace(tmp, path)
    return password


def server_pid(cfg: ClusterConfig) -> int | None:
    """The postmaster's pid if this cluster's server is running, else None (stale pid files too)."""
    pid = _pid_file_value(cfg, 0)
    if pid is None or pid <= 0:
        return None
    proc = Path("/proc") / str(pid)
    if Path("/proc/self").exists():
        if not proc.exists():
            return None
        try:
            return pid if Path(os.readlink(proc / "cwd")) == cfg.data_dir.resolve() else None
        except OSError:
            # cwd of another user's process is unreadable for non-root: fall back to argv.
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                return None
            return pid if str(cfg.data_dir.resolve()).encode() in argv else None
    # no /proc: ask pg_ctl (0 = running)
    return pid if pg_ctl(cfg, "status", check=False).returncode == 0 else None


def pid_file_port(cfg: ClusterConfig) -> int | None:
    return _pid_file_value(cfg, 3)


def _pid_file_value(cfg: ClusterConfig, line: int) -> int | None:
    try:
        lines = (cfg.data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        return int(lines[line].strip())
    except (OSError, IndexError, ValueError):
        return None


def _clear_stale_files(cfg: ClusterConfig) -> None:
    """Remove a postmaster.pid and socket files left by a server that no longer runs."""
    # Called with the lock held and after server_pid() said "not running". After a machine
    # restart the old pid may belong to an unrelated process, which makes the postmaster refuse
    # to start ("lock file already exists"), so we remove these files ourselves.
    with contextlib.suppress(FileNotFoundError):
        (cfg.data_dir / "postmaster.pid").unlink()
    sock = socket_dir(cfg)
    for name in (f".s.PGSQL.{cfg.port}", f".s.PGSQL.{cfg.port}.lock"):
        with contextlib.suppress(FileNotFoundError):
            (sock / name).unlink()


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # SO_REUSEADDR like the postmaster, so TIME_WAIT leftovers do not count as "in use".
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def _read_log(cfg: ClusterConfig) -> str:
    try:
        return cfg.log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


@contextlib.contextmanager
def locked(cfg: ClusterConfig) -> Iterator[None]:
    """Serialise up/down of one cluster across processes (parallel test workers, two shells)."""
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(cfg.state_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
