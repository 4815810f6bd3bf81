"""Property: whatever is typed into a canvas field, the canvas either refuses it with Chinese
lines naming the field, or the whole pipeline takes it — template week with no failed task,
Markdown, export bundle with every poster drawn. Never a traceback, never a crash later on.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import tempfile
import tomllib
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.auth import User, local_user
from pipelines.canvas import Canvas, parse_canvas
from pipelines.errors import CanvasError
from pipelines.export import store_posters, zip_bytes
from pipelines.render_md import package_markdown
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.tasks import generate_week
from tests.conftest import ROOT

BASE = tomllib.loads((ROOT / "assets/examples/fresh_groupbuy.toml").read_text(encoding="utf-8"))
OPERATOR = User("小王", "operator")
CJK = re.compile(r"[\u4e00-\u9fff]")
PYDANTIC_ENGLISH = re.compile(r"Input should|should (be|have)|Value error|unable to|Field required")

# Pieces people paste by accident or attackers paste on purpose, mixed into ordinary text.
HOSTILE = ["\x00", "\x1b[31m", "\u202e", "\u2066", "\ud800", "\r\n", "\t", "\ufeff", "🥩", "👩‍👩‍👧"]
SAMPLE = "鲜牛肉卷原切冷链到家邻里团购姐 Aa1 ¥39.9 ，。！「」…—%#&<>'\"=+-@🥩㎡"
short = st.text(st.sampled_from(SAMPLE), min_size=1, max_size=12)
long = st.text(st.sampled_from(SAMPLE), min_size=8, max_size=130)  # up to and past the limits
hostile = st.lists(
    st.one_of(
        st.text(st.sampled_from(SAMPLE), max_size=12),
        st.sampled_from(HOSTILE),
        st.text(st.characters(exclude_categories=()), max_size=4),  # anything, surrogates too
    ),
    max_size=5,
).map("".join)
texts = st.one_of(short, short, long, hostile)  # mostly text a canvas may take: the pipeline's turn
prices = st.decimals(min_value="0.01", max_value="9999999.99", places=2).map(str)
numbers = st.one_of(
    prices,
    prices,
    st.integers(min_value=0, max_value=9_999_999),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["39.9", "0.01", "1e3", "¥12", ""]),
)
weeks = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 25)).map(str)
dates = st.one_of(
    weeks,
    weeks,
    weeks,
    st.dates().map(dt.date.isoformat),
    st.datetimes().map(dt.datetime.isoformat),
    texts,
)

TEXT_FIELDS = [
    ("name",),
    ("theme", "name"),
    ("theme", "description"),
    ("brand", "name"),
    ("speaker", "name"),
    ("speaker", "tone"),
    ("personas", 0, "name"),
    ("personas", 0, "pain_points", 0),
    ("products", 0, "name"),
    ("products", 0, "category"),
    ("products", 0, "specs"),
    ("products", 0, "features", 0),
    ("products", 0, "evidence", 0),
    ("products", 0, "service"),
    ("products", 1, "name"),
    ("warmup", "notes"),
    ("burst", "notes"),
    ("burst", "service"),
    ("group_rules", 0),
    ("avoid_words", 0),
]
NUMBER_FIELDS = [
    ("products", 0, "price"),
    ("products", 0, "promo_price"),
    ("products", 1, "price"),
    ("products", 0, "stock"),
]
changes = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(TEXT_FIELDS), texts),
        st.tuples(st.sampled_from(NUMBER_FIELDS), numbers),
        st.tuples(st.just(("week_start",)), dates),
    ),
    min_size=1,
    max_size=4,
)
# Edits a canvas will mostly take (long text, prices, stock, dates in range), so that the
# pipeline half of the property meets many accepted canvases, edge lengths included.
likely_taken = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(TEXT_FIELDS), st.one_of(short, long)),
        st.tuples(st.just(("products", 2, "price")), prices),  # 菌菇汤底 has no promo price
        st.tuples(
            st.just(("products", 0, "promo_price")),
            st.decimals(min_value="0.01", max_value="59.90", places=2).map(str),  # ≤ its price
        ),
        st.tuples(st.just(("products", 0, "stock")), st.integers(0, 99_999_999)),
        st.tuples(st.just(("week_start",)), weeks),
    ),
    min_size=1,
    max_size=4,
)


def changed(edits: list[tuple[tuple, object]]) -> dict:
    data = copy.deepcopy(BASE)
    for path, value in edits:
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return data


def assert_chinese_refusal(error: CanvasError) -> None:
    message = str(error)
    json.dumps(message, ensure_ascii=False).encode("utf-8")  # printable: no lone surrogate
    problems = [line[2:] for line in message.splitlines() if line.startswith("- ")]
    assert problems, message
    for line in problems:
        assert not PYDANTIC_ENGLISH.search(line), line
        assert CJK.search(line.partition("：")[2] or line), line


def assert_the_pipeline_takes(canvas: Canvas, store) -> None:
    week = generate_week(canvas, seed=0)
    assert not week.failures, [(f.task_id, f.message) for f in week.failures]
    package_markdown(week)
    campaign = store.save_package(week, user=OPERATOR)
    data = zip_bytes(
        store.package(campaign, user=local_user(), approved_only=False),
        posters=store_posters(store),
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest_name = next(n for n in archive.namelist() if n.endswith("manifest.json"))
        manifest = json.loads(archive.read(manifest_name))
    assert not manifest["posters_not_rendered"], manifest["posters_not_rendered"]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(edits=st.one_of(likely_taken, changes))
def test_a_canvas_either_refuses_in_chinese_or_the_whole_week_and_export_take_it(edits) -> None:
    try:
        canvas = parse_canvas(changed(edits))
    except CanvasError as error:
        assert_chinese_refusal(error)
        return
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(load_settings(env={}, cc_data_dir=Path(folder)))
        try:
            assert_the_pipeline_takes(canvas, store)
        finally:
            store.close()


@settings(max_examples=100, deadline=None)
@given(edits=changes)
def test_a_refusal_names_the_field_that_was_changed(edits) -> None:
    """Cheap and wide: validation alone, more examples, each refusal line names a field."""
    try:
        parse_canvas(changed(edits))
    except CanvasError as error:
        assert_chinese_refusal(error)
        assert all("：" in line for line in str(error).splitlines()[1:])
