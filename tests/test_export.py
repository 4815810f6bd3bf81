"""The export ZIP: every format opens in its own library, unapproved items and secrets stay out."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from docx import Document
from icalendar import Calendar
from openpyxl import load_workbook
from week_factory import make_week

from pipelines.auth import User, UserDirectory, local_user
from pipelines.errors import ExportError
from pipelines.export import safe_name, store_posters, zip_bytes
from pipelines.export.sheets import _plain
from pipelines.settings import load_settings
from pipelines.store import open_store

OPERATOR = User("小王", "operator")
REVIEWER = User("小蓝", "reviewer")
APPROVED_POSTS = ["post-d1-01", "post-d1-03", "post-d2-01"]
APPROVED_OTHERS = ["livestream", "fabe-beef", "group-kit", "launch", "poster-post-d1-02"]


@pytest.fixture
def store(tmp_path):
    opened = open_store(load_settings(env={}, cc_data_dir=tmp_path / "data"))
    yield opened
    opened.close()


@pytest.fixture
def campaign(store, canvas):
    campaign = store.save_package(make_week(canvas), user=OPERATOR)
    for item_id in APPROVED_POSTS + APPROVED_OTHERS:
        store.submit(f"{campaign}/{item_id}", user=OPERATOR)
        store.approve(f"{campaign}/{item_id}", user=REVIEWER)
    return campaign


def tiny_png(_stored) -> bytes:
    return b"\x89PNG\r\n\x1a\n fake poster"


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def approved(store, campaign) -> dict[str, bytes]:
    return unzip(zip_bytes(store.package(campaign, user=local_user()), posters=tiny_png))


def test_the_bundle_holds_every_format(approved):
    assert set(approved) == {
        "calendar.xlsx",
        "calendar.csv",
        "calendar.ics",
        "livestream.docx",
        "livestream.md",
        "fabe.xlsx",
        "group_kit.md",
        "launch.md",
        "posters/post-d1-02.png",
        "manifest.json",
    }


def test_the_calendar_xlsx_and_csv_list_only_approved_posts(approved):
    sheet = load_workbook(io.BytesIO(approved["calendar.xlsx"])).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("日期", "星期", "时间")
    assert [r[11] for r in rows[1:]] == APPROVED_POSTS
    assert all(r[13] == "小蓝" for r in rows[1:])
    text = approved["calendar.csv"].decode("utf-8-sig")
    assert [r["条目编号"] for r in csv.DictReader(io.StringIO(text))] == APPROVED_POSTS


def test_the_ics_has_one_event_per_approved_post_with_its_copy(approved, canvas):
    calendar = Calendar.from_ical(approved["calendar.ics"])
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(APPROVED_POSTS)
    first = events[0]
    assert str(first["description"]).startswith("最好的")
    assert "第1天08:00" in str(first["summary"])
    start = first.decoded("dtstart")
    assert (start.date(), start.hour, str(start.tzinfo)) == (canvas.days[0], 8, "Asia/Shanghai")


def test_the_livestream_docx_and_the_fabe_sheet_open(approved):
    document = Document(io.BytesIO(approved["livestream.docx"]))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "暖锅季直播"
    assert any("开场" in t for t in texts)
    assert document.tables[0].rows[0].cells[0].text == "时间"  # the run-of-show table first
    assert document.tables[-1].rows[0].cells[1].text == "应对"  # the contingencies last
    book = load_workbook(io.BytesIO(approved["fabe.xlsx"]))
    assert [r[0] for r in book["FABE卖点"].iter_rows(min_row=2, values_only=True)] == ["原切牛肉卷"]


def test_the_manifest_names_versions_approvers_and_times(approved):
    manifest = json.loads(approved["manifest.json"])
    assert manifest["approved_only"] is True
    ids = {i["id"] for i in manifest["items"]}
    assert ids == set(APPROVED_POSTS + APPROVED_OTHERS)
    assert {(i["version"], i["approved_by"]) for i in manifest["items"]} == {(1, "小蓝")}
    assert all(i["approved_at"] for i in manifest["items"])
    assert "calendar.xlsx" in manifest["files"]


def test_unapproved_items_are_absent_from_every_file(approved):
    calendar = Calendar.from_ical(approved["calendar.ics"])
    summaries = " ".join(str(e["summary"]) for e in calendar.walk("VEVENT"))
    plain = approved["calendar.csv"].decode("utf-8-sig") + approved["manifest.json"].decode()
    for shipped in ("第1天08:00", "第1天12:00", "第2天08:00"):
        assert shipped in summaries
    for unapproved in ("第1天10:00", "第2天10:00", "第7天20:00"):
        assert unapproved not in summaries
        assert unapproved not in plain
    assert "post-d3-01" not in plain
    assert "posters/post-d2-02.png" not in approved


def test_all_exports_every_item(store, campaign):
    files = unzip(
        zip_bytes(
            store.package(campaign, user=local_user(), approved_only=False),
            approved_only=False,
            posters=tiny_png,
        )
    )
    manifest = json.loads(files["manifest.json"])
    assert manifest["approved_only"] is False
    assert len(manifest["items"]) == 41
    assert len([n for n in files if n.startswith("posters/")]) == 7


def test_nothing_approved_means_no_export(store, canvas):
    campaign = store.save_package(make_week(canvas), user=OPERATOR)
    with pytest.raises(ExportError, match="没有已通过的条目"):
        zip_bytes(store.package(campaign, user=local_user()))


def test_no_secret_is_ever_written_into_an_export(store, campaign, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-export-secret-123")
    settings = load_settings(cc_users_file=tmp_path / "users.toml")
    UserDirectory.from_settings(settings).add("小蓝", "reviewer", "pa55word")
    data = zip_bytes(
        store.package(campaign, user=local_user(), approved_only=False),
        approved_only=False,
        posters=tiny_png,
    )
    everything = b"".join(unzip(data).values())
    for secret in (b"sk-export-secret-123", b"$argon2", b"pa55word", b"password"):
        assert secret not in everything


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("邻里鲜/周末团", "邻里鲜-周末团"),
        ("..", "canvas"),
        ("a\\b:c*d", "a-b-c-d"),
    ],
)
def test_file_names_from_user_text_are_safe(name, expected):
    assert safe_name(name) == expected


def test_a_hostile_campaign_name_cannot_escape_the_bundle_folder(store, canvas):
    hostile = make_week(canvas.model_copy(update={"name": "../../逃逸"}))
    campaign = store.save_package(hostile, user=OPERATOR)
    data = zip_bytes(
        store.package(campaign, user=local_user(), approved_only=False),
        approved_only=False,
        posters=tiny_png,
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert all(".." not in n and not n.startswith("/") for n in names)
    assert len({n.split("/")[0] for n in names}) == 1


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"])
def test_generated_text_never_becomes_a_spreadsheet_formula(text):
    assert _plain(text) == "'" + text


def test_posters_are_rendered_from_the_stored_copy_when_none_is_kept(store, campaign):
    pytest.importorskip("pipelines.poster")
    view = store.package(campaign, user=local_user())
    (poster,) = view.posters
    png = store_posters(store)(poster)
    assert png.startswith(b"\x89PNG")


def test_a_poster_kept_with_its_version_is_the_one_that_ships(store, campaign):
    key = f"{campaign}/poster-post-d1-02"
    store.attach_poster(key, 1, b"\x89PNG the image the reviewer saw", user=local_user())
    files = unzip(
        zip_bytes(
            store.package(campaign, user=local_user(), approved_only=False),
            posters=store_posters(store),
        )
    )
    assert files["posters/post-d1-02.png"] == b"\x89PNG the image the reviewer saw"
