"""The built package is complete: a wheel installed in a fresh virtual environment renders a
poster and a prompt with nothing but what it carries (prompts, fonts, layouts, playbook)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT

SOURCES = ["pyproject.toml", "README.md", "pipelines", "prompts", "assets"]
PROBE = """
import pipelines
from pipelines.canvas import load_canvas
from pipelines.poster import poster_png
from pipelines.prompting import render
from pipelines.resources import EXAMPLES_DIR
from pipelines.tasks import generate_week

canvas = load_canvas(EXAMPLES_DIR / "fresh_groupbuy.toml")
week = generate_week(canvas, seed=0)
png = poster_png(week.posters[0], canvas, "paper")
assert png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "not a PNG"
assert '{"ok": true}' in render("ping.j2"), "no prompt"
print(pipelines.__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from the test's own venv
    through a .pth line (no downloads), and the checkout is nowhere on its path."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        target = source / name
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, target)
    wheels = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    (wheel,) = wheels.glob("campaign_canvas-*.whl")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_installed_wheel_renders_a_poster_and_a_prompt(installed: Path, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [str(installed), "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    location = Path(result.stdout.strip().splitlines()[-1])
    assert installed.parent.parent in location.parents  # the wheel's copy, not the checkout
