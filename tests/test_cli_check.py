"""`campaign-canvas check`: texts and week packages, readable or JSON lines, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pipelines.canvas import load_canvas
from pipelines.cli import main
from tests.conftest import EXAMPLES
from tests.week_factory import make_week

FRESH = EXAMPLES[[p.stem for p in EXAMPLES].index("fresh_groupbuy")]


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def test_a_text_with_an_error_is_explained_and_exits_1(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "post.txt", "邻居们好！\n今晚牛肉卷全网最低价，第一次参团看这里")
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert "第2行第6列 [需修改] 绝对化用语「全网最低价」" in out
    assert "规则：《广告法》第九条" in out and "建议：把「全网最低价」改为「本周活动价」" in out
    assert "[请复核] 绝对化用语「第一次」" in out
    assert out.rstrip().endswith("共 2 处：需修改 1 处，请复核 1 处。")


def test_a_clean_text_exits_0(tmp_path: Path, capsys) -> None:
    assert main(["check", write(tmp_path, "post.txt", "今晚吃暖锅，10:00 开团")]) == 0
    assert capsys.readouterr().out.strip() == "未发现合规问题。"


def test_warnings_alone_exit_0(tmp_path: Path, capsys) -> None:
    assert main(["check", write(tmp_path, "post.txt", "开团第一天，手慢无")]) == 0
    assert "请复核 2 处" in capsys.readouterr().out


def test_stdin_is_read_with_a_dash(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("转发集赞即可领取"))
    assert main(["check", "-"]) == 1
    assert "诱导分享" in capsys.readouterr().out


def test_json_lines_carry_every_field_of_a_finding(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "note.txt", "姐妹们加微信\n私信领取小样")
    assert main(["check", path, "--json", "--channel", "小红书"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["span"], r["line"], r["column"]) for r in records] == [
        ("加微信", 1, 4),
        ("私信领取", 2, 1),
    ]
    assert set(records[0]) == {
        "item", "line", "column", "category", "field", "start", "end", "span",
        "severity", "rule", "why", "suggestion",
    }  # fmt: skip
    assert records[0]["item"] is None and records[0]["category"] == "站外导流"


def test_a_canvas_turns_unbacked_numbers_into_errors(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "post.txt", "牛肉卷已售10000件")
    assert main(["check", path]) == 0
    assert main(["check", path, "--canvas", str(FRESH)]) == 1
    assert "[需修改] 虚构数据「已售10000件」" in capsys.readouterr().out


def test_a_week_package_is_checked_item_by_item_against_its_canvas(tmp_path: Path, capsys) -> None:
    package = make_week(load_canvas(FRESH))
    path = write(tmp_path, "package.json", package.model_dump_json())
    assert main(["check", path, "--json"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    posts = {r["item"] for r in records if r["item"].startswith("post-")}
    assert len(posts) == len(package.calendar.posts)  # every body says 最好的
    first = next(r for r in records if r["item"] == "post-d1-01")
    assert (first["field"], first["span"], first["line"], first["column"]) == ("body", "最好", 1, 1)


def test_a_readable_package_report_names_item_and_field(tmp_path: Path, capsys) -> None:
    package = make_week(load_canvas(FRESH))
    main(["check", write(tmp_path, "package.json", package.model_dump_json())])
    assert "post-d1-01 · body 第1行第1列 [需修改] 绝对化用语「最好」" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "找不到要检查的文件"),
        ("gbk.txt", "全网最低".encode("gbk"), "不是 UTF-8"),
        ("package.json", '{"canvas": ', "JSON 格式错误"),
        ("package.json", '{"posts": []}', "不是周内容包"),
        ("package.json", '{"canvas": {"name": "x"}}', "周内容包校验失败"),
    ],
)
def test_bad_input_is_a_chinese_error_and_exit_2(
    tmp_path: Path, capsys, name: str, content: str | bytes | None, message: str
) -> None:
    path = str(tmp_path / name) if content is None else write(tmp_path, name, content)
    assert main(["check", path]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err


def test_a_bad_canvas_for_a_text_is_exit_2(tmp_path: Path, capsys) -> None:
    text = write(tmp_path, "post.txt", "已售100件")
    assert main(["check", text, "--canvas", str(tmp_path / "none.toml")]) == 2
    assert "找不到画布文件" in capsys.readouterr().err


def test_a_text_that_merely_starts_with_a_brace_is_still_a_text(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("{限时} 全网最低价"))
    assert main(["check"]) == 1
    assert "全网最低价" in capsys.readouterr().out
