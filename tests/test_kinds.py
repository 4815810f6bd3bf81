"""The table of task kinds: every module that handles kinds handles every row of it.

Adding a kind to `pipelines.content.KINDS` without teaching an engine, the store, the task graph
or the pages about it fails here, naming the kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from week_factory import with_live

from app_pages.common import KIND_LABELS as PAGE_LABELS
from pipelines.auth import local_user
from pipelines.canvas import load_canvas
from pipelines.content import KINDS, REVIEWED, TaskKind, WeekPackage, kind_of
from pipelines.engines.llm.answers import answer_model, schema_for_prompt
from pipelines.engines.template import TemplateEngine
from pipelines.prompting import task_messages
from pipelines.settings import load_settings
from pipelines.store import KIND_LABELS as STORE_LABELS
from pipelines.store import open_store
from pipelines.tasks import generate_week, regeneration_task, replace_item

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def week() -> WeekPackage:
    """The fresh-food example with a live day: a week with every kind of item."""
    canvas = load_canvas(ROOT / "assets" / "examples" / "fresh_groupbuy.toml")
    return generate_week(with_live(canvas), TemplateEngine(seed=1))


def _one_item_per_kind(week: WeekPackage) -> dict[TaskKind, object]:
    found: dict[TaskKind, object] = {}
    for item in week.items():
        found.setdefault(kind_of(item).kind, item)
    return found


def test_the_table_names_every_task_kind_once() -> None:
    assert list(KINDS) == list(TaskKind)
    assert all(k.kind is key for key, k in KINDS.items())
    assert len({k.model for k in KINDS.values()}) == len(KINDS)
    assert [k.kind for k in REVIEWED] == [k for k in TaskKind if k is not TaskKind.CALENDAR]


def test_a_whole_week_holds_an_item_of_every_reviewed_kind_in_table_order(week) -> None:
    order = [kind_of(item).kind for item in week.items()]
    assert list(dict.fromkeys(order)) == [k.kind for k in REVIEWED]
    assert week.counts() == {k.label: order.count(k.kind) for k in REVIEWED} | {"失败任务": 0}


@pytest.mark.parametrize("kind", list(TaskKind), ids=str)
def test_the_template_engine_writes_every_kind(kind: TaskKind) -> None:
    assert callable(getattr(TemplateEngine, f"_write_{kind.value}", None)), kind


@pytest.mark.parametrize("kind", [k.kind for k in REVIEWED], ids=str)
def test_every_reviewed_kind_is_regenerated_and_put_back_in_its_place(week, kind) -> None:
    item = _one_item_per_kind(week)[kind]
    task = regeneration_task(week, item.id, variant=2)
    assert task.kind is kind
    new = TemplateEngine(seed=1).compose(task)
    assert isinstance(new, KINDS[kind].model)
    assert replace_item(week, new).item(item.id) == new


@pytest.mark.parametrize("kind", [k.kind for k in REVIEWED], ids=str)
def test_the_llm_engine_asks_for_every_reviewed_kind_within_a_budget(week, kind) -> None:
    item = _one_item_per_kind(week)[kind]
    task = regeneration_task(week, item.id, variant=1)
    budget = KINDS[kind].answer_tokens
    in_parts = kind in (TaskKind.LIVESTREAM, TaskKind.FABE)  # asked part by part
    assert budget is None if in_parts else 0 < budget <= 1500
    if not in_parts:
        schema = schema_for_prompt(answer_model(task))
        messages = task_messages(task, json_mode="object", schema=schema)
        assert item.id in messages[-1]["content"]


def test_every_reviewed_kind_round_trips_through_the_store_with_its_label(week, tmp_path) -> None:
    store = open_store(load_settings(env={}, cc_database_url=f"sqlite:///{tmp_path}/cc.db"))
    try:
        campaign = store.save_package(week, user=local_user())
        stored = {s.kind for s in store.items(campaign)}
        assert stored == {k.kind.value for k in REVIEWED}
        back = [(kind_of(i).kind, i.id) for i in store.week(campaign).items()]
        assert back == [(kind_of(i).kind, i.id) for i in week.items()]
    finally:
        store.close()
    assert set(STORE_LABELS) == {k.kind.value for k in REVIEWED}
    assert set(PAGE_LABELS) == {k.value for k in TaskKind}
