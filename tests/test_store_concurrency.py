"""The store under concurrency, on SQLite and on PostgreSQL: each race from two or more processes.

Every worker is a separate process with its own connection pool (as two app servers or a batch
beside the app would be); a barrier lines them up so the writes really overlap.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import traceback

import pytest
from week_factory import make_week

from pipelines.auth import User
from pipelines.canvas import load_canvas
from pipelines.errors import StoreError
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.store.people import database_users, save_user
from pipelines.store.texts import with_texts
from tests.conftest import ROOT

OPERATOR = User("小王", "operator")
REVIEWER = User("小蓝", "reviewer")
ROUNDS = 8
RACE_ROUNDS = 30  # the regenerate-while-editing window is narrow: many tries to hit it
FORK = mp.get_context("fork")


def _week():
    return make_week(load_canvas(ROOT / "assets" / "examples" / "fresh_groupbuy.toml"))


def _store(url: str):
    return open_store(load_settings(env={}, cc_database_url=url))


def _run(workers: list, args: list[tuple]) -> list:
    """Start every worker at once; returns what each sent back (an error text on failure)."""
    barrier, results = FORK.Barrier(len(workers)), FORK.Queue()
    procs = [
        FORK.Process(target=_guarded, args=(w, barrier, results, *a))
        for w, a in zip(workers, args, strict=True)
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return out


def _guarded(worker, barrier, results, *args) -> None:
    try:
        results.put(worker(barrier, *args))
    except BaseException:
        results.put("error: " + traceback.format_exc())


def _migrate(barrier, url: str) -> str:
    barrier.wait()
    _store(url).close()
    return "ok"


def test_processes_opening_one_empty_database_all_migrate_it(database_url):
    results = _run([_migrate] * 4, [(database_url,)] * 4)
    assert results == ["ok"] * 4
    store = _store(database_url)
    assert store.campaigns() == []
    store.close()


def _regenerate(barrier, url: str, campaign: str) -> str:
    store, week = _store(url), _week()
    barrier.wait()
    for _ in range(RACE_ROUNDS):
        store.save_package(week, user=OPERATOR, campaign_id=campaign, replace_decided=True)
    return "ok"


def _edit(barrier, url: str, item_key: str) -> str:
    store = _store(url)
    barrier.wait()
    conflicts = 0
    for n in range(RACE_ROUNDS):
        current = store.item(item_key)
        try:
            store.edit_item(
                item_key,
                with_texts(current.item, {"body": f"改过的文案第{n}次"}),
                user=REVIEWER,
                expected_version=current.version,
            )
        except StoreError:  # a version conflict is the right answer to a lost race
            conflicts += 1
    return "ok"


def test_regenerating_a_week_while_a_reviewer_edits_keeps_versions_consecutive(database_url):
    store = _store(database_url)
    campaign = store.save_package(_week(), user=OPERATOR)
    item_key = f"{campaign}/post-d1-01"
    results = _run([_regenerate, _edit], [(database_url, campaign), (database_url, item_key)])
    assert results == ["ok", "ok"]
    versions = [v.version for v in store.history(item_key)]
    assert sorted(versions) == list(range(1, len(versions) + 1))
    assert store.item(item_key).version == max(versions)
    store.close()


def _save_same(barrier, url: str) -> str:
    store, week = _store(url), _week()
    barrier.wait()
    return store.save_package(week, user=OPERATOR)


def test_the_same_canvas_saved_twice_at_once_is_one_campaign(database_url):
    _store(database_url).close()  # migrated, so only the saves race
    first, second = _run([_save_same] * 2, [(database_url,)] * 2)
    assert first == second, (first, second)
    store = _store(database_url)
    assert [c.id for c in store.campaigns()] == [first]
    store.close()


def _save_user(barrier, url: str, role: str) -> str:
    store = _store(url)
    barrier.wait()
    for _ in range(ROUNDS):
        save_user(store, "小蓝", role, "$argon2id$v=19$stand-in")
    return "ok"


def test_two_processes_saving_one_account_both_succeed(database_url):
    _store(database_url).close()
    results = _run([_save_user] * 2, [(database_url, "reviewer"), (database_url, "operator")])
    assert results == ["ok", "ok"]
    store = _store(database_url)
    assert list(database_users(store)) == ["小蓝"]
    store.close()


def test_datetimes_come_back_in_utc(database_url):
    store = _store(database_url)
    campaign = store.save_package(_week(), user=OPERATOR)
    summary = store.campaign(campaign)
    item = store.items(campaign)[0]
    assert summary.created_at.utcoffset() == dt.timedelta(0)
    assert item.updated_at.utcoffset() == dt.timedelta(0)
    assert all(e.at.utcoffset() == dt.timedelta(0) for e in store.audit(campaign))
    store.close()


def test_the_first_write_after_a_database_restart_succeeds(pg_cluster):
    url = pg_cluster.database()
    store = _store(url)
    store.save_package(_week(), user=OPERATOR)
    pg_cluster.restart()
    changed = _week().model_copy(update={"engine": "template-after-restart"})
    assert store.save_package(changed, user=OPERATOR, campaign_id=store.campaigns()[0].id)
    store.close()


@pytest.fixture(autouse=True)
def _session_time_zone_is_not_utc(monkeypatch):
    # PostgreSQL hands timestamps back in the session's zone; Shanghai makes a wrong one visible.
    monkeypatch.setenv("PGTZ", "Asia/Shanghai")
