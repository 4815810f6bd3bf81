"""Settings: environment over secrets file, provider presets, the LLM check, a key kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import ConfigError
from pipelines.settings import load_settings

NO_FILE = Path("/nonexistent/secrets.toml")


def settings(**env: str):
    return load_settings(env={k.upper(): v for k, v in env.items()}, secrets_file=NO_FILE)


@pytest.mark.parametrize(
    ("provider", "base_url", "json_mode"),
    [
        ("deepseek", "https://api.deepseek.com", "object"),
        ("qwen", "https://dashscope.aliyuncs.com/compatible-mode/v1", "object"),
        ("moonshot", "https://api.moonshot.cn/v1", "object"),
        ("ollama", "http://localhost:11434/v1", "schema"),
        ("vllm", "http://localhost:8000/v1", "schema"),
        ("openai", None, "schema"),
    ],
)
def test_a_preset_picks_base_url_and_json_mode(provider, base_url, json_mode):
    s = settings(cc_provider=provider)
    assert (s.base_url, s.json_mode) == (base_url, json_mode)


def test_explicit_url_and_mode_win_over_the_preset():
    s = settings(
        cc_provider="DeepSeek",
        openai_base_url="https://proxy.example.com/v1/",
        cc_json_mode="schema",
    )
    assert s.cc_provider == "deepseek"
    assert s.base_url == "https://proxy.example.com/v1"
    assert s.json_mode == "schema"


def test_without_preset_or_mode_the_json_mode_is_schema():
    assert settings().json_mode == "schema"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"cc_provider": "baidu"}, "未知的服务商「baidu」"),
        ({"openai_base_url": "api.deepseek.com"}, "应以 http:// 或 https:// 开头"),
        ({"cc_json_mode": "xml"}, "CC_JSON_MODE"),
        ({"cc_timeout": "0"}, "CC_TIMEOUT"),
        ({"cc_max_concurrency": "0"}, "CC_MAX_CONCURRENCY"),
    ],
)
def test_bad_values_are_config_errors_naming_the_variable(env, says):
    with pytest.raises(ConfigError, match=says):
        settings(**env)


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"cc_provider": "deepseek", "openai_api_key": "sk-1"}, "CC_MODEL"),
        ({"cc_model": "m", "openai_api_key": "sk-1"}, "OPENAI_BASE_URL"),
        ({"cc_provider": "qwen", "cc_model": "qwen-plus"}, "OPENAI_API_KEY"),
    ],
)
def test_the_llm_check_names_what_is_missing(env, missing):
    with pytest.raises(ConfigError, match=missing):
        settings(**env).check_llm()


@pytest.mark.parametrize(
    "env",
    [
        {"cc_provider": "ollama", "cc_model": "qwen2.5"},
        {"openai_base_url": "http://127.0.0.1:8000/v1", "cc_model": "local"},
        {"cc_provider": "deepseek", "cc_model": "deepseek-chat", "openai_api_key": "sk-1"},
    ],
)
def test_local_servers_need_no_key_and_complete_settings_pass(env):
    settings(**env).check_llm()


def test_the_key_never_shows_in_repr_dump_or_errors():
    s = settings(openai_api_key="sk-very-secret", cc_provider="deepseek")
    assert "sk-very-secret" not in repr(s)
    assert "sk-very-secret" not in s.model_dump_json()
    assert s.api_key == "sk-very-secret"
    with pytest.raises(ConfigError) as failure:
        settings(openai_api_key="sk-very-secret", cc_timeout="soon")
    assert "sk-very-secret" not in str(failure.value)


def test_environment_wins_over_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('CC_MODEL = "from-file"\nCC_PROVIDER = "moonshot"\n', encoding="utf-8")
    s = load_settings(env={"CC_MODEL": "from-env"}, secrets_file=secrets)
    assert s.cc_model == "from-env"
    assert s.cc_provider == "moonshot"
