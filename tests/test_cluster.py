"""The project-local PostGIS cluster, against the real thing (no mocks).

The default cluster is shared with the rest of the suite: these tests bring it up but never
stop it. Start/stop behaviour is tested on a second, throw-away cluster on its own port.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from geo_service.db import cluster

PROJECT_DIR = Path(__file__).resolve().parent.parent

#: starts and stops PostgreSQL servers: `make test` runs it after the parallel part, alone
pytestmark = pytest.mark.alone


def _free_port(start: int = 55499) -> int:
    for port in range(start, start + 50):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port near 55499")


@pytest.fixture(scope="module")
def cfg() -> cluster.ClusterConfig:
    port = int(os.environ.get("GEO_SERVICE_DB_PORT", cluster.DEFAULT_PORT))
    config = cluster.default_config(PROJECT_DIR, port=port)
    cluster.up(config)
    return config


@pytest.fixture()
def scratch_cfg(tmp_path: Path) -> Iterator[cluster.ClusterConfig]:
    """A second cluster with its own state folder and port; removed afterwards."""
    if os.geteuid() == 0:
        # pytest's tmp_path is root-only; the postgres OS user must be able to enter the folder.
        state = cluster.ROOT_STATE_BASE / f"test-{uuid.uuid4().hex[:10]}"
    else:
        state = tmp_path / "pg"
    config = cluster.ClusterConfig(state_dir=state, port=_free_port())
    try:
        yield config
    finally:
        cluster.down(config)
        shutil.rmtree(state, ignore_errors=True)


def _scalar(db_url: str, query: str) -> object:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar_one()
    finally:
        engine.dispose()


def test_default_config_places_state_where_the_server_user_can_enter() -> None:
    config = cluster.default_config(PROJECT_DIR)
    assert config.port == 55432
    assert (config.database, config.user) == ("geo_service", "geo_service")
    if os.geteuid() == 0:
        assert config.state_dir.parent == Path("/var/lib/geo-service")
        assert config.state_dir.name.startswith(PROJECT_DIR.name + "-")
        # stable for the same checkout, different for another one
        assert cluster.default_config(PROJECT_DIR / "." / "tests" / "..") == config
        assert cluster.default_config(PROJECT_DIR / "tests").state_dir != config.state_dir
    else:
        assert config.state_dir == PROJECT_DIR / ".pgdata"


def test_up_is_idempotent_when_running(cfg: cluster.ClusterConfig) -> None:
    first = cluster.up(cfg)
    second = cluster.up(cfg)
    assert first == second
    assert first.startswith(f"postgresql+psycopg://{cfg.user}:")
    assert first.endswith(f"@127.0.0.1:{cfg.port}/{cfg.database}")
    assert cluster.url(cfg) == first


def test_url_connects_with_password_and_has_postgis(cfg: cluster.ClusterConfig) -> None:
    db_url = cluster.up(cfg)
    version = _scalar(db_url, "SELECT postgis_full_version()")
    assert isinstance(version, str) and 'POSTGIS="3' in version
    assert _scalar(db_url, "SELECT current_user") == cfg.user
    assert (
        _scalar(
            db_url,
            "SELECT pg_encoding_to_char(encoding) FROM pg_database "
            "WHERE datname = current_database()",
        )
        == "UTF8"
    )
    # a wrong password is refused: host connections really use scram-sha-256
    wrong = db_url.replace(f"{cfg.user}:", f"{cfg.user}:x", 1)
    with pytest.raises(sa.exc.OperationalError):
        _scalar(wrong, "SELECT 1")


def test_server_listens_on_localhost_only_and_socket_is_private(
    cfg: cluster.ClusterConfig,
) -> None:
    db_url = cluster.up(cfg)
    assert _scalar(db_url, "SHOW listen_addresses") == "127.0.0.1"
    assert _scalar(db_url, "SHOW port") == str(cfg.port)
    sock_dir = Path(str(_scalar(db_url, "SHOW unix_socket_directories")))
    assert stat.S_IMODE(sock_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(cfg.password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(cfg.data_dir.stat().st_mode) == 0o700


def test_status_reports_running(cfg: cluster.ClusterConfig) -> None:
    db_url = cluster.up(cfg)
    st = cluster.status(cfg)
    assert st.running
    assert st.url == db_url
    assert st.port == cfg.port
    assert st.data_dir == cfg.data_dir
    assert st.pid is not None and Path(f"/proc/{st.pid}").exists()


def test_create_and_drop_throwaway_database(cfg: cluster.ClusterConfig) -> None:
    cluster.up(cfg)
    db_url = cluster.create_database(cfg)
    name = db_url.rsplit("/", 1)[1]
    try:
        assert name.startswith("geo_test_")
        assert _scalar(db_url, "SELECT current_database()") == name
        assert _scalar(db_url, "SELECT current_user") == cfg.user
        assert "POSTGIS" in str(_scalar(db_url, "SELECT postgis_full_version()"))
        owner = _scalar(
            db_url,
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()",
        )
        assert owner == cfg.user
        # the role may create extensions itself (local dev cluster: SUPERUSER)
        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
        # a connection still open does not prevent the drop
        lingering = psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"))
        lingering.execute("SELECT 1")
    finally:
        cluster.drop_database(cfg, name)
    lingering.close()
    main_url = cluster.url(cfg)
    assert main_url is not None
    assert _scalar(main_url, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == 0
    cluster.drop_database(cfg, name)  # idempotent


def test_create_and_drop_database_by_url(cfg: cluster.ClusterConfig) -> None:
    main_url = cluster.up(cfg)
    db_url = cluster.create_database(main_url, f"geo_test_byurl_{uuid.uuid4().hex[:8]}")
    name = db_url.rsplit("/", 1)[1]
    try:
        assert db_url == main_url.rsplit("/", 1)[0] + "/" + name
        assert "POSTGIS" in str(_scalar(db_url, "SELECT postgis_full_version()"))
    finally:
        cluster.drop_database(main_url, name)
    assert _scalar(main_url, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == 0


def test_bad_names_and_own_database_are_refused(cfg: cluster.ClusterConfig) -> None:
    with pytest.raises(cluster.ClusterError, match="not allowed"):
        cluster.create_database(cfg, 'x"; DROP DATABASE geo_service; --')
    with pytest.raises(cluster.ClusterError, match="own database"):
        cluster.drop_database(cfg, cfg.database)


def test_lifecycle_of_a_separate_cluster(scratch_cfg: cluster.ClusterConfig) -> None:
    config = scratch_cfg
    assert cluster.url(config) is None
    assert not cluster.status(config).running
    cluster.down(config)  # nothing there yet: no-op

    started = time.monotonic()
    first = cluster.up(config)
    print(f"up from nothing: {time.monotonic() - started:.2f} s")
    assert f"@127.0.0.1:{config.port}/" in first
    assert 'POSTGIS="3' in str(_scalar(first, "SELECT postgis_full_version()"))
    if os.geteuid() == 0:
        info = config.state_dir.stat()
        assert info.st_uid == _uid("postgres")
        assert stat.S_IMODE(info.st_mode) == 0o700

    cluster.down(config)
    st = cluster.status(config)
    assert not st.running and st.pid is None
    assert st.url == first  # still initialised, just stopped
    cluster.down(config)  # idempotent

    # start again: same password, same data
    assert cluster.up(config) == first
    assert cluster.status(config).running


def test_recovers_from_a_stale_pid_file(scratch_cfg: cluster.ClusterConfig) -> None:
    """After a machine restart postmaster.pid may name a pid now used by another process."""
    config = scratch_cfg
    db_url = cluster.up(config)
    pid_file = config.data_dir / "postmaster.pid"
    saved = pid_file.read_text()
    cluster.down(config)

    # a live process of the server's OS user now holds the recorded pid
    user = "postgres" if os.geteuid() == 0 else None
    impostor = subprocess.Popen(
        ["sleep", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        user=user,
        group=user,
    )
    try:
        lines = saved.splitlines()
        lines[0] = str(impostor.pid)
        pid_file.write_text("\n".join(lines) + "\n")
        assert not cluster.status(config).running
        assert cluster.up(config) == db_url
        assert cluster.status(config).running
        assert _scalar(db_url, "SELECT 1") == 1
    finally:
        impostor.kill()
        impostor.wait()


def test_recovers_after_the_server_was_killed(scratch_cfg: cluster.ClusterConfig) -> None:
    config = scratch_cfg
    db_url = cluster.up(config)
    pid = cluster.status(config).pid
    assert pid is not None
    os.kill(pid, 9)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not cluster.status(config).running
    assert cluster.up(config) == db_url
    assert _scalar(db_url, "SELECT 1") == 1


def test_port_used_by_another_program_is_named(scratch_cfg: cluster.ClusterConfig) -> None:
    with socket.socket() as blocker:
        # SO_REUSEADDR: earlier tests may have left TIME_WAIT connections on this port
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", scratch_cfg.port))
        blocker.listen()
        with pytest.raises(
            cluster.ClusterError, match=rf"port {scratch_cfg.port}\b.*GEO_SERVICE_DB_PORT"
        ):
            cluster.up(scratch_cfg)


def test_unreachable_state_folder_is_explained(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root runs the server as another OS user")
    hidden = tmp_path / "hidden"
    hidden.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o700)
    config = cluster.ClusterConfig(state_dir=hidden / "state", port=_free_port())
    with pytest.raises(cluster.ClusterError, match="cannot enter"):
        cluster.up(config)


def _uid(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_uid


def test_psycopg_admin_socket_is_not_reachable_over_tcp_without_password(
    cfg: cluster.ClusterConfig,
) -> None:
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            host="127.0.0.1",
            port=cfg.port,
            user="postgres",
            dbname="postgres",
            password="",
            connect_timeout=5,
        )
