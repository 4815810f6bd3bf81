"""The store keeps every version, refuses stale edits, writes all-or-nothing and guards reviews."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from week_factory import ERROR_POST, WARNING_POST, make_week

from pipelines.auth import User, local_user
from pipelines.errors import StoreError
from pipelines.settings import load_settings
from pipelines.store import Store, VersionConflict, open_store
from pipelines.store.models import Decisions
from pipelines.store.repo import Store as StoreClass
from pipelines.store.schema import SCHEMA_VERSION, item_versions, items, schema_version
from pipelines.store.texts import diff_versions, field_label, with_texts

OPERATOR = User("小王", "operator")
REVIEWER = User("小蓝", "reviewer")
OTHER_REVIEWER = User("老李", "reviewer")


@pytest.fixture
def store(database_url) -> Store:
    opened = open_store(load_settings(env={}, cc_database_url=database_url))
    yield opened
    opened.close()


@pytest.fixture
def week(canvas):
    return make_week(canvas)


@pytest.fixture
def campaign(store, week) -> str:
    return store.save_package(week, user=OPERATOR)


def key(campaign: str, item_id: str) -> str:
    return f"{campaign}/{item_id}"


def in_review(store: Store, campaign: str, item_id: str) -> str:
    store.submit(key(campaign, item_id), user=OPERATOR)
    return key(campaign, item_id)


# --- database and migrations -------------------------------------------------------------------


def test_the_sqlite_file_is_created_on_first_run_in_wal_mode(tmp_path):
    data = tmp_path / "fresh" / "data"
    open_store(load_settings(env={}, cc_data_dir=data)).close()
    path = data / "campaign_canvas.db"
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_empty_database_file_is_migrated_to_the_current_schema(tmp_path):
    path = tmp_path / "empty.db"
    # A zero-table database, as a new server would hand us (a zero-byte file is refused instead:
    # tests/test_store_health.py).
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("VACUUM")
    store = open_store(load_settings(env={}, cc_database_url=f"sqlite:///{path}"))
    with store.engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION
    assert store.campaigns() == []
    store.close()


def test_reopening_a_database_keeps_its_data_and_does_not_migrate_twice(tmp_path, week):
    settings = load_settings(env={}, cc_data_dir=tmp_path)
    first = open_store(settings)
    campaign = first.save_package(week, user=OPERATOR)
    first.close()
    second = open_store(settings)
    assert [c.id for c in second.campaigns()] == [campaign]
    second.close()


# --- saving a week ----------------------------------------------------------------------------


def test_a_saved_week_stores_every_item_as_version_one_generated_draft(store, week, campaign):
    stored = store.items(campaign)
    assert [s.item_id for s in stored] == [i.id for i in week.items()]
    assert {(s.version, s.state) for s in stored} == {(1, "draft")}
    assert {v.source for s in stored for v in store.history(s.key)} == {"generated"}
    assert store.canvas(campaign) == week.canvas
    assert store.generated_package(campaign) == week


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": "post"}, 28),
        ({"kind": "poster_copy"}, 7),
        ({"kind": "fabe"}, 3),
        ({"day": 1, "kind": "post"}, 4),
        ({"day": 1}, 5),  # four posts and the poster of the 10:00 post
        ({"channel": "朋友圈", "kind": "post"}, 14),
        ({"state": "approved"}, 0),
        ({}, 41),
    ],
)
def test_items_filter_by_kind_day_channel_and_state(store, campaign, filters, expected):
    assert len(store.items(campaign, **filters)) == expected


def test_campaigns_list_counts_per_review_state(store, campaign):
    in_review(store, campaign, "group-kit")
    (summary,) = store.campaigns()
    assert summary.id == campaign
    assert summary.counts["draft"] == 40
    assert summary.counts["in_review"] == 1


def test_saving_a_new_week_into_a_campaign_versions_items_and_withdraws_dropped_ones(
    store, week, campaign, canvas
):
    smaller = week.model_copy(update={"launch": None})
    smaller.canvas = canvas.model_copy(update={"name": "邻里鲜第二版"})
    assert store.save_package(smaller, user=OPERATOR, campaign_id=campaign) == campaign
    assert store.campaign(campaign).canvas_version == 2
    assert store.item(key(campaign, "group-kit")).version == 1  # same text: nothing to review
    assert store.item(key(campaign, "launch")).state == "withdrawn"
    assert "launch" not in {s.item_id for s in store.items(campaign)}


def _rewritten(week, canvas, body, name="邻里鲜第二版"):
    """The week regenerated from a changed canvas, with every post's body rewritten."""
    posts = [p.model_copy(update={"body": f"{body}（{p.id}）"}) for p in week.calendar.posts]
    new = week.model_copy(update={"calendar": week.calendar.model_copy(update={"posts": posts})})
    new.canvas = canvas.model_copy(update={"name": name})
    return new


def test_regenerating_a_reviewed_week_keeps_approvals_and_edits_unless_replacing(
    store, week, campaign, canvas
):
    approved = in_review(store, campaign, "post-d1-01")
    store.approve(approved, user=REVIEWER)
    edited = key(campaign, "post-d1-02")
    mine = with_texts(store.item(edited).item, {"body": "我手改的文案"})
    store.edit_item(edited, mine, user=OPERATOR, expected_version=1)
    submitted = in_review(store, campaign, "post-d2-01")
    assert store.decisions(campaign) == Decisions(approved=1, edited=1)

    store.save_package(_rewritten(week, canvas, "重写"), user=OPERATOR, campaign_id=campaign)
    assert store.item(approved).state == "approved" and store.item(approved).version == 1
    assert store.item(edited).item.body == "我手改的文案"
    assert store.item(submitted).state == "draft" and store.item(submitted).version == 2
    assert store.week(campaign).item("post-d1-02").body == "我手改的文案"

    store.save_package(
        _rewritten(week, canvas, "再写", name="邻里鲜第三版"),
        user=OPERATOR, campaign_id=campaign, replace_decided=True,
    )  # fmt: skip
    assert store.item(approved).state == "draft"
    assert store.item(edited).item.body.startswith("再写")
    assert [v.item.body for v in store.history(edited)][1] == "我手改的文案"  # still in history
    assert store.decisions(campaign) == Decisions(approved=0, edited=0)


def test_saving_the_same_canvas_again_reopens_its_campaign(store, week, campaign):
    assert store.save_package(week, user=OPERATOR) == campaign
    assert len(store.campaigns()) == 1


def test_a_campaign_cannot_take_the_canvas_of_another(store, week, campaign, canvas):
    other = week.model_copy(deep=True)
    other.canvas = canvas.model_copy(update={"name": "另一场"})
    second = store.save_package(other, user=OPERATOR)
    with pytest.raises(StoreError, match="完全相同"):
        store.save_package(week, user=OPERATOR, campaign_id=second)


def test_an_edit_that_breaks_a_week_wide_rule_is_refused_and_nothing_vanishes(store, campaign):
    first, second = key(campaign, "post-d1-01"), key(campaign, "post-d1-02")
    store.edit_item(first, with_texts(store.item(first).item, {"body": "有效的修改"}),
                    user=OPERATOR, expected_version=1)  # fmt: skip
    taken = store.item(first).item.title
    with pytest.raises(StoreError, match="冲突"):
        store.edit_item(second, with_texts(store.item(second).item, {"title": taken}),
                        user=OPERATOR, expected_version=1)  # fmt: skip
    assert store.item(second).version == 1
    assert store.week(campaign).item("post-d1-01").body == "有效的修改"


def test_restore_brings_back_an_earlier_version_as_the_next_one(store, campaign):
    item_key = key(campaign, "post-d1-01")
    original = store.item(item_key).item.body
    store.edit_item(item_key, with_texts(store.item(item_key).item, {"body": "改坏了"}),
                    user=OPERATOR, expected_version=1)  # fmt: skip
    restored = store.restore(item_key, 1, user=OPERATOR, expected_version=2)
    assert (restored.version, restored.item.body) == (3, original)
    assert [v.source for v in store.history(item_key)] == ["generated", "edited", "restored"]


# --- versions and conflicts -------------------------------------------------------------------


def test_an_edit_becomes_a_new_version_and_the_old_one_stays(store, campaign):
    item_key = key(campaign, "post-d1-01")
    original = store.item(item_key).item
    edited = with_texts(original, {"body": "今晚六点，暖锅食材到自提点。"})
    saved = store.edit_item(item_key, edited, user=OPERATOR, expected_version=1)
    assert saved.version == 2
    assert saved.item.body == "今晚六点，暖锅食材到自提点。"
    history = store.history(item_key)
    assert [(v.version, v.source, v.created_by) for v in history] == [
        (1, "generated", "小王"),
        (2, "edited", "小王"),
    ]
    assert history[0].item.body == original.body
    diff = diff_versions(history[0].item, history[1].item, old_label="v1", new_label="v2")
    assert "-body: " + original.body in diff
    assert "+body: 今晚六点，暖锅食材到自提点。" in diff


def test_the_second_of_two_concurrent_edits_is_refused_with_the_newer_text(store, campaign):
    item_key = key(campaign, "post-d1-01")
    seen_by_both = store.item(item_key)
    mine = with_texts(seen_by_both.item, {"body": "小蓝改的文案"})
    theirs = with_texts(seen_by_both.item, {"body": "老李改的文案"})
    store.edit_item(item_key, mine, user=REVIEWER, expected_version=seen_by_both.version)
    with pytest.raises(VersionConflict, match="保存冲突") as conflict:
        store.edit_item(item_key, theirs, user=OTHER_REVIEWER, expected_version=1)
    assert "小蓝改的文案" in str(conflict.value)
    assert conflict.value.current.version == 2
    assert store.item(item_key).item.body == "小蓝改的文案"
    assert len(store.history(item_key)) == 2


def test_an_edit_is_checked_against_the_canvas(store, campaign):
    item_key = key(campaign, "poster-post-d1-02")
    poster = store.item(item_key).item
    wrong = poster.model_copy(
        update={"price": poster.price.model_copy(update={"promo": Decimal("1")})}
    )
    with pytest.raises(StoreError, match="活动价"):
        store.edit_item(item_key, wrong, user=OPERATOR, expected_version=1)
    assert store.item(item_key).version == 1


def test_an_item_cannot_be_replaced_by_another_item(store, campaign):
    other = store.item(key(campaign, "post-d1-02")).item
    with pytest.raises(StoreError, match="不能换成别的条目"):
        store.edit_item(key(campaign, "post-d1-01"), other, user=OPERATOR, expected_version=1)


def test_a_too_long_text_is_refused_in_chinese(store, campaign):
    original = store.item(key(campaign, "post-d1-01")).item
    with pytest.raises(StoreError, match="太长"):
        with_texts(original, {"title": "长" * 41})


# --- transactions -----------------------------------------------------------------------------


def _count(store: Store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_failure_in_the_middle_of_saving_a_week_leaves_nothing(store, week, monkeypatch):
    def broken(*args, **kwargs):  # the items are written; their versions fail
        raise RuntimeError("disk full")

    monkeypatch.setattr(StoreClass, "_insert_versions", broken)
    with pytest.raises(RuntimeError):
        store.save_package(week, user=OPERATOR)
    assert store.campaigns() == []
    assert _count(store, items) == 0
    assert _count(store, item_versions) == 0


def test_a_failure_while_saving_an_edit_leaves_the_item_as_it_was(store, campaign, monkeypatch):
    item_key = key(campaign, "post-d1-01")
    edited = with_texts(store.item(item_key).item, {"body": "新文案"})

    def broken(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(StoreClass, "_insert_versions", broken)
    with pytest.raises(RuntimeError):
        store.edit_item(item_key, edited, user=OPERATOR, expected_version=1)
    monkeypatch.undo()
    assert store.item(item_key).version == 1
    assert len(store.history(item_key)) == 1
    assert [e.action for e in store.audit(campaign)] == ["generate"]


# --- reviews and roles ------------------------------------------------------------------------


def test_an_operator_cannot_approve_in_the_store(store, campaign):
    item_key = in_review(store, campaign, "post-d1-01")
    with pytest.raises(StoreError, match="权限不足"):
        store.approve(item_key, user=OPERATOR)
    assert store.item(item_key).state == "in_review"


def test_a_reviewer_approves_an_item_in_review_and_the_audit_log_says_who(store, campaign):
    item_key = in_review(store, campaign, "post-d1-01")
    approved = store.approve(item_key, user=REVIEWER)
    assert (approved.state, approved.approved_by, approved.approved_version) == (
        "approved",
        "小蓝",
        1,
    )
    actions = [(e.actor, e.action, e.item_id) for e in store.audit(campaign)]
    assert actions[-2:] == [("小王", "submit", "post-d1-01"), ("小蓝", "approve", "post-d1-01")]


def test_only_items_in_review_can_be_approved(store, campaign):
    with pytest.raises(StoreError, match="审核中"):
        store.approve(key(campaign, "post-d1-01"), user=REVIEWER)


def test_an_item_with_an_error_finding_needs_a_reason_kept_in_the_audit_log(store, campaign):
    item_key = in_review(store, campaign, ERROR_POST)
    with pytest.raises(StoreError, match="理由"):
        store.approve(item_key, user=REVIEWER, reason="  ")
    store.approve(item_key, user=REVIEWER, reason="「最好」是店名的一部分，已核实")
    assert store.audit(campaign)[-1].detail == "「最好」是店名的一部分，已核实"


def test_approving_a_version_the_reviewer_did_not_see_is_refused(store, campaign):
    item_key = in_review(store, campaign, "post-d1-01")
    edited = with_texts(store.item(item_key).item, {"body": "偷偷改的文案"})
    store.edit_item(item_key, edited, user=OPERATOR, expected_version=1)
    with pytest.raises(VersionConflict):
        store.approve(item_key, user=REVIEWER, expected_version=1)


def test_a_rejection_needs_a_reason_which_becomes_a_comment(store, campaign):
    item_key = in_review(store, campaign, "post-d1-01")
    with pytest.raises(StoreError, match="原因"):
        store.reject(item_key, user=REVIEWER, reason="")
    store.reject(item_key, user=REVIEWER, reason="时间写错了")
    assert store.item(item_key).state == "rejected"
    assert [(c.author, c.body) for c in store.comments(item_key)] == [("小蓝", "时间写错了")]


def test_editing_an_approved_item_sends_it_back_to_review(store, campaign):
    item_key = in_review(store, campaign, "post-d1-01")
    store.approve(item_key, user=REVIEWER)
    edited = with_texts(store.item(item_key).item, {"body": "改过的文案"})
    saved = store.edit_item(item_key, edited, user=OPERATOR, expected_version=1)
    assert (saved.state, saved.approved_by) == ("in_review", None)
    assert store.package(campaign, user=local_user()).items == []


def test_approve_clean_approves_only_the_days_items_without_findings(store, campaign):
    for item in store.items(campaign, day=1) + store.items(campaign, day=2):
        store.submit(item.key, user=OPERATOR)
    approved = store.approve_clean(campaign, day=1, user=REVIEWER)
    assert key(campaign, ERROR_POST) not in approved
    assert len(approved) == 4  # five day-1 items, one with an error finding
    assert {s.day for s in store.items(campaign, state="approved")} == {1}
    assert store.item(key(campaign, WARNING_POST)).state == "in_review"


def test_an_operator_cannot_comment_and_a_reviewer_cannot_submit(store, campaign):
    with pytest.raises(StoreError, match="权限不足"):
        store.comment(key(campaign, "post-d1-01"), "看看", user=OPERATOR)
    with pytest.raises(StoreError, match="权限不足"):
        store.submit(key(campaign, "post-d1-01"), user=REVIEWER)


def test_the_export_view_holds_only_approved_items_unless_asked(store, campaign):
    item_key = in_review(store, campaign, "group-kit")
    store.approve(item_key, user=local_user())
    view = store.package(campaign, user=local_user())
    assert [s.item_id for s in view.items] == ["group-kit"]
    assert len(store.package(campaign, user=local_user(), approved_only=False).items) == 41


def test_the_current_week_carries_edited_items(store, campaign):
    item_key = key(campaign, "post-d1-01")
    edited = with_texts(store.item(item_key).item, {"body": "改过的文案"})
    store.edit_item(item_key, edited, user=OPERATOR, expected_version=1)
    assert store.week(campaign).item("post-d1-01").body == "改过的文案"


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("body", "文案"),
        ("fabe[0].feature", "FABE 1 · 属性"),
        ("acts[1].blocks[0].lines[2].words", "幕 2 · 环节 1 · 台词 3 · 话术"),
        ("unknown_field", "unknown_field"),
    ],
)
def test_field_paths_read_as_chinese_labels(path, label):
    assert field_label(path) == label


def test_two_simultaneous_edits_of_one_version_save_exactly_one(tmp_path, week):
    from concurrent.futures import ThreadPoolExecutor

    settings = load_settings(env={}, cc_data_dir=tmp_path)
    first, second = open_store(settings), open_store(settings)  # two app servers, one database
    campaign = first.save_package(week, user=OPERATOR)
    item_key = key(campaign, "post-d1-01")
    base = first.item(item_key).item

    def save(store: Store, text: str) -> str:
        try:
            store.edit_item(item_key, with_texts(base, {"body": text}), user=REVIEWER,
                            expected_version=1)  # fmt: skip
        except VersionConflict:
            return "conflict"
        return "saved"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(save, [first, second], ["甲的文案", "乙的文案"]))
    assert results == ["conflict", "saved"]
    assert len(first.history(item_key)) == 2
    first.close()
    second.close()


def test_a_version_1_database_is_upgraded_in_place_keeping_its_data(tmp_path, week):
    from sqlalchemy import create_engine, inspect

    from pipelines.store.schema import MIGRATIONS, meta

    path = tmp_path / "v1.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # the database as the first release left it
        MIGRATIONS[0](conn)
        conn.execute(meta.insert().values(key="schema_version", value="1"))
    engine.dispose()
    old = Store(create_engine(f"sqlite:///{path}"))
    campaign = old.save_package(week, user=OPERATOR)
    old.close()

    upgraded = open_store(load_settings(env={}, cc_database_url=f"sqlite:///{path}"))
    with upgraded.engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION
        assert inspect(conn).has_table("users")
    assert [c.id for c in upgraded.campaigns()] == [campaign]
    upgraded.close()


@pytest.mark.parametrize("bad", ["\x00", "\u202e", "\x1b[31m", "\ud800"])
def test_control_characters_are_refused_in_every_text_a_person_writes(store, campaign, bad):
    key = in_review(store, campaign, "post-d1-01")
    with pytest.raises(StoreError, match="评论"):
        store.comment(key, f"好{bad}的", user=REVIEWER)
    with pytest.raises(StoreError, match="驳回理由"):
        store.reject(key, user=REVIEWER, reason=f"改{bad}一下")
    with pytest.raises(StoreError, match="通过理由"):
        store.approve(key, user=REVIEWER, reason=f"可{bad}以")
    with pytest.raises(StoreError, match="修改"):
        store.edit_item(key, with_texts(store.item(key).item, {"body": f"文{bad}案"}),
                        user=REVIEWER, expected_version=1)  # fmt: skip
    with pytest.raises(StoreError, match="活动名称"):
        store.rename(campaign, f"新{bad}名", user=OPERATOR)
    assert store.item(key).version == 1 and store.comments(key) == []
