"""Typed settings from environment variables, then `.streamlit/secrets.toml`, then defaults.

Read settings through here, never through `st.secrets` (it raises when no secrets file exists).
`CC_PROVIDER` picks a preset (base URL and JSON mode) for a known OpenAI-compatible provider;
explicit `OPENAI_BASE_URL` / `CC_JSON_MODE` win over the preset.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from pipelines.errors import ConfigError

SECRETS_FILE = Path(".streamlit/secrets.toml")

JsonMode = Literal["schema", "object"]


@dataclass(frozen=True)
class Provider:
    """What an OpenAI-compatible provider needs: where it lives, which JSON mode it supports."""

    label: str
    base_url: str | None  # None: the SDK's default (api.openai.com)
    json_mode: JsonMode
    needs_key: bool = True


# `schema` = response_format json_schema (strict); `object` = json_object with the schema in the
# prompt. DeepSeek, DashScope and Moonshot accept only json_object in their compatible modes.
PROVIDERS: dict[str, Provider] = {
    "openai": Provider("OpenAI", None, "schema"),
    "deepseek": Provider("DeepSeek", "https://api.deepseek.com", "object"),
    "qwen": Provider(
        "通义千问（DashScope 兼容模式）",
        "https://dashscope.aliyuncs.com/compatible-mode/v1",
        "object",
    ),
    "moonshot": Provider("Moonshot（Kimi）", "https://api.moonshot.cn/v1", "object"),
    "ollama": Provider("Ollama（本机）", "http://localhost:11434/v1", "schema", needs_key=False),
    "vllm": Provider("vLLM（本机）", "http://localhost:8000/v1", "schema", needs_key=False),
}


class Settings(BaseModel):
    """Runtime settings. Field names are the environment variable names, lower-cased."""

    cc_engine: Literal["template", "openai"] = "template"
    cc_provider: str | None = Field(None, description="preset: " + ", ".join(PROVIDERS))
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    cc_model: str | None = None
    cc_json_mode: JsonMode | None = None
    cc_timeout: float = Field(60.0, gt=0, le=600)
    cc_max_retries: int = Field(2, ge=0, le=10, description="transport retries, done by the SDK")
    cc_max_concurrency: int = Field(8, ge=1, le=64)
    cc_temperature: float = Field(0.7, ge=0, le=2)
    cc_data_dir: Path = Path("data")
    cc_database_url: str | None = None
    cc_users_file: Path | None = None  # default <cc_data_dir>/users.toml (pipelines/auth.py)
    cc_seed: int = 0
    cc_timezone: str = Field("Asia/Shanghai", description="times are stored in UTC, shown here")
    cc_four_eyes: bool | None = Field(
        None, description="nobody approves their own edit; default: on when users exist"
    )

    @field_validator("cc_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知的时区「{value}」，例如 Asia/Shanghai") from None
        return value

    @field_validator("cc_provider")
    @classmethod
    def _known_provider(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if value not in PROVIDERS:
            raise ValueError(f"未知的服务商「{value}」，可选：{'、'.join(PROVIDERS)}")
        return value

    @field_validator("openai_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f"「{value}」不是网址：应以 http:// 或 https:// 开头，如 https://api.deepseek.com"
            )
        return value

    @property
    def database_url(self) -> str:
        return self.cc_database_url or f"sqlite:///{self.cc_data_dir / 'campaign_canvas.db'}"

    @property
    def provider(self) -> Provider | None:
        return PROVIDERS.get(self.cc_provider) if self.cc_provider else None

    @property
    def base_url(self) -> str | None:
        """The endpoint: explicit URL, else the preset's, else None (the SDK's OpenAI default)."""
        if self.openai_base_url:
            return self.openai_base_url
        return self.provider.base_url if self.provider else None

    @property
    def json_mode(self) -> JsonMode:
        """Explicit mode, else the preset's; `schema` when nothing says otherwise."""
        if self.cc_json_mode:
            return self.cc_json_mode
        return self.provider.json_mode if self.provider else "schema"

    def check_llm(self) -> None:
        """Raise ConfigError (Chinese, naming the variable to set) unless the LLM engine can run."""
        problems = []
        if not self.cc_model:
            problems.append(
                "没有设置模型名：请设置 CC_MODEL（如 deepseek-chat、qwen-plus、gpt-4o-mini）"
            )
        if self.base_url is None and self.cc_provider is None:
            problems.append(
                "没有设置模型服务地址：请设置 OPENAI_BASE_URL，或用 CC_PROVIDER 选服务商"
                f"（{'、'.join(PROVIDERS)}）"
            )
        needs_key = self.provider.needs_key if self.provider else not _is_local(self.base_url)
        if needs_key and not self.api_key:
            problems.append("没有设置 API Key：请设置 OPENAI_API_KEY")
        if problems:
            raise ConfigError("大模型引擎配置不完整：" + "；".join(problems))

    @property
    def api_key(self) -> str:
        """The key in clear, for the client only; never log or print it."""
        return self.openai_api_key.get_secret_value().strip() if self.openai_api_key else ""


def _is_local(url: str | None) -> bool:
    return bool(url) and any(h in url for h in ("://localhost", "://127.0.0.1", "://[::1]"))


def _secrets(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} 格式错误：{exc}") from None
    return {k.lower(): v for k, v in data.items() if not isinstance(v, dict)}


def load_settings(
    env: dict[str, str] | None = None, secrets_file: Path = SECRETS_FILE, **overrides: object
) -> Settings:
    """Environment wins over the secrets file; explicit overrides win over both."""
    env = os.environ if env is None else env
    values: dict[str, object] = _secrets(secrets_file)
    for name in Settings.model_fields:
        raw = env.get(name.upper())
        if raw not in (None, ""):
            values[name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        # Never echo the input: it may be the API key.
        problems = "；".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_input=False)
        )
        raise ConfigError(f"配置有误：{problems}") from None
