"""Real servers for the tests: Debian's PostgreSQL and redis-server, started on free local
ports, stopped after.

`make test` installs the packages; the session fixtures in conftest start one cluster (and one
Redis) in a temporary folder and every test that asks for it gets a database of its own. A server
that cannot start fails the tests that need it, with the reason: they never pass by not running.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
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


def unavailable(reason: str, package: str = "postgresql") -> None:
    """A service the tests need is missing: that is a failure (`make test` installs it)."""
    pytest.fail(f"{reason}（make test 会安装 Debian 的 {package}）")


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


class RedisServer:
    """One throwaway redis-server (no persistence) on a free local port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("没有找到 redis-server（Debian 包 redis-server）")
        self.binary = binary
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cc-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.root)]  # fmt: skip
        log = (self.root / "log").open("wb")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "log").read_text(errors="replace")[-500:])
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server 在 15 秒内没有在端口 {self.port} 上应答")

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
