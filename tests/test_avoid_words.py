"""Avoided words: the canvas refuses those that would blank a name or are no word at all; the
rest must not break a week."""

from __future__ import annotations

import pytest

from pipelines.canvas import parse_canvas
from pipelines.errors import CanvasError
from pipelines.tasks import generate_week


@pytest.fixture
def data(canvas) -> dict:
    return canvas.model_dump(mode="json")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("1", "要是词语"),  # would turn 10:00 into 0:00
        ("，", "要是词语"),
        ("原切牛肉卷", "会把商品「原切牛肉卷」的名称「原切牛肉卷」整个删掉"),
        ("邻里鲜", "会把品牌/门店名称「邻里鲜」整个删掉"),
    ],
)
def test_a_word_that_would_blank_a_name_or_no_word_at_all_is_refused(data, word, expected):
    with pytest.raises(CanvasError) as caught:
        parse_canvas({**data, "avoid_words": [word]})
    assert expected in str(caught.value), str(caught.value)


@pytest.mark.parametrize("word", ["最便宜", "保证", "全网最低", "秒杀", "明天", "原切"])
def test_ordinary_avoided_words_leave_a_complete_week(data, word) -> None:
    week = generate_week(parse_canvas({**data, "avoid_words": [word]}), seed=0)
    assert not week.failures, week.failures


@pytest.mark.parametrize("word", ["活动", "价格", "海", "朋友圈", "附采摘日期"])
def test_an_avoided_word_from_the_engines_own_phrases_leaves_a_complete_week(data, word):
    week = generate_week(parse_canvas({**data, "avoid_words": [word]}), seed=0)
    assert not week.failures, week.failures
