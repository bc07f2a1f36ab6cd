"""The project-local cluster's configuration: where it keeps its files, its port, database and
role (``ClusterConfig``), what ``db status`` reports, the one error type, and the checks of names
and ports. See ``db/cluster.py`` for the cluster as a whole."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 55432

#: where the state of clusters started by root lives (the checkout may not be enterable by postgres)
ROOT_STATE_BASE = Path("/var/lib/geo-service")

#: the superuser role made by initdb (``initdb -U``)
ADMIN_ROLE = "postgres"

#: the OS user that runs the server when we are root
SERVER_OS_USER = "postgres"

READY_TIMEOUT_S = 30.0

PG_LIB = Path("/usr/lib/postgresql")

_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

#: sun_path is 108 bytes on Linux; leave room for "/.s.PGSQL.NNNNN.lock" and the NUL
MAX_SOCKET_DIR_LEN = 80


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


def validate_config(cfg: ClusterConfig) -> None:
    if not 1024 <= cfg.port <= 65535:
        raise ClusterError(f"port {cfg.port} is not usable: set GEO_SERVICE_DB_PORT to 1024-65535")
    check_name(cfg.database, "database name")
    check_name(cfg.user, "role name")


def check_name(name: str, what: str) -> None:
    if not _NAME_RE.match(name):
        raise ClusterError(
            f"{what} {name!r} is not allowed: use lower-case letters, digits and _ (max 63)"
        )


def socket_dir(cfg: ClusterConfig) -> Path:
    """``<state>/run``, or a private folder under /tmp when that path is too long for a socket."""
    sock = cfg.state_dir.absolute() / "run"
    if len(str(sock)) <= MAX_SOCKET_DIR_LEN:
        return sock
    digest = hashlib.sha1(str(sock).encode(), usedforsecurity=False).hexdigest()[:12]
    return Path("/tmp") / f"geo-service-{os.getuid()}-{digest}"  # noqa: S108 - private, mode 700
