"""A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, a server
on a unix socket in that folder only (no TCP port), stopped and removed at the end.

Uses the machine's PostgreSQL binaries (``pg_config --bindir``, else the newest
``/usr/lib/postgresql/*/bin``).  PostgreSQL refuses to run as root, so as root
the cluster belongs to ``nobody`` (the folder is given to it); otherwise to the
current user.  ``fsync`` and synchronous commit are off: a test cluster is
thrown away, durability is the SQLite store's and PostgreSQL's own business.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

PG_MISSING = (
    "no PostgreSQL server binaries here (pg_config --bindir, /usr/lib/postgresql/*/bin): the"
    " PostgreSQL store tests are skipped (apt-get install postgresql; .ci/run does)"
)


def pg_bindir() -> Path | None:
    """The folder with initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, timeout=30, check=False
        )
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))

    def version(p: str) -> int:
        part = Path(p).parents[1].name
        return int(part) if part.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=version, reverse=True)
    candidates += [Path(p).parent for p in found]
    for c in candidates:
        if all((c / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return c
    return None


class PgCluster:
    """One cluster; ``url(db)`` connects to database ``db`` over the folder's socket."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="pgt-"))
        self.data = self.dir / "data"
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self._run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        self._names = itertools.count(1)
        self.started = False

    def _pg(self, tool: str, *args: str) -> None:
        out = subprocess.run(
            [str(self.bindir / tool), *args],
            cwd=self.dir, capture_output=True, text=True, timeout=120, check=False,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
            **self._run_as,
        )  # fmt: skip
        if out.returncode != 0:
            log = self.dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({out.returncode}): {out.stderr}{out.stdout}{tail}")

    def start(self, *, durable: bool = False, settings: str = "") -> PgCluster:
        """Start it: fsync and synchronous commit off unless ``durable`` (benchmarks);
        ``settings``: more ``-c name=value`` server options."""
        self._pg(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        fast = "" if durable else "-F -c synchronous_commit=off -c full_page_writes=off"
        options = (
            f"{fast} -k {self.dir} -p 5432 -c listen_addresses='' -c max_connections=60"
            f" -c shared_buffers=32MB {settings}"
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
                 "-t", "60", "-o", options, "start")  # fmt: skip
        self.started = True
        return self

    def url(self, dbname: str = "postgres", schema: str | None = None) -> str:
        url = f"postgresql://postgres@/{dbname}?host={quote(str(self.dir), safe='')}&port=5432"
        return url if schema is None else url + "&options=" + quote(f"-csearch_path={schema}")

    def new_database(self) -> str:
        """The URL of a new, empty place for one store: a schema of its own in the database
        ``tests`` (a new schema costs milliseconds, a new database a third of a second)."""
        import psycopg

        name = f"s{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            if name == "s1":
                conn.execute("CREATE DATABASE tests")
        with psycopg.connect(self.url("tests"), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return self.url("tests", name)

    def stop(self) -> None:
        try:
            if self.started:
                self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
