"""The review queue: a list with state and findings, many items at once, counts that are current,
the campaign kept, stale actions explained in Chinese, fixes applied in one click, copy and
phone preview."""

from __future__ import annotations

from week_factory import ERROR_POST, make_week

from pipelines.auth import User, local_user
from pipelines.store.texts import with_texts
from tests.app.conftest import OPERATOR, REVIEWER

REVIEW = "app_pages/review.py"


def rows(at) -> list[str]:
    prefix = "review.row.open."
    return [b.key.removeprefix(prefix) for b in at.button if b.key and b.key.startswith(prefix)]


def counts_line(at) -> str:
    return next(m.value for m in at.markdown if "-badge[审核中]" in m.value)


def pick(at, *keys: str):
    for key in keys:
        at.checkbox(key=f"review.pick.{key}").check()
    return at.run()


def test_each_row_shows_state_kind_day_channel_and_findings(app, campaign, store):
    at = app(REVIEW, user=REVIEWER)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert ":blue-badge[审核中]" in text and ":violet-badge[帖子]" in text
    assert "合规提示 1 条（需修改 1）" in text and "无合规提示" in text
    assert "社群" in text or "朋友圈" in text
    assert at.get("image")  # the poster thumbnail of the post that has one


def test_a_reviewer_approves_several_items_in_one_action(app, campaign, store):
    at = app(REVIEW, user=REVIEWER)
    clean = [s.key for s in store.items(campaign, state="in_review") if s.clean]
    at = pick(at, *clean)
    assert at.button(key="review.bulk.approve").label == f"通过选中的 {len(clean)} 条"
    at.button(key="review.bulk.approve").click().run()
    assert not at.exception
    assert {s.key for s in store.items(campaign, state="approved")} == set(clean)
    assert f"已通过 {len(clean)} 条" in at.success[0].value
    assert ":green-badge[已通过] **4**" in counts_line(at)  # counts after the action, not before
    assert ":blue-badge[审核中] **1**" in counts_line(at)


def test_select_all_then_one_reason_rejects_them_all(app, campaign, store):
    at = app(REVIEW, user=REVIEWER)
    at.button(key="review.pick_all").click().run()
    assert at.button(key="review.bulk.reject").label == "驳回选中的 5 条"
    at.text_input(key="review.bulk_reason").input("周一的时间要改").run()
    at.button(key="review.bulk.reject").click().run()
    assert not at.exception
    rejected = store.items(campaign, state="rejected")
    assert len(rejected) == 5
    assert all([c.body for c in store.comments(s.key)] == ["周一的时间要改"] for s in rejected)


def test_a_bulk_approval_reports_the_items_it_could_not_approve(app, campaign, store):
    at = app(REVIEW, user=REVIEWER)
    at.button(key="review.pick_all").click().run()
    at.button(key="review.bulk.approve").click().run()
    assert len(store.items(campaign, state="approved")) == 4
    assert "1 条没有通过" in at.error[0].value and "必须写明理由" in at.error[0].value


def test_inline_approve_and_reject_per_row(app, campaign, store):
    first, second = [s.key for s in store.items(campaign, state="in_review") if s.clean][:2]
    at = app(REVIEW, user=REVIEWER)
    at.button(key=f"review.row.approve.{first}").click().run()
    assert store.item(first).state == "approved"
    at.text_input(key="review.bulk_reason").input("图不对").run()
    at.button(key=f"review.row.reject.{second}").click().run()
    assert store.item(second).state == "rejected"
    assert first not in rows(at) and second not in rows(at)


def test_consecutive_approvals_stay_on_the_campaign(app, campaign, store, canvas):
    other = make_week(canvas.model_copy(update={"name": "另一个活动"}))
    store.save_package(other, user=OPERATOR)
    at = app(REVIEW, user=REVIEWER, campaign_id=campaign)
    for key in rows(at)[:3]:
        if not store.item(key).has_errors:
            at.button(key=f"review.row.approve.{key}").click().run()
        assert at.session_state["campaign_id"] == campaign
        assert at.selectbox(key="review.campaign").value == campaign
        assert not any("没有符合筛选条件" in i.value for i in at.info)


def test_in_single_user_mode_the_first_view_shows_the_drafts_to_submit(app, store, canvas):
    campaign = store.save_package(make_week(canvas), user=local_user())
    at = app(REVIEW)
    assert at.selectbox(key=f"review.state.{local_user().name}").value == "draft"
    drafts = store.items(campaign, state="draft")
    assert len(drafts) > 12 and len(rows(at)) == 12  # a page at a time
    assert "共 41 个条目" in " ".join(c.value for c in at.caption)
    at.segmented_control[0].set_value(2).run()
    assert rows(at) == [s.key for s in drafts][12:24]
    assert at.button(key="review.bulk.submit")


def test_a_stale_approval_shows_what_changed_in_chinese_and_can_approve_the_latest(
    app, campaign, store
):
    key = f"{campaign}/post-d1-01"
    at = app(REVIEW, user=REVIEWER)
    newer = with_texts(store.item(key).item, {"body": "老李改过的文案"})
    store.edit_item(key, newer, user=User("老李", "reviewer"), expected_version=1)
    at.button(key=f"review.row.approve.{key}").click().run()  # the row still shows version 1
    assert store.item(key).state == "in_review"
    panel = " ".join(e.value for e in at.error)
    assert "通过没有执行" in panel and "老李" in panel and "第 2 版" in panel
    assert any(m.value == "**文案**" for m in at.markdown)
    assert "老李改过的文案" in [t.value for t in at.text]
    everything = " ".join(m.value for m in at.markdown) + panel
    assert "body:" not in everything and "activity_type" not in everything
    at.button(key=f"conflict.mine.{key}").click().run()
    assert store.item(key).state == "approved" and store.item(key).approved_version == 2


def test_reload_after_a_conflict_opens_the_latest_version(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    at = app(REVIEW, user=REVIEWER)
    at.text_input(key="review.bulk_reason").input("已核对").run()
    newer = with_texts(store.item(key).item, {"title": "老李改的标题"})
    store.edit_item(key, newer, user=User("老李", "reviewer"), expected_version=1)
    at.button(key=f"review.row.approve.{key}").click().run()
    at.button(key=f"conflict.reload.{key}").click().run()
    assert not at.exception and not at.error
    assert "老李改的标题" in at.subheader[0].value
    assert store.item(key).state == "in_review"


def test_a_suggested_rewrite_is_applied_as_a_new_version(app, campaign, store):
    key = f"{campaign}/{ERROR_POST}"
    before = store.item(key).item
    finding = before.findings[0]
    at = app(REVIEW, user=REVIEWER, review_open=key)
    cards = " ".join(m.value for m in at.markdown)
    assert "**原因**：绝对化用语" in cards and "**建议**：换成具体事实" in cards
    widget = next(t for t in at.text_input if t.key and t.key.startswith(f"fix.review.{before.id}"))
    widget.input("很好").run()
    at.button(key=f"apply.review.{before.id}.0").click().run()
    assert not at.exception
    after = store.item(key)
    assert after.version == 2
    assert after.item.body == before.body[: finding.start] + "很好" + before.body[finding.end :]
    assert "已把「最好」改为「很好」" in at.success[0].value


def test_a_post_has_a_copy_block_and_a_phone_preview(app, campaign, store):
    key = f"{campaign}/post-d1-01"
    body = store.item(key).item.body
    at = app(REVIEW, user=REVIEWER, review_open=key)
    assert body in [c.value for c in at.code]  # st.code carries the copy button
    assert [t.value for t in at.text].count(body) >= 2  # the group message and the 朋友圈 card


def test_the_filter_keeps_the_campaign_and_an_empty_filter_says_what_is_left(app, campaign, store):
    at = app(REVIEW, user=REVIEWER)
    at.selectbox(key="review.state.小蓝").set_value("approved").run()
    assert at.session_state["campaign_id"] == campaign
    assert "没有符合筛选条件的条目" in at.info[0].value and "审核中 5 条" in at.info[0].value
