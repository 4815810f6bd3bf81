"""Real servers for the tests: Debian's PostgreSQL, started on a free local port, stopped after.

`make test` installs the package; the session fixture in conftest starts one cluster in a
temporary folder and every test that asks for it gets a database of its own. A server that
cannot start fails the tests that need it, with the reason: they never pass by not running.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def unavailable(reason: str) -> None:
    """A service the tests need is missing: that is a failure (`make test` installs it)."""
    pytest.fail(f"{reason}（make test 会安装 Debian 的 postgresql）")


class PostgresCluster:
    """One throwaway cluster; `database()` hands out fresh, empty databases."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            raise RuntimeError("没有找到 PostgreSQL（Debian 包 postgresql）")
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cc-pg-"))
        self.root.chmod(0o755)
        # initdb refuses to run as root; Debian's package brings the postgres account.
        self.as_user = ["su", "postgres", "-c"] if os.geteuid() == 0 else None
        if self.as_user:
            shutil.chown(self.root, "postgres")
        self._names = itertools.count(1)

    def _run(self, *argv: str) -> None:
        command = [str(a) for a in argv]
        if self.as_user:
            command = [*self.as_user, " ".join(command)]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            self.bin / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        options = f"'-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off'"
        self._run(self.bin / "pg_ctl", "-D", data, "-l", self.root / "log", "-o", options, "-w",
                  "start")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(self.bin / "pg_ctl", "-D", self.root / "data", "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def restart(self) -> None:
        data = self.root / "data"
        # -l again: without it the server would write to (and hold open) our captured pipe.
        self._run(self.bin / "pg_ctl", "-D", data, "-l", self.root / "log", "-m", "fast", "-w",
                  "restart")  # fmt: skip


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
