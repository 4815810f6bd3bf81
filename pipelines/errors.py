"""One small exception hierarchy, translated once at each boundary (CLI exit 2, app st.error)."""

from __future__ import annotations


class CampaignCanvasError(Exception):
    """Base of every error a user may see. `str(err)` is a Chinese message meant for people."""


class CanvasError(CampaignCanvasError):
    """The campaign canvas could not be read or is invalid."""


class ContentError(CampaignCanvasError):
    """Generated content broke a business rule of its output model."""


class EngineError(CampaignCanvasError):
    """An engine could not produce a task's output."""


class GenerationFailed(EngineError):
    """The model kept answering with content that does not validate.

    Carries the number of attempts and the last raw answer, so the user sees what went wrong.
    """

    def __init__(self, message: str, *, attempts: int, last_answer: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_answer = last_answer


class ConfigError(CampaignCanvasError):
    """Settings are missing or inconsistent (engine, endpoint, key, model)."""


class PosterError(CampaignCanvasError):
    """A poster could not be composed (text does not fit, bad image, missing font)."""


class StoreError(CampaignCanvasError):
    """Persistence failed or was refused (version conflict, permission)."""


class ExportError(CampaignCanvasError):
    """An export could not be written."""


class PlaybookError(CampaignCanvasError):
    """The packaged domain playbook (pipelines/playbook/*.toml) is missing or broken."""
