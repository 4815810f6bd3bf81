"""The sandbox every test runs in: its own folder, none of the developer's settings or data."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.settings import load_settings
from tests.conftest import ROOT, SETTINGS_PREFIXES


def test_a_test_runs_in_its_own_empty_folder_without_the_shells_settings(sandbox: Path):
    assert Path.cwd() == sandbox != ROOT
    leaked = [n for n in os.environ if n.startswith(SETTINGS_PREFIXES) and n != "CC_DATA_DIR"]
    assert leaked == []
    settings = load_settings()
    assert settings.cc_data_dir == sandbox / "data"
    assert settings.database_url.startswith(f"sqlite:///{sandbox}")
    assert settings.openai_api_key is None
