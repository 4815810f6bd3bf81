"""The command line speaks Chinese, argparse's own sentences included."""

from __future__ import annotations

import pytest

from pipelines.cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["week"], "缺少必填参数：canvas"),
        (["nosuch"], "没有「nosuch」这个选项"),
        (["week", "x.toml", "--engine", "gpt"], "参数 --engine 没有「gpt」这个选项"),
        (["week", "x.toml", "--seed", "abc"], "参数 --seed：「abc」不是有效的值"),
        (["week", "x.toml", "--bogus"], "不认识的参数：--bogus"),
    ],
)
def test_argument_errors_are_chinese_with_exit_code_2(argv, expected, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and err.startswith("用法：")
    assert "error:" not in err and "usage:" not in err


def test_help_is_chinese(capsys):
    with pytest.raises(SystemExit):
        main(["week", "--help"])
    out = capsys.readouterr().out
    assert "显示这段帮助并退出" in out and "选项" in out
    assert "show this help" not in out and "options:" not in out
