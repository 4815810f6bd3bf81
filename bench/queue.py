"""The batch queue: template canvases through 2 queue workers vs the local pool of 2 processes,
and the LLM engine's throughput on workers sharing one rate limit against a limited provider."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from pipelines.batch import BatchInput, ask, jobs, queue, run_batch
from pipelines.canvas import Canvas, load_canvas
from pipelines.settings import load_settings
from pipelines.store import canvas_hash, open_store
from pipelines.tasks import generate_week

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the scripted server and the Redis helper live there

from openai_server import Reply, ScriptedServer, answers_from, package_answers  # noqa: E402
from services import redis_server  # noqa: E402

EXAMPLES = sorted((ROOT / "assets/examples").glob("*.toml"))
CANVASES = 200
CLI = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
LIMIT, WINDOW, MEASURED = 60, 4.0, 120  # "60 a minute", the minute shortened to 4 s


def _canvases(count: int, tag: str) -> list[Canvas]:
    bases = [load_canvas(p) for p in EXAMPLES]
    return [
        bases[i % len(bases)].model_copy(
            update={"name": f"{tag}{i:03d}{bases[i % len(bases)].name}"[:30]}
        )
        for i in range(count)
    ]


def _env(broker: str, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CC_", "OPENAI_"))}
    return env | {"CC_BROKER_URL": broker, "CC_DATA_DIR": str(data), **extra}


@contextmanager
def _workers(env: dict[str, str], count: int, threads: int = 1):
    argv = [sys.executable, "-c", CLI, "worker", "--processes", "1", "--threads", str(threads)]
    started = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(count)
    ]
    try:
        for process in started:  # ready: the line it prints before warming up, then a moment
            process.stdout.readline()
        time.sleep(3)
        yield started
    finally:
        for process in started:
            process.kill()
            process.wait()


def _wait_done(store, digests: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = jobs.rows(store, digests=digests)
        if len(rows) == len(digests) and all(r.state in ("done", "failed") for r in rows):
            failed = [r.error for r in rows if r.state == "failed"]
            assert not failed, failed[:3]
            return
        time.sleep(0.2)
    raise TimeoutError("queue batch did not finish")


def _pool_vs_queue(root: Path, broker: str) -> list[str]:
    # Local pool: 2 processes, SQLite, no posters.
    settings = load_settings(env={}, cc_data_dir=root / "pool")
    store = open_store(settings)
    run_batch(  # warm: imports, playbook, fonts
        [BatchInput("warm", c) for c in _canvases(2, "热")], root / "pool-warm", store, settings
    )
    inputs = [BatchInput(f"c{i}", c) for i, c in enumerate(_canvases(CANVASES, "池"))]
    started = time.perf_counter()
    summary = run_batch(inputs, root / "pool-out", store, settings, concurrency=2, posters=False)
    pool = time.perf_counter() - started
    store.close()
    assert summary.done == CANVASES

    # Queue: 2 workers (one process each) on this machine; the asker enqueues, waits and writes
    # the folders from the store, as `batch --queue --wait` does.
    env = _env(broker, root / "queue")
    qsettings = load_settings(env=env)
    store = open_store(qsettings)
    broker_ = queue.make_broker(qsettings)
    with _workers(env, 2):
        entries = [BatchInput(f"q{i}", c) for i, c in enumerate(_canvases(CANVASES, "队"))]
        started = time.perf_counter()
        asked = ask.enqueue(entries, store, lambda job: queue.send(broker_, job), posters=False)
        _wait_done(store, asked.digests)
        out = root / "queue-out"
        for row in jobs.rows(store, digests=asked.digests):
            canvas = store.canvas(row.campaign_id)
            folder = out / f"{row.name}-{canvas_hash(canvas)[:8]}"
            ask.write_folder(store, row.campaign_id, folder)
        queued = time.perf_counter() - started
    broker_.close()
    store.close()
    ratio = queued / pool
    return [
        f"| 本机进程池（2 个进程） | {CANVASES} | {pool:.1f} | {CANVASES / pool * 60:.0f} | 1.00 |",
        f"| 队列（2 个 worker，Redis + SQLite，含从数据库写出文件夹） | {CANVASES} | {queued:.1f} | "
        f"{CANVASES / queued * 60:.0f} | {ratio:.2f}（目标 ≤ 1.15 {'✓' if ratio <= 1.15 else '✗'}） |",
    ]


class _Limited:
    """`LIMIT` requests a `WINDOW`, a bucket holding a window's worth, 429 beyond it."""

    def __init__(self, respond) -> None:
        self.respond, self.rate = respond, LIMIT / WINDOW
        self.level, self.stamp = float(LIMIT), time.monotonic()
        self.accepted: list[float] = []
        self.refused = 0
        self.lock = threading.Lock()

    def __call__(self, body):
        with self.lock:
            now = time.monotonic()
            self.level = min(LIMIT, self.level + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.level < 1:
                self.refused += 1
                return Reply.fault(429, "rate limit reached", retry_after="1")
            self.level -= 1
            self.accepted.append(now)
        return self.respond(body)


def _rate_limited(root: Path, broker: str) -> list[str]:
    example = load_canvas(EXAMPLES[0])
    provider = _Limited(answers_from(package_answers(generate_week(example))))
    with ScriptedServer(provider) as server:
        env = _env(
            broker, root / "llm", CC_ENGINE="openai", OPENAI_BASE_URL=server.url,
            OPENAI_API_KEY="sk-bench", CC_MODEL="bench", CC_TIMEOUT="10", CC_MAX_RETRIES="0",
            CC_RATE_LIMIT_RPM=str(LIMIT), CC_RATE_LIMIT_WINDOW=str(WINDOW), CC_MAX_CONCURRENCY="4",
        )  # fmt: skip
        settings = load_settings(env=env)
        store = open_store(settings)
        broker_ = queue.make_broker(settings)
        with _workers(env, 2, threads=2):
            canvases = [example.model_copy(update={"name": f"限速{i}"}) for i in range(4)]
            ask.enqueue(
                [BatchInput(c.name, c) for c in canvases],
                store,
                lambda job: queue.send(broker_, job),
                posters=False,
            )
            deadline = time.monotonic() + 120
            while len(provider.accepted) < MEASURED and time.monotonic() < deadline:
                time.sleep(0.1)
        broker_.close()
        store.close()
    arrived = provider.accepted
    steady = arrived[MEASURED - LIMIT - 20 : MEASURED]
    rate = (len(steady) - 1) / (steady[-1] - steady[0])
    off = rate / (LIMIT / WINDOW) - 1
    busiest = max(sum(t <= a < t + WINDOW for a in arrived) for t in arrived)
    return [
        f"| 限额 | {LIMIT} 次 / {WINDOW:g} 秒（{LIMIT / WINDOW:.1f} 次/秒） |",
        f"| 实测稳定吞吐（第 {MEASURED - LIMIT - 20}–{MEASURED} 个请求） | {rate:.2f} 次/秒（{off:+.1%}，"
        f"目标 ±5 % {'✓' if abs(off) <= 0.05 else '✗'}） |",
        f"| 429 次数 | {provider.refused} |",
        f"| 最忙的一个窗口里到达的请求 | {busiest}（授权均匀，发送在授权之后、同进程其他工作之后，会成簇到达） |",
    ]


def run() -> str:
    with tempfile.TemporaryDirectory() as folder, redis_server() as redis:
        root = Path(folder)
        redis.flush()
        pool = _pool_vs_queue(root, redis.url)
        redis.flush()
        limited = _rate_limited(root, redis.url)
    return "\n".join(
        [
            "## Batch queue (Dramatiq + Redis)",
            "",
            f"{CANVASES} template-engine canvases (no posters) on this machine ({os.cpu_count()} "
            "cores), SQLite. Baseline: the local process pool with 2 processes. The queue's time "
            "runs from the first enqueue to the last folder written from the store.",
            "",
            "| 执行方式 | 画布数 | 总用时 (s) | 每分钟画布数 | 相对本机进程池 |",
            "|---|---|---|---|---|",
            *pool,
            "",
            "The LLM engine on 4 queue workers (2 processes × 2 threads) sharing one rate limit in "
            "Redis, against the local OpenAI-compatible server limiting the key (a bucket holding "
            "one window's requests, refilled continuously, 429 beyond it).",
            "",
            "| 项目 | 结果 |",
            "|---|---|",
            *limited,
        ]
    )
