"""The settings page: engine and endpoint; the API key is never shown back or written elsewhere."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

from app_pages import common

SETTINGS = "app_pages/settings.py"
KEY = "sk-test-0123456789abcdef"


def fill(at, *, model: str = "deepseek-chat", key: str = KEY, remember: bool = False) -> None:
    at.radio[0].set_value("openai")
    at.selectbox[0].set_value("deepseek")
    next(t for t in at.text_input if t.label == "模型名").set_value(model)
    next(t for t in at.text_input if t.label == "密钥（API Key）").set_value(key)
    at.checkbox[0].set_value(remember)
    next(b for b in at.button if b.label == "应用设置").click().run()


def test_the_settings_page_renders_with_the_template_engine_by_default(app, texts) -> None:
    at = app(SETTINGS)
    assert not at.exception
    assert "内置模板引擎" in texts(at)
    assert "密钥：未设置" in texts(at)


def test_an_applied_key_is_used_but_never_shown_back(app, texts, sandbox: Path) -> None:
    at = app(SETTINGS)
    fill(at)
    assert not at.exception
    assert at.session_state[common.OVERRIDES]["openai_api_key"] == KEY
    assert KEY not in texts(at)
    assert next(t for t in at.text_input if t.label == "密钥（API Key）").value == ""
    assert "已设置（不显示）" in texts(at)
    assert not (sandbox / ".streamlit" / "secrets.toml").exists()


def test_the_key_is_written_only_to_the_users_own_secrets_file_when_asked(
    app, texts, sandbox: Path
) -> None:
    at = app(SETTINGS)
    fill(at, remember=True)
    secrets = sandbox / ".streamlit" / "secrets.toml"
    assert tomllib.loads(secrets.read_text())["OPENAI_API_KEY"] == KEY
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert KEY not in texts(at)
    assert "保存到" in at.success[0].value


def test_an_incomplete_llm_setup_is_refused_in_chinese(app) -> None:
    at = app(SETTINGS)
    fill(at, model="")
    assert "没有设置模型名" in at.error[0].value
    assert at.session_state[common.OVERRIDES] == {}


def test_defaults_apply_to_the_session(app) -> None:
    at = app(SETTINGS)
    next(n for n in at.number_input if n.label == "并发任务数").set_value(3)
    next(b for b in at.button if b.label == "保存默认值").click().run()
    assert at.session_state[common.OVERRIDES]["cc_max_concurrency"] == 3


def test_the_doctor_check_passes_on_the_template_engine(app) -> None:
    at = app(SETTINGS)
    at.button(key="doctor").click().run()
    assert "无需联网" in at.success[0].value


def test_the_doctor_check_calls_the_configured_endpoint_once(app, texts) -> None:
    from openai_server import Reply, ScriptedServer

    with ScriptedServer() as server:
        server.script(Reply.json({"ok": True}))
        overrides = {
            "cc_engine": "openai",
            "openai_base_url": server.url,
            "cc_model": "test-model",
            "openai_api_key": KEY,
        }
        at = app(SETTINGS, settings_overrides=overrides)
        at.button(key="doctor").click().run()
    assert "正常：模型「test-model」" in at.success[0].value
    assert len(server.requests) == 1
    assert KEY not in texts(at)


def test_only_an_admin_may_change_the_engine_and_the_key(app, texts) -> None:
    from pipelines.auth import User

    at = app("app_pages/settings.py", user=User("小王", "operator"))
    assert not at.exception
    assert "由管理员设置" in at.info[0].value
    assert not [t for t in at.text_input if "密钥" in t.label]
    assert not at.radio and [b.key for b in at.button] == ["signout"]
    assert "CC_" not in texts(at) and "OPENAI_" not in texts(at)


def test_the_doctor_speaks_in_plain_words_with_setting_names_only_as_an_admin_hint(app) -> None:
    at = app(SETTINGS)
    at.button(key="doctor").click().run()
    said = [t.value for t in at.text] + [e.value for e in at.success]
    assert "生成引擎：内置模板引擎（离线，不联网，不需要密钥）" in said
    assert not any("CC_" in line or "OPENAI_" in line for line in said), said
    hints = [c.value for c in at.caption if "给管理员" in c.value]
    assert hints and "CC_ENGINE" in hints[0]


def test_a_model_that_ignores_the_format_gets_advice_in_words(app) -> None:
    from openai_server import Reply, ScriptedServer

    with ScriptedServer() as server:
        server.script(Reply(content="好的，我明白了"))
        overrides = {
            "cc_engine": "openai",
            "openai_base_url": server.url,
            "cc_model": "test-model",
            "openai_api_key": KEY,
        }
        at = app(SETTINGS, settings_overrides=overrides)
        at.button(key="doctor").click().run()
    said = [t.value for t in at.text]
    assert "回答格式：严格按格式（JSON Schema）" in said
    assert "等待：一次请求最多等 60 秒" in " ".join(said)
    error = at.error[0].value
    assert "没有按要求的格式回答" in error and "「只要求 JSON 对象」" in error
    assert "CC_" not in error and "JSON_MODE" not in error
    assert any("CC_JSON_MODE=object" in c.value for c in at.caption if "给管理员" in c.value)


def test_the_answer_format_can_be_chosen_on_the_page(app) -> None:
    at = app(SETTINGS)
    box = next(s for s in at.selectbox if s.label == "回答格式")
    assert box.value is None and box.format_func(None) == "跟随服务商（默认）"
    box.set_value("object")
    at.radio[0].set_value("openai")
    at.selectbox[0].set_value("deepseek")
    next(t for t in at.text_input if t.label == "模型名").set_value("deepseek-chat")
    next(t for t in at.text_input if t.label == "密钥（API Key）").set_value(KEY)
    next(b for b in at.button if b.label == "应用设置").click().run()
    assert not at.exception
    assert at.session_state[common.OVERRIDES]["cc_json_mode"] == "object"
