"""`campaign-canvas check` reads bounded input: regular files only, a size cap, no deep nesting."""

from __future__ import annotations

import io
import os
import sys

import pytest

from pipelines.cli import main


def test_deeply_nested_json_is_refused_in_chinese(tmp_path, capsys):
    path = tmp_path / "package.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert "嵌套太深" in capsys.readouterr().err


@pytest.mark.parametrize("make", ["folder", "fifo"])
def test_only_regular_files_are_read(tmp_path, capsys, make):
    path = tmp_path / "x.json"
    if make == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)  # reading it would block for ever
    assert main(["check", str(path)]) == 2
    assert "不是普通文件" in capsys.readouterr().err


def test_a_huge_input_is_refused_before_it_is_read(tmp_path, capsys):
    path = tmp_path / "big.txt"
    with open(path, "wb") as handle:
        handle.truncate(25_000_000)  # sparse: no disk used
    assert main(["check", str(path)]) == 2
    assert "文件太大" in capsys.readouterr().err


def test_stdin_is_read_with_a_bound(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("全网最低价".encode())))
    assert main(["check", "-"]) == 1
    assert "全网最低价" in capsys.readouterr().out
