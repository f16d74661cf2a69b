"""The server's store, both backends: ``server_db`` is a new SQLite file or a new database
in this test session's own PostgreSQL cluster (one per xdist worker, started on first
use and stopped at the end), by the ``store_backend`` parameter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pg_cluster import PG_MISSING, PgCluster, pg_bindir


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: the PostgreSQL store tests are skipped")
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip(PG_MISSING)
    cluster = PgCluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def server_db(store_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """Where the server keeps its data: a SQLite file path, or a postgresql:// URL."""
    if store_backend == "sqlite":
        return tmp_path / "srv" / "server.sqlite"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()
