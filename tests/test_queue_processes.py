"""The batch queue for real: `campaign-canvas worker` processes on a real redis-server and a real
PostgreSQL (both started by the tests on free local ports), the LLM engine against the local
OpenAI-compatible server. A worker killed with -9 mid-canvas costs seconds and no duplicate;
workers on several processes share one rate limit per key, seeing no 429 and staying within 5 %
of it; `batch --queue --wait` writes the folders from the store."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from openai_server import Reply, ScriptedServer, answers_from, package_answers

from pipelines.batch import ask, jobs, queue
from pipelines.batch.inputs import BatchInput
from pipelines.canvas import Canvas
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.tasks import generate_week

CLI = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
KEY = "sk-queue-test"


@pytest.fixture
def database(pg_cluster) -> str:
    return pg_cluster.database()


def env_for(broker_url: str, database: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CC_", "OPENAI_"))}
    env |= {
        "CC_BROKER_URL": broker_url,
        "CC_DATABASE_URL": database,
        "CC_DATA_DIR": str(tmp_path / "data"),
        "CC_QUEUE_HEARTBEAT": "2",
        **extra,
    }
    return env


def llm_env(server: ScriptedServer) -> dict[str, str]:
    return {"CC_ENGINE": "openai", "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": KEY,
            "CC_MODEL": "local-test", "CC_TIMEOUT": "5", "CC_MAX_RETRIES": "0"}  # fmt: skip


@contextlib.contextmanager
def workers(env: dict[str, str], count: int, threads: int = 1):
    """`count` worker processes (one each), ended by pid afterwards however the test went."""
    argv = [sys.executable, "-c", CLI, "worker", "--processes", "1", "--threads", str(threads)]
    started = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(count)
    ]
    try:
        yield started
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=10)


def enqueue(env: dict[str, str], canvases: list[Canvas], **options) -> ask.Enqueued:
    settings = load_settings(env=env)
    broker = queue.make_broker(settings)
    store = open_store(settings)
    try:
        entries = [BatchInput(f"{c.name}.toml", c) for c in canvases]
        return ask.enqueue(entries, store, lambda job: queue.send(broker, job), **options)
    finally:
        store.close()
        broker.close()


def until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def named(canvas: Canvas, count: int, tag: str = "门店") -> list[Canvas]:
    return [canvas.model_copy(update={"name": f"{tag}{i}周末团"}) for i in range(count)]


def test_a_worker_killed_mid_canvas_hands_it_to_another_in_seconds_with_no_duplicate(
    tmp_path, canvas, broker_url, database
):
    answers = package_answers(generate_week(canvas))
    with ScriptedServer(answers_from(answers), latency=0.1) as server:
        env = env_for(broker_url, database, tmp_path, **llm_env(server))
        store = open_store(load_settings(env=env))
        with workers(env, 2, threads=2) as started:
            asked = enqueue(env, named(canvas, 2), posters=False)

            def running():
                return [r for r in jobs.rows(store, asked.batch_id) if r.state == "running"]

            (victim, *_) = until(running, 60, "a worker takes a canvas")
            until(lambda: len(server.requests) > 5, 10, "it asks the model")
            pid = int(victim.worker.split(":")[1])
            (killed,) = [p for p in started if p.pid == pid]
            (other,) = [p for p in started if p.pid != pid]
            mine = {r.digest for r in running() if f":{pid}:" in r.worker}
            killed.send_signal(signal.SIGKILL)
            at = time.monotonic()

            def taken_over():
                rows = [r for r in jobs.rows(store, asked.batch_id) if r.digest in mine]
                moved = all(r.state == "done" or f":{other.pid}:" in (r.worker or "") for r in rows)
                return rows if moved else None

            until(taken_over, 15, "the killed worker's canvases running on the other")
            took = time.monotonic() - at

            def all_done():
                rows = jobs.rows(store, asked.batch_id)
                return rows if all(r.state == "done" for r in rows) else None

            rows = until(all_done, 40, "every canvas done after the kill")
        names = sorted(c.name for c in store.campaigns())
        store.close()
    assert names == ["门店0周末团", "门店1周末团"]  # one campaign each, none twice
    assert all(r.attempts >= 2 for r in rows if r.digest in mine)
    # The heartbeat is 2 s here; the rest is polling and a loaded machine.
    assert took < 12, f"the killed worker's canvas waited {took:.1f} s for another worker"
    print(f"taken over {took:.1f} s after kill -9")


class LimitedProvider:
    """A provider's rate limit as providers describe theirs: `limit` requests a `window`, a
    bucket that holds `burst` requests (a whole window's by default) refilled continuously,
    429 with Retry-After beyond it."""

    def __init__(self, respond, limit: int, window: float, burst: int) -> None:
        self.respond, self.rate, self.burst = respond, limit / window, burst
        self.level, self.stamp = float(burst), time.monotonic()
        self.accepted: list[float] = []
        self.refused = 0
        self.lock = threading.Lock()

    def __call__(self, body):
        with self.lock:
            now = time.monotonic()
            self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.level < 1:
                self.refused += 1
                return Reply.fault(429, "rate limit reached", retry_after="1")
            self.level -= 1
            self.accepted.append(now)
        return self.respond(body)


def test_workers_on_several_processes_share_one_rate_limit_per_key(
    tmp_path, canvas, broker_url, database
):
    # "60 requests a minute" with the minute shortened to 4 s, so the test takes seconds.
    limit, window, measured = 60, 4.0, 80
    answers = package_answers(generate_week(canvas))
    provider = LimitedProvider(answers_from(answers), limit, window, burst=limit)
    with ScriptedServer(provider) as server:
        env = env_for(
            broker_url, database, tmp_path, **llm_env(server),
            CC_RATE_LIMIT_RPM=str(limit), CC_RATE_LIMIT_WINDOW=str(window), CC_MAX_CONCURRENCY="4",
        )  # fmt: skip
        with workers(env, 2, threads=2):  # four workers, eight requests at once each
            enqueue(env, named(canvas, 4, "限速门店"), posters=False)
            until(lambda: len(provider.accepted) >= measured, 60, f"{measured} requests")
    # Without the shared limit each process would spend the bucket on its own: 429s within a
    # window, and twice the rate.
    assert provider.refused == 0
    arrived = provider.accepted
    busiest = max(sum(t <= a < t + window for a in arrived) for t in arrived)
    # The steady rate, after the first requests (sent as the workers start, some a little late):
    times = arrived[measured - limit : measured]
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert abs(rate - limit / window) <= 0.05 * limit / window, f"{rate:.2f} req/s"
    print(f"{rate:.2f} requests/s against {limit / window:.2f}; busiest window {busiest}")


def test_batch_queue_wait_writes_the_folders_from_the_store(tmp_path, canvas, broker_url, database):
    folder = tmp_path / "in"
    folder.mkdir()
    for index, each in enumerate(named(canvas, 2, "等待门店")):
        (folder / f"{index}.json").write_text(each.model_dump_json(), "utf-8")
    env = env_for(broker_url, database, tmp_path)
    with workers(env, 1):
        done = subprocess.run(
            [sys.executable, "-c", CLI, "batch", str(folder), "--queue", "--wait",
             "--out", str(tmp_path / "out")],
            env=env, capture_output=True, text=True, encoding="utf-8", timeout=90,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "完成 2 个" in done.stdout and "失败 0 个" in done.stdout
        status = subprocess.run(
            [sys.executable, "-c", CLI, "batch", "--status"],
            env=env, capture_output=True, text=True, encoding="utf-8", timeout=60,
        )  # fmt: skip
    folders = sorted(p for p in (tmp_path / "out").iterdir())
    assert len(folders) == 2
    for each in folders:
        assert (each / "package.json").is_file() and list((each / "posters").glob("*.png"))
    assert status.returncode == 0, status.stdout + status.stderr
    assert "已完成 2" in status.stdout and status.stdout.count("等待门店") == 2
