"""Typed settings from environment variables, then `.streamlit/secrets.toml`, then defaults.

Read settings through here, never through `st.secrets` (it raises when no secrets file exists).
`CC_PROVIDER` picks a preset (base URL, JSON mode, output cap, rate limits) for a known
OpenAI-compatible provider; explicit `OPENAI_BASE_URL` / `CC_JSON_MODE` / `CC_MAX_OUTPUT_TOKENS` /
`CC_RATE_LIMIT_RPM` / `CC_RATE_LIMIT_TPM` win over the preset.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator

from pipelines.errors import ConfigError

SECRETS_FILE = Path(".streamlit/secrets.toml")

JsonMode = Literal["schema", "object"]


@dataclass(frozen=True)
class Provider:
    """What an OpenAI-compatible provider needs: where it lives, which JSON mode it supports,
    and the most output tokens one answer may have (`max_tokens` is never sent above it)."""

    label: str
    base_url: str | None  # None: the SDK's default (api.openai.com)
    json_mode: JsonMode
    max_output_tokens: int
    needs_key: bool = True
    # Requests / tokens a minute for one key: a conservative entry-tier start, not the account's
    # own figure (providers raise them by tier); None = the provider sets no fixed limit.
    rpm: int | None = None
    tpm: int | None = None


# Without a preset or CC_MAX_OUTPUT_TOKENS: the low end of what hosted and local servers allow.
DEFAULT_OUTPUT_CAP = 4096


# `schema` = response_format json_schema (strict); `object` = json_object with the schema in the
# prompt. DeepSeek, DashScope and Moonshot accept only json_object in their compatible modes.
# Output caps: DeepSeek's chat model writes at most 8K (4K when max_tokens is not sent);
# qwen-plus 8K; gpt-4o-mini 16K; Moonshot's 8K-context model leaves about 4K for the answer;
# local servers are bounded by the context they were started with (Ollama's default is small).
# Rate presets: OpenAI's first paid tier for gpt-4o-mini (500 RPM, 200K TPM); DeepSeek throttles
# dynamically instead of fixing a per-key limit; DashScope and Moonshot publish per-tier limits,
# the presets take a low tier's. Set CC_RATE_LIMIT_RPM / CC_RATE_LIMIT_TPM to your account's.
PROVIDERS: dict[str, Provider] = {
    "openai": Provider("OpenAI", None, "schema", 16384, rpm=500, tpm=200_000),
    "deepseek": Provider("DeepSeek", "https://api.deepseek.com", "object", 8192),
    "qwen": Provider(
        "通义千问（DashScope 兼容模式）",
        "https://dashscope.aliyuncs.com/compatible-mode/v1",
        "object",
        8192,
        rpm=600,
        tpm=1_000_000,
    ),
    "moonshot": Provider(
        "Moonshot（Kimi）", "https://api.moonshot.cn/v1", "object", 4096, rpm=200, tpm=128_000
    ),
    "ollama": Provider(
        "Ollama（本机）", "http://localhost:11434/v1", "schema", 2048, needs_key=False
    ),
    "vllm": Provider("vLLM（本机）", "http://localhost:8000/v1", "schema", 4096, needs_key=False),
}


class Settings(BaseModel):
    """Runtime settings. Field names are the environment variable names, lower-cased."""

    cc_engine: Literal["template", "openai"] = "template"
    cc_provider: str | None = Field(None, description="preset: " + ", ".join(PROVIDERS))
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    cc_model: str | None = None
    cc_json_mode: JsonMode | None = None
    cc_timeout: float = Field(60.0, gt=0, le=600, description="read timeout of one request")
    cc_deadline: float = Field(
        180.0, gt=0, le=1800, description="whole call, SDK retries included, however it trickles"
    )
    cc_max_output_tokens: int | None = Field(
        None, ge=256, le=65536, description="the provider's output cap; default: the preset's"
    )
    cc_rate_limit_rpm: int | None = Field(
        None, ge=1, description="requests per window per key; default: the preset's"
    )
    cc_rate_limit_tpm: int | None = Field(
        None, ge=1000, description="estimated tokens per window per key; default: the preset's"
    )
    cc_rate_limit_window: float = Field(
        60.0, gt=0, le=3600, description="the rate limits' window in seconds (a minute)"
    )
    # Older names of the two limits (issue 14); CC_RATE_LIMIT_* win. After validation these hold
    # the limits in force, which the engine reads.
    cc_rpm: int | None = Field(None, ge=1, description="= CC_RATE_LIMIT_RPM")
    cc_tpm: int | None = Field(None, ge=1000, description="= CC_RATE_LIMIT_TPM")
    cc_broker_url: str | None = Field(
        None, description="Redis URL of the batch queue and the shared rate limit"
    )
    cc_queue_heartbeat: float = Field(
        10.0, ge=1, le=600, description="seconds without a heartbeat before a worker is dead"
    )
    cc_job_time_limit: float = Field(
        900.0, ge=5, le=86400, description="seconds one canvas may take on a worker"
    )
    cc_job_retries: int = Field(5, ge=0, le=50, description="queue retries of transient faults")
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

    @field_validator("cc_broker_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"「{value}」不是 Redis 地址：应以 redis:// 开头，如 redis://127.0.0.1:6379/0"
            )
        return value

    @model_validator(mode="after")
    def _limits_in_force(self) -> Settings:
        """cc_rpm / cc_tpm become the limits in force: explicit, else the old name, else the
        provider preset's."""
        preset = self.provider
        self.cc_rpm = self.cc_rate_limit_rpm or self.cc_rpm or (preset.rpm if preset else None)
        self.cc_tpm = self.cc_rate_limit_tpm or self.cc_tpm or (preset.tpm if preset else None)
        return self

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

    @property
    def output_cap(self) -> int:
        """Most output tokens one answer may have: explicit, else the preset's, else 4K."""
        if self.cc_max_output_tokens:
            return self.cc_max_output_tokens
        return self.provider.max_output_tokens if self.provider else DEFAULT_OUTPUT_CAP

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
