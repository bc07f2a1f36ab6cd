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
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

__all__ = [
    "ClusterConfig",
    "ClusterError",
    "ClusterStatus",
    "create_database",
    "default_config",
    "down",
    "drop_database",
    "status",
    "up",
    "url",
]

DEFAULT_PORT = 55432
#: where the state of clusters started by root lives (the checkout may not be enterable by postgres)
ROOT_STATE_BASE = Path("/var/lib/geo-service")
#: the superuser role made by initdb (``initdb -U``)
ADMIN_ROLE = "postgres"
#: the OS user that runs the server when we are root
SERVER_OS_USER = "postgres"
READY_TIMEOUT_S = 30.0
_PG_LIB = Path("/usr/lib/postgresql")
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: sun_path is 108 bytes on Linux; leave room for "/.s.PGSQL.NNNNN.lock" and the NUL
_MAX_SOCKET_DIR_LEN = 80


class ClusterError(Exception):
    """The local cluster could not be set up, started or used; the message says how to fix it."""


@dataclass(frozen=True)
class ClusterConfig:
    """Where the project-local cluster keeps its files, its port, and its database and role."""

    state_dir: Path
    port: int = DEFAULT_PORT
    database: str = "geo_service"
    user: str = "geo_service"

    @property
    def data_dir(self) -> Path:
        """The PostgreSQL data folder (``initdb`` target)."""
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        """The server log."""
        return self.state_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        """The file holding the password of :attr:`user` (mode 600)."""
        return self.state_dir / "password"


@dataclass(frozen=True)
class ClusterStatus:
    """What ``geo-service db status`` reports."""

    running: bool
    url: str | None
    data_dir: Path
    port: int
    pid: int | None


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


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
        if pid is not None and _pid_file_port(cfg) not in (None, cfg.port):
            # Same cluster, but the port setting changed since it was started: move it.
            _pg_ctl(cfg, "stop", "-m", "fast", "-w", "-t", "60")
            pid = None
        if pid is None:
            if not (cfg.data_dir / "PG_VERSION").is_file():
                _initdb(cfg)
            start_server(cfg)
        if not (cfg.state_dir / "setup-done").is_file():
            _setup(cfg)
        result = url(cfg)
    if result is None:  # pragma: no cover - _setup writes both files
        raise ClusterError(f"the cluster in {cfg.state_dir} has no password file after set-up")
    return result


def down(cfg: ClusterConfig) -> None:
    """Stop the cluster if it runs (fast shutdown). Idempotent; keeps the data."""
    if not (cfg.data_dir / "PG_VERSION").is_file():
        return
    with locked(cfg):
        if server_pid(cfg) is None:
            return
        _pg_ctl(cfg, "stop", "-m", "fast", "-w", "-t", "60")


def status(cfg: ClusterConfig) -> ClusterStatus:
    """Whether the cluster runs, and its URL, data folder, port and server pid."""
    pid = server_pid(cfg)
    port = (_pid_file_port(cfg) if pid is not None else None) or cfg.port
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
    _check_name(name, "database name")
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
        return _replace_database(cluster_url, name)
    with _connect_url(target) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name)
            )
        )
    new_url = _replace_database(target, name)
    with _connect_url(new_url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return new_url


def drop_database(target: ClusterConfig | str, name: str) -> None:
    """Drop database ``name`` if it exists, ending its open connections first."""
    _check_name(name, "database name")
    if isinstance(target, ClusterConfig) and name == target.database:
        raise ClusterError(f"refusing to drop the cluster's own database {name!r}")
    stmt = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    if isinstance(target, ClusterConfig):
        with admin_connect(target) as conn:
            conn.execute(stmt)
    else:
        with _connect_url(_replace_database(target, "postgres")) as conn:
            conn.execute(stmt)


# --------------------------------------------------------------------------------------------
# set-up and start
# --------------------------------------------------------------------------------------------


def validate_config(cfg: ClusterConfig) -> None:
    if not 1024 <= cfg.port <= 65535:
        raise ClusterError(f"port {cfg.port} is not usable: set GEO_SERVICE_DB_PORT to 1024-65535")
    _check_name(cfg.database, "database name")
    _check_name(cfg.user, "role name")


def _check_name(name: str, what: str) -> None:
    if not _NAME_RE.match(name):
        raise ClusterError(
            f"{what} {name!r} is not allowed: use lower-case letters, digits and _ (max 63)"
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


def socket_dir(cfg: ClusterConfig) -> Path:
    """``<state>/run``, or a private folder under /tmp when that path is too long for a socket."""
    sock = cfg.state_dir.absolute() / "run"
    if len(str(sock)) <= _MAX_SOCKET_DIR_LEN:
        return sock
    digest = hashlib.sha1(str(sock).encode(), usedforsecurity=False).hexdigest()[:12]
    return Path("/tmp") / f"geo-service-{os.getuid()}-{digest}"  # noqa: S108 - private, mode 700


def _initdb(cfg: ClusterConfig) -> None:
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
    result = _pg_ctl(
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


def _setup(cfg: ClusterConfig) -> None:
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


# --------------------------------------------------------------------------------------------
# process and state inspection
# --------------------------------------------------------------------------------------------


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
    return pid if _pg_ctl(cfg, "status", check=False).returncode == 0 else None


def _pid_file_port(cfg: ClusterConfig) -> int | None:
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


def tail_log(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


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


# --------------------------------------------------------------------------------------------
# running commands
# --------------------------------------------------------------------------------------------


def is_root() -> bool:
    return os.geteuid() == 0


def server_user_ids() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam(SERVER_OS_USER)
    except KeyError as exc:
        raise ClusterError(
            f"there is no '{SERVER_OS_USER}' OS user to run PostgreSQL as (the server refuses "
            "root): run scripts/install-os-deps.sh, which installs the PostgreSQL packages"
        ) from exc
    return entry.pw_uid, entry.pw_gid


def as_server_user(cmd: Sequence[str]) -> list[str]:
    if not is_root():
        return list(cmd)
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_OS_USER, "--", *cmd]
    return ["su", SERVER_OS_USER, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def bin_dir(cfg: ClusterConfig) -> Path:
    """PostgreSQL binaries: the data folder's major if it exists, else the highest installed."""
    wanted: str | None = None
    with contextlib.suppress(OSError):
        wanted = (cfg.data_dir / "PG_VERSION").read_text(encoding="utf-8").strip()
    if wanted:
        candidate = _PG_LIB / wanted / "bin"
        if (candidate / "pg_ctl").is_file():
            return candidate
        raise ClusterError(
            f"the cluster in {cfg.data_dir} was made by PostgreSQL {wanted}, whose binaries "
            f"({candidate}) are gone: install postgresql-{wanted}, or remove {cfg.state_dir} "
            "to start afresh (its data is lost)"
        )
    majors = sorted(
        (int(p.parent.parent.name), p.parent)
        for p in _PG_LIB.glob("*/bin/pg_ctl")
        if p.parent.parent.name.isdigit()
    )
    if majors:
        return majors[-1][1]
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/pg_ctl): run "
        "scripts/install-os-deps.sh, or set GEO_SERVICE_DATABASE_URL to an existing PostGIS"
    )


def _pg_ctl(cfg: ClusterConfig, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [str(bin_dir(cfg) / "pg_ctl"), "-D", str(cfg.data_dir.absolute()), *args]
    result = run_command(as_server_user(cmd), check=False)
    if check and result.returncode != 0:
        raise ClusterError(
            f"pg_ctl {args[0]} failed for {cfg.data_dir}:\n"
            f"{tail_log(result.stderr or result.stdout)}\nsee {cfg.log_file}"
        )
    return result


def run_command(cmd: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_"))}
    env["LC_ALL"] = "C"  # avoid "setlocale" warnings for locales the machine lacks
    env.pop("LANG", None)
    try:
        return subprocess.run(  # noqa: S603 - fixed argv, no shell
            list(cmd),
            env=env,
            cwd="/",  # the caller's folder may not be enterable by the postgres user
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )
    except FileNotFoundError as exc:
        raise ClusterError(f"cannot run {cmd[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"{shlex.join(cmd)} did not finish within 120 s") from exc


def clear_dir(path: Path) -> None:
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


# --------------------------------------------------------------------------------------------
# connections and URLs
# --------------------------------------------------------------------------------------------


def admin_connect(
    cfg: ClusterConfig, dbname: str = "postgres", connect_timeout: int = 10
) -> psycopg.Connection:
    """Superuser connection over the private unix socket (trust; see the module docstring)."""
    return psycopg.connect(
        host=str(socket_dir(cfg)),
        port=cfg.port,
        user=ADMIN_ROLE,
        dbname=dbname,
        autocommit=True,
        connect_timeout=connect_timeout,
    )


def _connect_url(sqlalchemy_url: str) -> psycopg.Connection:
    return psycopg.connect(_libpq_url(sqlalchemy_url), autocommit=True, connect_timeout=10)


def url_for(user: str, password: str, port: int, database: str) -> str:
    return (
        f"postgresql+psycopg://{quote(user, safe='')}:{quote(password, safe='')}"
        f"@127.0.0.1:{port}/{quote(database, safe='')}"
    )


def _libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` (libpq does not know driver suffixes)."""
    parts = urlsplit(sqlalchemy_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, *parts[1:]))


def _replace_database(any_url: str, database: str) -> str:
    parts = urlsplit(any_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database, safe=""), *parts[3:]))
