"""The batch on Dramatiq: a Redis broker (`CC_BROKER_URL`), one actor per canvas.

The asker (`campaign-canvas batch --queue`) records each canvas in `batch_jobs` and sends its
job (JSON); workers (`campaign-canvas worker`, any machine with the same settings) run
`work.run_job`. Tuned for a killed worker: brokers heartbeat on every poll and any broker's
poll may do the maintenance that hands a dead worker's messages back, so with
`CC_QUEUE_HEARTBEAT` seconds (default 10) and maintenance on every poll, a `kill -9`'d
worker's canvas is running elsewhere within about that many seconds (Dramatiq's defaults: a
minute's heartbeat, maintenance on one poll in a thousand). Each worker thread prefetches one
message, so a dying process strands at most its own.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from pipelines.batch import jobs, work
from pipelines.errors import ConfigError
from pipelines.settings import Settings, load_settings
from pipelines.store import Store, open_store

QUEUE = "canvases"
ACTOR = "generate_canvas"
NAMESPACE = "campaign-canvas"
MAINTENANCE_CHANCE = 1_000_000  # per million broker commands: every poll (two cheap lookups)
MIN_BACKOFF = 2.0  # seconds before the first retry of a transient failure (doubling after)
MAX_BACKOFF = 300.0

log = logging.getLogger(__name__)
_state: dict[str, Any] = {}
_lock = threading.Lock()


def make_broker(settings: Settings) -> dramatiq.Broker:
    """The Redis broker named by `CC_BROKER_URL`, with the actor declared on it."""
    from dramatiq.brokers.redis import RedisBroker

    if not settings.cc_broker_url:
        raise ConfigError(
            "没有设置队列地址：请设置 CC_BROKER_URL（Redis，如 redis://127.0.0.1:6379/0）"
        )
    broker = RedisBroker(
        url=settings.cc_broker_url,
        namespace=NAMESPACE,
        heartbeat_timeout=int(settings.cc_queue_heartbeat * 1000),
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    return declare(broker, settings)


def check_broker(broker: dramatiq.Broker, settings: Settings) -> None:
    """Raise a Chinese ConfigError unless the broker's Redis answers."""
    import redis

    client = getattr(broker, "client", None)
    if client is None:
        return
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(
            f"连不上队列的 Redis（CC_BROKER_URL={_shown(settings.cc_broker_url)}）："
            f"{type(exc).__name__}；请确认 redis-server 已启动、地址和端口正确"
        ) from None


def _shown(url: str | None) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit

    if not url:
        return ""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )
        return parts._replace(netloc=netloc).geturl()
    return url


def declare(broker: dramatiq.Broker, settings: Settings) -> dramatiq.Broker:
    """Add the current-message middleware and the canvas actor to `broker` (also a StubBroker)."""
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())
    dramatiq.set_broker(broker)
    dramatiq.actor(
        generate_canvas,
        actor_name=ACTOR,
        queue_name=QUEUE,
        broker=broker,
        max_retries=settings.cc_job_retries,
        time_limit=int(settings.cc_job_time_limit * 1000),
        throws=(work.Permanent,),
    )
    return broker


def configure(settings: Settings | None, store: Store | None = None) -> None:
    """The settings (and store) this process's actor uses; None: read them again when needed."""
    with _lock:
        old = _state.pop("store", None)
        if old is not None and old is not store and _state.get("own"):
            old.close()
        _state.clear()
        if settings is not None:
            _state["settings"] = settings
        if store is not None:
            _state["store"] = store


def _worker_context() -> tuple[Settings, Store]:
    with _lock:
        if "settings" not in _state:
            _state["settings"] = load_settings()
        if "store" not in _state:
            _state["store"] = open_store(_state["settings"])
            _state["own"] = True
        return _state["settings"], _state["store"]


def backoff(retries: int, retry_after: float | None) -> float:
    """Seconds before the next try: what the provider asked for, else doubling with jitter."""
    if retry_after is not None and retry_after > 0:
        return min(MAX_BACKOFF, retry_after)
    doubled = min(MAX_BACKOFF, MIN_BACKOFF * 2 ** max(0, retries))
    return doubled * random.uniform(0.8, 1.2)


Hook = Callable[[str, jobs.CanvasJob, str], None]
_hooks: list[Hook] = []


def on_job(hook: Hook) -> None:
    """Call `hook(outcome, job, detail)` after each message this process handles (the worker
    command prints a line; outcome: done | stored | failed | retry | busy)."""
    _hooks.append(hook)


def _tell(outcome: str, job: jobs.CanvasJob, detail: str) -> None:
    for hook in _hooks:
        try:
            hook(outcome, job, detail)
        except Exception:  # a broken printer must not fail the job
            log.exception("job hook failed")


def generate_canvas(data: dict[str, Any]) -> None:
    """The actor: run one canvas job. A transient failure is retried by Dramatiq after
    `backoff` (honouring Retry-After); a permanent one is recorded and the message is dropped
    (`throws`); once the retries are used up, the last transient failure is recorded as
    permanent. A canvas another worker is running is looked at again later, without using up
    a retry."""
    settings, store = _worker_context()
    job = jobs.CanvasJob.from_dict(data)
    message = CurrentMessage.get_current_message()
    retries = message.options.get("retries", 0) if message is not None else 0
    try:
        before = store.find_campaign(job.digest)
        campaign_id = work.run_job(job, settings, store)
    except work.Busy as exc:
        if message is not None:
            message.options["retries"] = retries - 1  # the middleware adds it back
        _tell("busy", job, str(exc))
        raise dramatiq.Retry(str(exc), delay=int(1000 * (exc.retry_after or 1))) from None
    except work.Transient as exc:
        if retries >= settings.cc_job_retries:
            reason = f"重试 {retries} 次后仍失败：{exc}"
            jobs.fail(store, job.digest, reason)
            _tell("failed", job, reason)
            raise work.Permanent(reason) from None
        wait = backoff(retries, exc.retry_after)
        _tell("retry", job, f"{exc}（{wait:.0f} 秒后重试）")
        raise dramatiq.Retry(str(exc), delay=int(wait * 1000)) from None
    except work.Permanent as exc:
        _tell("failed", job, str(exc))
        raise
    _tell("stored" if before else "done", job, campaign_id)


def _warm_up(llm: bool) -> None:
    """Load, before taking work, what the first canvas would load on the way (the playbook,
    the planner, compliance's dictionaries; for the LLM engine the SDK's lazily imported chat
    resources and the CA bundle): a request granted by the shared rate limit then goes out at
    once, not a second later together with the next ones."""
    from pipelines.canvas import load_canvas
    from pipelines.resources import EXAMPLES_DIR
    from pipelines.tasks import generate_week

    examples = sorted(EXAMPLES_DIR.glob("*.toml"))
    if examples:
        with contextlib.suppress(Exception):  # warming up is an optimisation only
            generate_week(load_canvas(examples[0]))
    if llm:
        import openai

        from pipelines.engines.llm.client import _ssl_context

        _ssl_context()
        client = openai.AsyncOpenAI(api_key="warm-up", base_url="http://127.0.0.1:9/v1")
        _ = client.chat.completions.with_raw_response  # imported on first use


def send(broker: dramatiq.Broker, job: jobs.CanvasJob) -> None:
    broker.get_actor(ACTOR).send(job.to_dict())


def run_worker(
    settings: Settings, *, threads: int = 1, stop: threading.Event | None = None
) -> None:
    """Consume canvas jobs until `stop` is set (the worker command sets it on SIGTERM/Ctrl-C)."""
    from pipelines.engines.llm.limits import share_limits

    broker = make_broker(settings)
    check_broker(broker, settings)
    configure(settings)
    share_limits(settings.cc_broker_url, window=settings.cc_rate_limit_window)
    _warm_up(settings.cc_engine == "openai")
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=threads, worker_timeout=500)
    worker.queue_prefetch = threads  # one message a thread: a killed process strands only its own
    worker.start()
    try:
        (stop or threading.Event()).wait()
    finally:
        worker.stop(timeout=int(settings.cc_job_time_limit * 1000))
        broker.close()
        share_limits(None)
        configure(None)
