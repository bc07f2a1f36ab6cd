"""The operating-system side of the local cluster: running PostgreSQL's programs (as the
``postgres`` OS user when we are root), finding them, and connecting (the admin socket, URLs)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from geo_service.db.cluster_config import (
    ADMIN_ROLE,
    PG_LIB,
    SERVER_OS_USER,
    ClusterConfig,
    ClusterError,
    socket_dir,
)


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
        candidate = PG_LIB / wanted / "bin"
        if (candidate / "pg_ctl").is_file():
            return candidate
        raise ClusterError(
            f"the cluster in {cfg.data_dir} was made by PostgreSQL {wanted}, whose binaries "
            f"({candidate}) are gone: install postgresql-{wanted}, or remove {cfg.state_dir} "
            "to start afresh (its data is lost)"
        )
    majors = sorted(
        (int(p.parent.parent.name), p.parent)
        for p in PG_LIB.glob("*/bin/pg_ctl")
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


def pg_ctl(cfg: ClusterConfig, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
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


def tail_log(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


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


def connect_url(sqlalchemy_url: str) -> psycopg.Connection:
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


def replace_database(any_url: str, database: str) -> str:
    parts = urlsplit(any_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database, safe=""), *parts[3:]))
