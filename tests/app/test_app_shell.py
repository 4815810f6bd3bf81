"""The app shell: sign-in (users file or 本地单人模式), navigation, safe display of model text."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_pages import common
from pipelines.auth import UserDirectory
from pipelines.content import Finding


def finding(start: int, end: int, span: str, severity: str = "error") -> Finding:
    return Finding(
        category="极限用语",
        field="body",
        start=start,
        end=end,
        span=span,
        severity=severity,
        rule="《广告法》第九条",
        why="绝对化用语",
        suggestion="改为具体描述",
    )


def test_without_a_users_file_the_app_runs_in_local_single_user_mode(app) -> None:
    at = app()
    assert not at.exception
    assert at.session_state[common.USER].local
    assert any("本地单人模式" in c.value for c in at.sidebar.caption)


@pytest.fixture
def users(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> UserDirectory:
    path = sandbox / "users.toml"
    monkeypatch.setenv("CC_USERS_FILE", str(path))
    directory = UserDirectory(path)
    directory.add("xiaolan", "reviewer", "correct horse")
    return directory


def sign_in(at, name: str, password: str) -> None:
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    at.button[0].click().run()


def test_with_a_users_file_nothing_shows_before_sign_in(app, users) -> None:
    at = app()
    assert at.subheader[0].value == "登录"
    assert not [t for t in at.title if t.value == "活动画布"]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app, users) -> None:
    at = app()
    sign_in(at, "xiaolan", "wrong")
    assert at.error[0].value == "用户名或密码不对，请再试一次。"
    assert at.session_state[common.USER] is None


def test_the_right_password_signs_in_with_the_users_role(app, users) -> None:
    at = app()
    sign_in(at, "xiaolan", "correct horse")
    user = at.session_state[common.USER]
    assert (user.name, user.role, user.local) == ("xiaolan", "reviewer", False)
    assert at.title[0].value == "活动画布"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
        ("**粗体** [链接](http://x)", r"\*\*粗体\*\* \[链接\]\(http\://x\)"),
        (":red[假红字] $x$", r"\:red\[假红字\] \$x\$"),
        ("第一行\n第二行", "第一行  \n第二行"),
    ],
)
def test_model_text_is_escaped_before_markdown_sees_it(text: str, shown: str) -> None:
    assert common.md_escape(text) == shown


def test_findings_are_highlighted_as_escaped_spans() -> None:
    text = "全网最低价<b>!</b>"
    marked = common.highlighted(text, [finding(2, 4, "最低")])
    assert marked == r"全网:red-background[**:red[最低]**]价\<b\>\!\</b\>"


def test_overlapping_and_out_of_range_findings_do_not_break_the_text() -> None:
    text = "最好的第一名"
    marked = common.highlighted(
        text,
        [finding(0, 2, "最好", "warning"), finding(1, 3, "好的"), finding(4, 99, "名")],
    )
    assert marked == ":orange-background[**:orange[最好]**]的第一名"
