"""Typed settings from environment variables, then `.streamlit/secrets.toml`, then defaults.

Read settings through here, never through `st.secrets` (it raises when no secrets file exists).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError

from pipelines.errors import ConfigError

SECRETS_FILE = Path(".streamlit/secrets.toml")


class Settings(BaseModel):
    """Runtime settings. Field names are the environment variable names, lower-cased."""

    cc_engine: Literal["template", "openai"] = "template"
    cc_provider: str | None = Field(
        None, description="preset: openai, deepseek, qwen, moonshot, ollama, vllm"
    )
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    cc_model: str | None = None
    cc_json_mode: Literal["schema", "object"] | None = None
    cc_timeout: float = Field(60.0, gt=0, le=600)
    cc_max_concurrency: int = Field(8, ge=1, le=64)
    cc_temperature: float = Field(0.7, ge=0, le=2)
    cc_data_dir: Path = Path("data")
    cc_database_url: str | None = None
    cc_users_file: Path | None = None  # default <cc_data_dir>/users.toml (pipelines/auth.py)
    cc_seed: int = 0

    @property
    def database_url(self) -> str:
        return self.cc_database_url or f"sqlite:///{self.cc_data_dir / 'campaign_canvas.db'}"


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
        problems = "；".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"配置有误：{problems}") from None
