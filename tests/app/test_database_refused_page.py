"""A database the store refuses (a zero-byte file where it should be) is shown in the app as the
store's Chinese message naming the file and the newest backup — never as a traceback."""

from __future__ import annotations

import pytest

from app_pages import common
from pipelines.auth import local_user


@pytest.fixture
def empty_database(sandbox):
    path = sandbox / "data" / "campaign_canvas.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    return path


def test_a_page_shows_the_message_instead_of_a_traceback(app, empty_database):
    at = app("app_pages/campaigns.py", **{common.USER: local_user()})
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert str(empty_database) in shown and "空文件" in shown and "没有找到备份" in shown
    assert empty_database.read_bytes() == b""


def test_signing_in_shows_the_message_instead_of_a_traceback(app, empty_database):
    at = app()
    assert not at.exception
    assert any(str(empty_database) in e.value for e in at.error)
