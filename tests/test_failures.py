"""Every failure is recorded with its root cause: over real HTTP, a provider that answers 200 with
something that is not a chat completion fails the task by name in `week`, `batch` and `doctor`,
nothing is stored as done, and the key an upstream echoes back reaches no file and no output."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from openai_server import (
    Reply,
    ScriptedServer,
    answers_from,
    item_id_of,
    package_answers,
    task_of,
    use_server,
)

from pipelines.canvas import load_canvas
from pipelines.cli import main
from pipelines.engines.base import TaskKind
from pipelines.engines.fake import FakeEngine
from pipelines.engines.llm.briefs import post_briefs
from pipelines.engines.template import TemplateEngine
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.tasks import build_week, generate_week
from pipelines.textsafe import for_terminal, redact

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "examples" / "fresh_groupbuy.toml"
KEY = "sk-echoed-secret-0042"
NOT_A_COMPLETION = "不是聊天补全结果"

BODIES = {
    "an HTML page from a proxy": Reply.body("<html><h1>502 Bad Gateway</h1></html>", "text/html"),
    "an empty body": Reply.body(""),
    "text that is not JSON": Reply.body("upstream says hello", "text/plain"),
    "JSON of another shape": Reply.body('{"data": [1, 2, 3]}'),
    "choices without a message": Reply.body('{"choices": [{"index": 0}]}'),
}


@pytest.fixture
def server(monkeypatch):
    with ScriptedServer() as running:
        use_server(monkeypatch, running.url, key=KEY, model="probe-model", CC_MAX_RETRIES="0")
        yield running


@pytest.fixture(scope="module")
def answers() -> dict[str, str]:
    return package_answers(generate_week(load_canvas(EXAMPLE), TemplateEngine(seed=0)))


def always(reply: Reply):
    return lambda body: reply


def all_but(answers: dict[str, str], task_id: str, reply: Reply):
    """Good answers for every task except `task_id` (all its parts), which gets `reply`."""
    good = answers_from(answers)
    return lambda body: reply if task_of(body) == task_id else good(body)


def week(out: Path, *extra: str) -> int:
    return main(["week", str(EXAMPLE), "--out", str(out), "--no-posters", "--no-cache", *extra])


def files_under(folder: Path) -> str:
    if not folder.exists():
        return ""
    data = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    return data.decode("utf-8", "replace")  # the database too


# --- week --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reply", BODIES.values(), ids=BODIES.keys())
def test_a_week_whose_every_answer_is_not_a_completion_fails_by_name_and_writes_nothing(
    server, tmp_path, capsys, reply
):
    server.responder = always(reply)
    out = tmp_path / "out"
    assert week(out) == 1

    captured = capsys.readouterr()
    assert NOT_A_COMPLETION in captured.err
    assert "未完成：group-kit：" in captured.err and "未完成：fabe-beef：" in captured.err
    assert "没有生成任何内容" in captured.err and "完成：" not in captured.out
    assert "Traceback" not in captured.err
    assert not out.exists()


def test_one_task_answered_with_html_is_a_named_failure_in_the_package(
    server, answers, tmp_path, capsys
):
    server.responder = all_but(answers, "group-kit", BODIES["an HTML page from a proxy"])
    out = tmp_path / "out"
    assert week(out) == 1

    package = json.loads((out / "package.json").read_text("utf-8"))
    assert package["group_kit"] is None
    (failure,) = package["failures"]
    assert failure["task_id"] == "group-kit" and NOT_A_COMPLETION in failure["message"]
    captured = capsys.readouterr()
    assert "部分完成（1 个任务未完成）" in captured.out and "失败任务 1" in captured.out
    assert "未完成：group-kit：" in captured.err


def test_a_dependent_names_the_task_it_waited_for_and_root_causes_come_first(
    server, answers, tmp_path, capsys
):
    server.responder = all_but(answers, "fabe-veg", BODIES["an empty body"])
    assert week(tmp_path / "out") == 1

    failures = json.loads((tmp_path / "out" / "package.json").read_text("utf-8"))["failures"]
    assert failures[0]["task_id"] == "fabe-veg" and not failures[0]["skipped"]
    skipped = {f["task_id"]: f["message"] for f in failures[1:]}
    assert all(f["skipped"] for f in failures[1:])
    # The LLM engine writes post by post: the posts of that product wait for it, then the week.
    veg = [b for b in post_briefs(load_canvas(EXAMPLE)) if b.product_id == "veg"]
    posters = {f"poster-{b.id}" for b in veg if b.poster_kind}
    assert set(skipped) == {"calendar", "launch", *(b.id for b in veg), *posters}
    assert skipped[veg[0].id] == "依赖的任务 fabe-veg 失败，未生成"
    assert skipped["calendar"].startswith(f"依赖的任务 {veg[0].id}")
    out = capsys.readouterr().out
    assert f"失败任务 {len(failures)}" in out


# --- batch -------------------------------------------------------------------------------------


def batch(tmp_path: Path) -> int:
    args = ["batch", str(EXAMPLE), "--out", str(tmp_path / "out"), "--concurrency", "1"]
    return main([*args, "--no-posters"])


def stored_campaigns() -> list[Any]:
    store = open_store(load_settings())
    try:
        return store.campaigns()
    finally:
        store.close()


@pytest.mark.parametrize(
    "reply",
    [BODIES["an HTML page from a proxy"], BODIES["JSON of another shape"]],
    ids=["html", "wrong shape"],
)
def test_a_batch_week_missing_its_group_kit_is_failed_and_not_stored_as_done(
    server, answers, tmp_path, capsys, reply
):
    server.responder = all_but(answers, "group-kit", reply)
    assert batch(tmp_path) == 1
    out = capsys.readouterr().out
    assert "失败 1 个" in out and "group-kit" in out and NOT_A_COMPLETION in out
    assert stored_campaigns() == []

    server.responder = answers_from(answers)  # the provider is fixed: the rerun redoes it
    assert batch(tmp_path) == 0
    assert "完成 1 个，跳过 0 个" in capsys.readouterr().out
    assert len(stored_campaigns()) == 1


def test_a_batch_whose_every_answer_is_empty_fails_with_the_real_count(server, tmp_path, capsys):
    server.responder = always(BODIES["an empty body"])
    assert batch(tmp_path) == 1
    out = capsys.readouterr().out
    # 3 FABE, the kit, every post (or skipped), the posters of posts, the calendar, the launch.
    briefs = post_briefs(load_canvas(EXAMPLE))
    tasks = 3 + 1 + len(briefs) + sum(1 for b in briefs if b.poster_kind) + 2
    assert "失败 1 个" in out and f"有 {tasks} 个任务未完成" in out and NOT_A_COMPLETION in out
    assert stored_campaigns() == []


# --- doctor ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reply", BODIES.values(), ids=BODIES.keys())
def test_doctor_names_a_body_that_is_not_a_completion(server, capsys, reply):
    server.script(reply)
    assert main(["doctor"]) == 2
    captured = capsys.readouterr()
    assert NOT_A_COMPLETION in captured.err and "Traceback" not in captured.err
    assert "正常" not in captured.out


def test_doctor_does_not_call_a_cut_off_answer_healthy(server, capsys):
    server.script(Reply(content='{"ok": true}', finish_reason="length"))
    assert main(["doctor"]) == 2
    captured = capsys.readouterr()
    assert "截断" in captured.err and "正常" not in captured.out


# --- what upstream says stays out of files and off the terminal ----------------------------------

ECHOES = {
    "401": Reply.fault(401, f"Incorrect API key. Request headers: Authorization: Bearer {KEY}"),
    "400": Reply.fault(400, f"bad request from key {KEY}"),
    "500": Reply.fault(500, f"internal error; api_key={KEY}"),
    "200 html": Reply.body(f"<html>Authorization: Bearer {KEY}</html>", "text/html"),
}


@pytest.mark.parametrize("reply", ECHOES.values(), ids=ECHOES.keys())
def test_an_upstream_that_echoes_the_key_leaks_it_into_no_file_and_no_output(
    server, tmp_path, capsys, caplog, reply
):
    server.responder = always(reply)
    assert week(tmp_path / "out", "--verbose") == 1
    assert batch(tmp_path / "b") == 1
    assert main(["doctor"]) == 2

    captured = capsys.readouterr()
    assert KEY not in captured.out + captured.err + caplog.text
    assert KEY not in files_under(tmp_path)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent


def test_the_providers_words_are_shown_redacted_but_the_package_holds_our_own_message(
    server, answers, tmp_path, capsys
):
    says = f"quota exceeded for Bearer {KEY}, see \x1b[31mbilling\x1b[0m"
    server.responder = all_but(answers, "group-kit", Reply.fault(403, says))
    assert week(tmp_path / "out") == 1

    err = capsys.readouterr().err
    assert "服务商说明：quota exceeded for ***, see billing" in err
    assert "\x1b" not in err
    written = files_under(tmp_path / "out")
    assert "没有权限（403）" in written and "quota exceeded" not in written


def test_a_retry_after_longer_than_we_wait_is_reported_as_not_retried(monkeypatch, server, capsys):
    monkeypatch.setenv("CC_MAX_RETRIES", "2")
    server.script(Reply.fault(429, "slow down", retry_after="3600"))
    assert main(["doctor"]) == 2

    err = capsys.readouterr().err
    assert "等待 3600 秒" in err and "没有重试" in err and "重试 2 次" not in err
    assert len(server.requests) == 1


def test_a_week_asked_to_wait_an_hour_says_so_in_its_failures(
    monkeypatch, server, answers, tmp_path
):
    monkeypatch.setenv("CC_MAX_RETRIES", "2")
    server.responder = all_but(answers, "group-kit", Reply.fault(429, "later", retry_after="3600"))
    assert week(tmp_path / "out") == 1

    (failure,) = json.loads((tmp_path / "out" / "package.json").read_text("utf-8"))["failures"]
    assert "等待 3600 秒" in failure["message"] and "没有重试" in failure["message"]
    assert [item_id_of(r.body) for r in server.requests].count("group-kit") == 1


def test_a_rejected_answer_is_shown_only_with_verbose_and_cut_short(
    monkeypatch, server, answers, tmp_path, capsys
):
    junk = "不是JSON的长回答" * 400
    server.responder = all_but(answers, "group-kit", Reply(content=junk))
    assert week(tmp_path / "quiet") == 1
    quiet = capsys.readouterr().err
    assert "模型连续 3 次回答都不合格" in quiet and "不是JSON的长回答" not in quiet

    assert week(tmp_path / "loud", "--verbose") == 1
    loud = capsys.readouterr().err
    assert "最后一次回答：不是JSON的长回答" in loud and "已截断" in loud
    assert loud.count("不是JSON的长回答") < 200


def test_escape_sequences_from_the_provider_never_reach_the_terminal(server, capsys):
    completion = {
        "model": "evil\u001b]0;pwned\u0007\u001b[2J-model\u202e",
        "choices": [{"message": {"content": '{"ok": true}'}, "finish_reason": "stop"}],
    }
    server.script(Reply.body(json.dumps(completion)))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "模型「evil-model」" in out
    assert not any(c in out for c in "\x1b\x07\u202e")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("红\x1b[31m色\x1b[0m", "红色"),
        ("标题\x1b]0;换掉窗口标题\x07后", "标题后"),
        ("清屏\x1b[2J\x1b[H", "清屏"),
        ("反\u202e向", "反向"),
        ("响铃\x07退格\x08空\x00", "响铃退格空"),
        ("两\n行\t字", "两 行 字"),
        ("8 位\x9b31m控制", "8 位控制"),
    ],
)
def test_terminal_text_loses_escapes_and_control_characters(text, shown):
    assert for_terminal(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {KEY}",
        f"key {KEY} rejected",
        "token sk-proj-Ab3_dE5fG7hI9jK1",
        "x-api-key: 0123456789abcdef",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
    ],
)
def test_redaction_hides_the_key_and_anything_shaped_like_a_credential(text):
    hidden = redact(text, [KEY])
    assert "***" in hidden
    assert KEY not in hidden and "sk-proj" not in hidden and "eyJ" not in hidden
    assert "0123456789abcdef" not in hidden


# --- the runner: no exception vanishes ------------------------------------------------------------


def test_an_exception_outside_the_domain_errors_is_a_named_failure(canvas):
    engine = FakeEngine(fallback=TemplateEngine(seed=0))
    engine.enqueue(TaskKind.GROUP_KIT, AttributeError("'str' object has no attribute 'usage'"))
    package = asyncio.run(build_week(canvas, engine))

    (failure,) = package.failures
    assert failure.task_id == "group-kit" and not failure.skipped
    assert failure.message.startswith("内部错误（AttributeError")
    assert package.counts()["失败任务"] == 1


def test_a_week_start_at_the_end_of_the_calendar_names_the_root_cause(canvas):
    import datetime as dt

    late = canvas.model_copy(update={"week_start": dt.date(9999, 12, 30)})
    package = generate_week(late)

    roots = [f for f in package.failures if not f.skipped]
    assert roots and all("OverflowError" in f.message for f in roots)
    assert package.failures[: len(roots)] == roots  # root causes are listed first
    assert {f.task_id for f in roots} >= {"group-kit", *(f"fabe-{p.id}" for p in canvas.products)}
