"""The batch queue on Dramatiq's StubBroker: jobs are JSON, a canvas is stored once however often
its job arrives, transient failures are retried (after Retry-After), permanent ones recorded in
Chinese, failed stores retried alone, images travel through the store, answers are shared."""

from __future__ import annotations

import json
import time
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from PIL import Image

from pipelines.batch import ask, jobs, queue, work
from pipelines.batch.inputs import BatchInput
from pipelines.canvas import Canvas
from pipelines.settings import load_settings
from pipelines.store import open_store


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, cc_data_dir=tmp_path / "data", cc_job_retries=2)


@pytest.fixture
def store(settings):
    opened = open_store(settings)
    yield opened
    opened.close()


@pytest.fixture
def broker(settings, store):
    """A StubBroker with the canvas actor, one worker thread, and this test's settings/store."""
    stub = queue.declare(StubBroker(), settings)
    stub.emit_after("process_boot")
    queue.configure(settings, store)
    events: list[tuple[str, str]] = []
    queue._hooks.clear()
    queue.on_job(lambda outcome, job, detail: events.append((outcome, job.source)))
    stub.events = events
    worker = dramatiq.Worker(stub, worker_timeout=50, worker_threads=1)
    worker.start()
    yield stub
    worker.stop()
    stub.close()
    queue._hooks.clear()
    queue.configure(None)


def inputs_for(canvas: Canvas, names: list[str], base_dir: Path = Path(".")) -> list[BatchInput]:
    return [
        BatchInput(f"{name}.toml", canvas.model_copy(update={"name": name}), base_dir=base_dir)
        for name in names
    ]


def enqueue(broker, store, entries, **options) -> ask.Enqueued:
    options.setdefault("posters", False)
    return ask.enqueue(entries, store, lambda job: queue.send(broker, job), **options)


def join(broker) -> None:
    broker.join(queue.QUEUE, fail_fast=False, timeout=60_000)


def test_a_job_is_plain_json_without_settings_key_or_paths(canvas, store):
    (entry,) = inputs_for(canvas, ["东门店暖锅周"])
    job = work.prepare(entry, store, batch_id="b1", engine="template", seed=3)
    data = json.loads(json.dumps(job.to_dict()))
    assert set(data) == {
        "digest", "canvas_json", "source", "batch_id", "engine", "seed", "posters", "images",
    }  # fmt: skip
    assert jobs.CanvasJob.from_dict(data) == job
    assert "api_key" not in data["canvas_json"] and "openai" not in json.dumps(data)


def test_enqueued_canvases_are_stored_once_each_and_the_batch_is_done(
    broker, store, canvas, tmp_path
):
    asked = enqueue(broker, store, inputs_for(canvas, ["东门店暖锅周", "西门店暖锅周"]))
    join(broker)
    rows = jobs.rows(store, asked.batch_id)
    assert [r.state for r in rows] == ["done", "done"]
    assert sorted(c.name for c in store.campaigns()) == ["东门店暖锅周", "西门店暖锅周"]
    folder = ask.write_folder(store, rows[0].campaign_id, tmp_path / "out" / "east")
    assert json.loads((folder / "package.json").read_text("utf-8"))["canvas"]["name"]


def test_the_same_canvas_enqueued_twice_yields_one_campaign(broker, store, canvas):
    first = enqueue(broker, store, inputs_for(canvas, ["同一个活动"]))
    (job,) = first.sent
    queue.send(broker, job)  # a duplicated message, as a redelivery would bring
    second = enqueue(broker, store, inputs_for(canvas, ["同一个活动"]))  # before any ran
    join(broker)
    assert len(store.campaigns()) == 1
    outcomes = sorted(outcome for outcome, _ in broker.events)
    assert outcomes == ["done", "stored", "stored"]
    assert jobs.rows(store, second.batch_id)[0].state == "done"
    # Asked again once it is stored: nothing is sent at all.
    third = enqueue(broker, store, inputs_for(canvas, ["同一个活动"]))
    assert (len(third.sent), len(third.stored)) == (0, 1)


def test_a_transient_failure_is_retried_after_the_providers_retry_after(
    broker, store, canvas, monkeypatch
):
    real = work._generate
    calls: list[float] = []

    def flaky(job, settings, store):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise work.Transient("请求过于频繁或额度用尽（429）", retry_after=0.6)
        return real(job, settings, store)

    monkeypatch.setattr(work, "_generate", flaky)
    asked = enqueue(broker, store, inputs_for(canvas, ["东门店暖锅周"]))
    join(broker)
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.6
    (row,) = jobs.rows(store, asked.batch_id)
    assert (row.state, row.attempts, row.error) == ("done", 2, None)
    assert [o for o, _ in broker.events] == ["retry", "done"]


def test_a_permanent_failure_is_recorded_in_chinese_and_not_retried(broker, store, canvas):
    # The LLM engine without its settings: a configuration problem, not worth retrying.
    asked = enqueue(broker, store, inputs_for(canvas, ["东门店暖锅周"]), engine="openai")
    join(broker)
    (row,) = jobs.rows(store, asked.batch_id)
    assert row.state == "failed" and row.attempts == 1
    assert "大模型引擎配置不完整" in row.error
    assert store.campaigns() == []
    assert [o for o, _ in broker.events] == ["failed"]
    assert len(broker.dead_letters) == 1


def test_retries_used_up_record_the_last_failure(broker, store, canvas, monkeypatch):
    def always(job, settings, store):
        raise work.Transient("模型服务出错（503）", retry_after=0.05)

    monkeypatch.setattr(work, "_generate", always)
    asked = enqueue(broker, store, inputs_for(canvas, ["东门店暖锅周"]))
    join(broker)
    (row,) = jobs.rows(store, asked.batch_id)
    assert row.state == "failed" and row.attempts == 3  # the first try and cc_job_retries=2
    assert row.error.startswith("重试 2 次后仍失败：模型服务出错（503）")


def test_failed_stores_are_retried_alone(broker, store, canvas, monkeypatch):
    real = work._generate

    def broken_west(job, settings, store):
        if "西门店" in job.canvas_json and not fixed:
            raise work.Permanent("商品「牛肉卷」的图片找不到")
        return real(job, settings, store)

    fixed = False
    monkeypatch.setattr(work, "_generate", broken_west)
    asked = enqueue(broker, store, inputs_for(canvas, ["东门店暖锅周", "西门店暖锅周"]))
    join(broker)
    states = {r.name: r.state for r in jobs.rows(store, asked.batch_id)}
    assert states == {"东门店暖锅周": "done", "西门店暖锅周": "failed"}

    fixed = True
    broker.events.clear()
    failed = [r.digest for r in jobs.rows(store, asked.batch_id) if r.state == "failed"]
    assert ask.resend(store, failed, lambda job: queue.send(broker, job)) == 1
    join(broker)
    assert [o for o, _ in broker.events] == ["done"]  # the done store was not sent again
    assert {r.state for r in jobs.rows(store, asked.batch_id)} == {"done"}
    assert len(store.campaigns()) == 2


def test_a_canvas_another_live_worker_holds_is_looked_at_later_without_using_a_retry(
    broker, store, canvas, settings
):
    (entry,) = inputs_for(canvas, ["东门店暖锅周"])
    job = work.prepare(entry, store, batch_id="b1", posters=False)
    jobs.record(store, [job])
    assert jobs.claim(store, job, "other-machine:1", lease=1.0).outcome == "claimed"
    started = time.monotonic()
    queue.send(broker, job)
    join(broker)
    # The other worker never renewed its lease (it died): taken over once the lease ran out.
    assert time.monotonic() - started >= 0.9
    (row,) = jobs.rows(store, "b1")
    assert row.state == "done" and row.attempts == 2
    assert "busy" in [o for o, _ in broker.events] and broker.events[-1][0] == "done"


def test_a_claim_is_taken_by_one_worker_only(store, canvas):
    (entry,) = inputs_for(canvas, ["东门店暖锅周"])
    job = work.prepare(entry, store, batch_id="b1", posters=False)
    jobs.record(store, [job])
    first = jobs.claim(store, job, "a:1", lease=30)
    second = jobs.claim(store, job, "b:2", lease=30)
    assert (first.outcome, second.outcome) == ("claimed", "busy")
    assert 29 < second.wait <= 30


def write_png(path: Path, colour: tuple[int, int, int]) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), colour).save(path)
    return path.read_bytes()


def test_product_images_travel_with_the_job_through_the_store(broker, store, canvas, tmp_path):
    source = tmp_path / "canvases"
    raw = write_png(source / "images" / "beef.png", (200, 30, 30))
    products = [p.model_copy(update={"image": "images/beef.png"}) for p in canvas.products]
    with_image = canvas.model_copy(update={"products": products, "name": "有图的门店"})
    entry = BatchInput("有图的门店.toml", with_image, base_dir=source)
    asked = ask.enqueue([entry], store, lambda job: None)  # recorded, not sent yet
    (job,) = asked.sent
    assert list(job.images) == ["images/beef.png"]
    (source / "images" / "beef.png").unlink()  # the worker's machine has no such file
    assert jobs.get_blobs(store, job.images.values()) == {job.images["images/beef.png"]: raw}

    queue.send(broker, job)
    join(broker)
    (row,) = jobs.rows(store, asked.batch_id)
    assert row.state == "done", row.error
    posters = store.items(row.campaign_id, kind="poster_copy")
    assert posters and all(p.has_poster_png for p in posters)
    # The stored canvas still names the image as the asker wrote it.
    assert {p.image for p in store.canvas(row.campaign_id).products} == {"images/beef.png"}
    folder = ask.write_folder(store, row.campaign_id, tmp_path / "out" / "img")
    assert len(list((folder / "posters").glob("*.png"))) == len(posters)


def test_the_answer_cache_in_the_store_is_shared(store, settings):
    first, second = jobs.StoreCache(store), jobs.StoreCache(open_store(settings))
    first.put("llm/abc", '{"x": 1}')
    first.put("llm/abc", '{"x": 1}')  # a second worker writing the same answer is harmless
    assert second.get("llm/abc") == '{"x": 1}' and second.get("llm/other") is None


def test_backoff_honours_retry_after_and_doubles_otherwise():
    assert queue.backoff(0, 7.5) == 7.5
    assert queue.backoff(3, 10_000) == queue.MAX_BACKOFF
    assert 1.6 <= queue.backoff(0, None) <= 2.4 and 12.8 <= queue.backoff(3, None) <= 19.2


def test_two_machines_share_one_rate_limit_in_redis(broker_url):
    """Two processes' worth of limiters (separate clients) against one Redis: together they
    keep to the limit, and what an answer did not use is given back."""
    import asyncio

    import redis

    from pipelines.engines.llm import limits

    def limiter() -> limits.SharedRateLimit:
        client = redis.Redis.from_url(broker_url)
        return limits.SharedRateLimit(
            client,
            limits.SharedBucket("cc:rate:test:requests", 60, 2.0),
            limits.SharedBucket("cc:rate:test:tokens", 100_000, 2.0),
        )

    first, second = limiter(), limiter()
    granted: list[float] = []

    async def ask(limit: limits.SharedRateLimit) -> None:
        await limit.acquire(100)
        granted.append(time.monotonic())

    async def main() -> None:
        await asyncio.gather(*(ask(first if i % 2 else second) for i in range(45)))

    asyncio.run(main())
    granted.sort()
    rate = (len(granted) - 3) / (granted[-1] - granted[2])  # after the burst of two
    assert abs(rate - 30) <= 1.5, rate

    slow = limits.SharedRateLimit(
        redis.Redis.from_url(broker_url), None, limits.SharedBucket("cc:rate:slow", 10_000, 60.0)
    )
    asyncio.run(slow.acquire(1000))  # a minute's bucket owes 6 s now
    client = redis.Redis.from_url(broker_url)
    before = float(client.get("cc:rate:slow"))
    slow.settle(reserved=1000, used=400)  # 600 tokens back
    after = float(client.get("cc:rate:slow"))
    assert before - after == pytest.approx(600 * slow.tokens.per_unit_ms, rel=0.01)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["batch"], "请给出画布文件"),
        (["batch", "--status"], "还没有队列批次"),
        (["batch", "a.toml", "--queue"], "CC_BROKER_URL"),
        (["batch", "a.toml", "--wait", "--out", "x"], "--wait 要和 --queue 一起用"),
        (["worker"], "CC_BROKER_URL"),
    ],
)
def test_the_queue_commands_say_in_chinese_what_is_missing(argv, said, capsys):
    from pipelines.cli import main

    assert main(argv) == 2
    assert said in capsys.readouterr().err


def test_the_worker_command_has_chinese_help(capsys):
    from pipelines.cli import main

    with pytest.raises(SystemExit):
        main(["worker", "--help"])
    shown = capsys.readouterr().out
    assert "工作进程数" in shown and "用法" in shown
