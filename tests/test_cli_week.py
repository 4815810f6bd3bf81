"""The `campaign-canvas week` and `schema` commands: files written, exit codes, Chinese errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.content import WeekPackage
from tests.conftest import EXAMPLES, ROOT


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_week_writes_a_valid_package_and_a_readable_markdown(path: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert main(["week", str(path), "--out", str(out), "--no-posters", "--seed", "7"]) == 0
    package = WeekPackage.model_validate_json((out / "package.json").read_text(encoding="utf-8"))
    assert package.complete and package.engine == "template"
    markdown = (out / "package.md").read_text(encoding="utf-8")
    assert package.canvas.name in markdown and "## 一周社群内容日历" in markdown
    assert all(p.title in markdown for p in package.calendar.posts)
    printed = capsys.readouterr().out
    assert f"帖子 {len(package.calendar.posts)}" in printed and str(out) in printed


def test_the_same_seed_gives_the_same_week(tmp_path: Path) -> None:
    path = str(EXAMPLES[0])
    for name in ("a", "b"):
        main(["week", path, "--out", str(tmp_path / name), "--no-posters", "--no-cache"])
    a, b = (json.loads((tmp_path / n / "package.json").read_text(encoding="utf-8")) for n in "ab")
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        (None, ".toml", "找不到画布文件"),
        ('name = "半截', ".toml", "TOML 格式错误"),
        ('{"name": 1', ".json", "JSON 格式错误"),
        ('name = "x"\nweek_start = 2026-11-30\nproducts = []', ".toml", "商品：至少需要 1 项"),
    ],
)
def test_bad_canvas_exits_2_with_a_chinese_message(tmp_path, capsys, content, suffix, expected):
    path = tmp_path / f"canvas{suffix}"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["week", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and expected in err and "Traceback" not in err


def test_schema_prints_the_canvas_json_schema(capsys) -> None:
    assert main(["schema", "canvas"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "products" in schema["properties"]


def test_the_console_script_is_installed_and_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "campaign-canvas"
    env = {**os.environ, "CC_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(script), "schema", "canvas"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0 and '"properties"' in done.stdout


def test_a_command_imports_only_its_own_module() -> None:
    """`schema` must not pay for the store, the exporters or the batch runner at start-up."""
    code = (
        "import sys, contextlib, io\n"
        "from pipelines.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['schema', 'canvas'])\n"
        "print(sorted(m for m in ('sqlalchemy', 'openpyxl', 'docx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
