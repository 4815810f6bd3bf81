"""The review screen: the queue, approve/reject by role, one-step day approval, edits, history."""

from __future__ import annotations

import pytest
from week_factory import ERROR_POST

from pipelines.auth import User
from pipelines.store.texts import with_texts
from tests.app.conftest import OPERATOR, REVIEWER

REVIEW = "app_pages/review.py"
EXPORT = "app_pages/export.py"


def open_item(at, key: str):
    at.session_state["review_open"] = key
    return at.run()


def rows(at) -> list[str]:
    """The item keys listed in the queue, in order."""
    return [
        b.key.removeprefix("review.row.open.")
        for b in at.button
        if b.key and b.key.startswith("review.row.open.")
    ]


def button(at, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def test_without_stored_campaigns_the_page_says_so(app):
    at = app(REVIEW, user=REVIEWER)
    assert not at.exception
    assert "还没有保存的活动" in at.info[0].value


def test_the_queue_lists_the_items_in_review(app, campaign, store):
    at = app(REVIEW, user=REVIEWER)
    assert not at.exception
    in_review = store.items(campaign, state="in_review")
    assert len(rows(at)) == len(in_review) == 5
    assert "共 5 个条目" in " ".join(c.value for c in at.caption)


def test_a_reviewer_approves_an_item(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    at = open_item(app(REVIEW, user=REVIEWER), key)
    at.button(key=f"review.approve.{key}").click().run()
    assert not at.exception
    assert store.item(key).state == "approved"
    assert store.item(key).approved_by == "小蓝"
    assert any("已通过" in s.value for s in at.success)


def test_an_operator_starts_on_drafts_and_a_reviewer_on_the_queue_after_switching(
    app, campaign, store
):
    at = app(REVIEW, user=OPERATOR)
    assert at.selectbox(key="review.state.小王").value == "draft"
    at.selectbox(key="review.kind.小王").set_value("post").run()
    at.session_state["user"] = REVIEWER
    at.run()
    assert at.selectbox(key="review.state.小蓝").value == "in_review"
    assert at.selectbox(key="review.kind.小蓝").value == "all"
    assert len(rows(at)) == 5


def test_an_operator_sees_no_approve_button_and_cannot_approve(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    at = app(REVIEW, user=OPERATOR)
    at.selectbox(key="review.state.小王").set_value("in_review").run()
    at = open_item(at, key)
    assert not at.exception
    labels = {b.label for b in at.button}
    assert "通过" not in labels and "驳回" not in labels
    assert any("通过与驳回由审核同事处理" in c.value for c in at.caption)
    assert store.item(key).state == "in_review"


def test_an_error_finding_needs_a_reason_before_approval(app, campaign, store):
    key = f"{campaign}/{ERROR_POST}"
    at = open_item(app(REVIEW, user=REVIEWER), key)
    at.button(key=f"review.approve.{key}").click().run()
    assert "必须写明理由" in at.error[0].value
    assert store.item(key).state == "in_review"
    at.text_input(key=f"review.reason.{key}").input("已与法务确认").run()
    at.button(key=f"review.approve.{key}").click().run()
    assert store.item(key).state == "approved"
    assert store.audit(campaign)[-1].detail == "已与法务确认"


def test_a_rejection_keeps_the_reason_as_a_comment(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    at = open_item(app(REVIEW, user=REVIEWER), key)
    at.text_input(key=f"review.reject.{key}").input("时间不对").run()
    at.button(key=f"review.reject_button.{key}").click().run()
    assert store.item(key).state == "rejected"
    assert [c.body for c in store.comments(key)] == ["时间不对"]


def test_all_clean_items_of_a_day_are_approved_in_one_step(app, campaign, store):
    at = app(REVIEW, user=REVIEWER)
    at.selectbox(key="review.day.小蓝").set_value(1).run()
    button(at, "一键通过").click().run()
    assert not at.exception
    approved = {s.item_id for s in store.items(campaign, state="approved")}
    assert len(approved) == 4
    assert ERROR_POST not in approved


def test_an_edit_saves_a_new_version_and_history_shows_the_diff(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    at = open_item(app(REVIEW, user=REVIEWER), key)
    at.text_area(key=f"review.edit.{key}.1.body").input("周一早上好，暖锅食材今天到。")
    button(at, "保存为新版本").click().run()
    assert not at.exception
    assert store.item(key).version == 2
    assert store.item(key).item.body == "周一早上好，暖锅食材今天到。"
    assert any("+文案：周一早上好，暖锅食材今天到。" in c.value for c in at.code)


def test_a_concurrent_edit_is_refused_with_the_newer_text(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    at = open_item(app(REVIEW, user=REVIEWER), key)
    theirs = with_texts(store.item(key).item, {"body": "老李先保存的文案"})
    store.edit_item(key, theirs, user=User("老李", "reviewer"), expected_version=1)
    at.text_area(key=f"review.edit.{key}.1.body").input("我的文案")
    button(at, "保存为新版本").click().run()
    assert "保存冲突" in at.error[0].value and "老李" in at.error[0].value
    shown = [t.value for t in at.text]
    assert "老李先保存的文案" in shown and "我的文案" in " ".join(shown)
    assert store.item(key).item.body == "老李先保存的文案"
    at.button(key=f"conflict.mine.{key}").click().run()  # keep mine, on top of theirs
    assert store.item(key).item.body == "我的文案" and store.item(key).version == 3
    assert not at.error


def test_model_text_is_never_rendered_as_html(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    hostile = with_texts(store.item(key).item, {"body": "<b>粗体</b><script>alert(1)</script>"})
    store.edit_item(key, hostile, user=REVIEWER, expected_version=1)
    at = open_item(app(REVIEW, user=REVIEWER), key)
    shown = " ".join(m.value for m in at.markdown)
    assert "<script>" not in shown and "<b>" not in shown
    assert r"\<script\>" in shown


def test_the_export_page_offers_the_approved_zip(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    store.approve(key, user=REVIEWER)
    at = app(EXPORT, user=REVIEWER)
    assert not at.exception
    assert not at.toggle  # only an admin may include unapproved drafts
    button(at, "生成导出包").click().run()
    assert not at.exception
    assert at.get("download_button")


def test_regenerating_an_item_adds_a_version_and_keeps_the_old_one(app, engine, campaign, store):
    key = f"{campaign}/post-d1-01"
    before = store.item(key).item
    at = app(REVIEW, user=OPERATOR)
    at.selectbox(key="review.state.小王").set_value("in_review").run()
    at = open_item(at, key)
    at.button(key=f"review.regenerate.{key}").click().run()
    assert not at.exception
    assert [(v.version, v.source) for v in store.history(key)] == [
        (1, "generated"),
        (2, "regenerated"),
    ]
    assert store.history(key)[0].item == before
    assert len(engine.history) == 1  # exactly one engine call


@pytest.mark.parametrize("item_id", ["poster-post-d1-02", "post-d1-02"])
def test_a_poster_and_its_post_show_the_rendered_poster(app, campaign, store, item_id):
    key = f"{campaign}/{item_id}"
    at = open_item(app(REVIEW, user=REVIEWER), key)
    assert not at.exception
    assert at.get("image")
    poster_key = f"{campaign}/poster-post-d1-02"
    assert store.poster_png(poster_key).startswith(b"\x89PNG")  # kept for the export
