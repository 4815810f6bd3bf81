"""Integrity checks for the compliance test corpus (issue 11).

Data only: this test never imports or runs the compliance checker. It checks
that tests/data/compliance/corpus.tsv is well formed, that every row carries a
source, and that the tune/heldout split still equals the hash rule.
"""

import csv
import hashlib
import re
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "data" / "compliance" / "corpus.tsv"
HEADER = ["id", "split", "label", "category", "channel", "text", "source", "note"]
CATEGORIES = {
    "violation": {
        "absolute",
        "medical_efficacy",
        "guarantee",
        "induced_share",
        "off_platform",
        "false_data",
        "faked_popularity",
        "fake_urgency",
    },
    "clean": {"none"},
    "exemption": {
        "label_fact",
        "self_description",
        "consumption_advice",
        "negation",
        "proper_name",
        "aspiration",
        "museum_or_fact",
    },
}
CHANNELS = {"all", "小红书", "朋友圈", "微信群", "直播"}


def expected_split(text: str) -> str:
    return "tune" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "heldout"


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    with CORPUS.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_header(rows):
    assert rows[0] == HEADER


def test_every_row_has_all_fields(rows):
    bad = [r[0] if r else "" for r in rows[1:] if len(r) != len(HEADER)]
    assert not bad, f"rows with wrong field count: {bad}"


def test_at_least_400_rows(rows):
    assert len(rows) - 1 >= 400


def test_ids_are_short_and_unique(rows):
    ids = [r[0] for r in rows[1:]]
    assert all(re.fullmatch(r"c\d{4}", i) for i in ids)
    assert len(ids) == len(set(ids))


def test_sentences_are_unique_and_not_blank(rows):
    texts = [r[5] for r in rows[1:]]
    assert all(t.strip() == t and t for t in texts)
    assert len(texts) == len(set(texts))


def test_labels_categories_channels(rows):
    for r in rows[1:]:
        rid, _, label, category, channel = r[:5]
        assert label in CATEGORIES, (rid, label)
        assert category in CATEGORIES[label], (rid, label, category)
        assert channel in CHANNELS, (rid, channel)


def test_every_row_has_a_source(rows):
    for r in rows[1:]:
        src = r[6]
        assert src.startswith(("http://", "https://", "github:")), (r[0], src)


def test_split_follows_the_hash_rule(rows):
    wrong = [r[0] for r in rows[1:] if r[1] != expected_split(r[5])]
    assert not wrong, f"split differs from the hash rule: {wrong}"
