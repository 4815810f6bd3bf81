"""`campaign-canvas doctor` reports the configuration and one tiny call, or a clear reason."""

from __future__ import annotations

import pytest
from openai_server import Reply, ScriptedServer, use_server

from pipelines.cli import main

KEY = "sk-doctor-secret-77"


@pytest.fixture
def server(monkeypatch):
    with ScriptedServer() as running:
        use_server(monkeypatch, running.url, key=KEY, model="qwen-plus")
        yield running


def test_the_template_engine_needs_no_model(capsys):
    assert main(["doctor"]) == 0
    assert "内置模板引擎" in capsys.readouterr().out


def test_the_openai_engine_without_a_model_is_a_problem_named_in_chinese(monkeypatch, capsys):
    monkeypatch.setenv("CC_ENGINE", "openai")
    monkeypatch.setenv("CC_PROVIDER", "deepseek")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert "CC_MODEL" in err and "OPENAI_API_KEY" in err


def test_an_unknown_provider_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("CC_PROVIDER", "nosuch")
    assert main(["doctor"]) == 2
    assert "未知的服务商" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mode", "format_type"), [("schema", "json_schema"), ("object", "json_object")]
)
def test_a_working_endpoint_reports_model_mode_and_latency(
    server, monkeypatch, capsys, mode, format_type
):
    monkeypatch.setenv("CC_JSON_MODE", mode)
    server.script(Reply(content='{"ok": true}'))
    assert main(["doctor"]) == 0

    out = capsys.readouterr().out
    assert "正常" in out and "qwen-plus" in out and f"{mode} 模式" in out and "毫秒" in out
    assert KEY not in out
    assert len(server.requests) == 1
    assert server.requests[0].body["response_format"]["type"] == format_type


def test_a_wrong_key_is_reported_without_showing_it(server, capsys):
    server.script(Reply.fault(401, f"bad key {KEY}"))
    assert main(["doctor"]) == 2
    captured = capsys.readouterr()
    assert "API Key 无效" in captured.err
    assert KEY not in captured.out + captured.err


def test_an_answer_that_is_not_json_suggests_object_mode(server, capsys):
    server.script(Reply(content="好的，没问题"))
    assert main(["doctor"]) == 2
    assert "CC_JSON_MODE=object" in capsys.readouterr().err
