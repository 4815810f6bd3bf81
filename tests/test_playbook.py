"""The playbook loads, holds the domain facts, and a broken data file fails with a Chinese message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.content import ACT_ORDER, LAUNCH_ORDER, PosterKind
from pipelines.errors import CampaignCanvasError, PlaybookError
from pipelines.playbook import PLAYBOOK_DIR, load_playbook, read_playbook

# Terms no phrase may carry (广告法 absolutes, efficacy claims, 诱导分享, off-platform steering).
BANNED = [
    "最", "第一", "唯一", "首选", "独家", "顶级", "极致", "全网", "100%", "绝对", "永久",
    "万能", "国家级", "领先", "治疗", "治愈", "消炎", "排毒", "疗效", "转发", "集赞", "助力",
    "加微信", "私信", "随时涨价",
]  # fmt: skip


def test_the_playbook_loads_once_and_is_cached():
    assert load_playbook() is load_playbook()


def test_the_daily_rhythm_covers_every_kind_of_slot():
    keys = {slot.key for slot in load_playbook().calendar.daily_slots}
    assert {"morning", "seeding", "flash", "topic", "moments", "note", "evening"} <= keys


def test_moments_follow_the_forty_twenty_twenty_twenty_balance():
    shares = {m.kind: m.share for m in load_playbook().calendar.moments_balance}
    assert shares == {"个人生活": 40, "福利": 20, "产品": 20, "资讯": 20}


def test_mall_activity_types_are_marked():
    mall = {a.name for a in load_playbook().calendar.activity_types if a.mall_only}
    assert {"联名活动", "新品特卖", "免费试用", "爆款特卖", "引流特惠", "清仓折扣"} == mall


def test_the_launch_timeline_and_the_livestream_acts_are_in_order():
    playbook = load_playbook()
    assert tuple(p.step for p in playbook.calendar.launch_timeline) == LAUNCH_ORDER
    assert tuple(a.name for a in playbook.livestream.acts) == ACT_ORDER


def test_a_product_segment_runs_from_the_pain_hook_to_the_cross_sell():
    steps = [s.key for s in load_playbook().livestream.segment_steps]
    assert steps == ["hook", "fabe", "demo", "price", "close", "qa", "cross"]


def test_contingencies_cover_stock_links_trolls_and_dead_air():
    situations = " ".join(c.situation for c in load_playbook().livestream.contingencies)
    for word in ("库存", "链接", "刷屏", "冷场"):
        assert word in situations


def test_poster_kinds_and_sizes_match_the_domain():
    posters = load_playbook().posters
    assert {k.kind for k in posters.kinds} == set(PosterKind)
    sizes = {(s.width, s.height) for s in posters.sizes}
    assert sizes == {(1080, 1920), (1080, 1440), (1080, 1080), (900, 383)}


def test_fabe_has_four_steps_and_other_methods_are_listed():
    selling = load_playbook().selling
    assert [f.letter for f in selling.fabe] == ["F", "A", "B", "E"]
    assert {"场景还原法", "锚点效应", "六感文案"} <= {m.name for m in selling.methods}


@pytest.mark.parametrize("term", BANNED)
def test_no_phrase_that_can_reach_a_post_uses_a_banned_term(term):
    for section in ("phrases", "group_kit", "livestream", "selling"):
        text = (PLAYBOOK_DIR / f"{section}.toml").read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        assert term not in body, f"{section}.toml 含「{term}」"


# --- broken data files -----------------------------------------------------------------------


def _break(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = [
    ("calendar.toml", "[[daily_slots]]", "[[daily_slots]", "TOML 格式错误"),
    ("phrases.toml", "今天聊聊{product}", "今天聊聊{prodct}", "未知的占位符"),
    ("phrases.toml", "早上好呀，", "早上好呀，8点了，", "含数字"),
    ("calendar.toml", "share = 40", "share = 50", "合计应为 100"),
    ("posters.toml", 'use = "公众号头图"', 'use = "公众号头图"\ncolour = "红"', "不认识的字段"),
    ("livestream.toml", 'name = "爬坡"', 'name = "收尾"', "取值不在允许范围内"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BROKEN)
def test_a_broken_data_file_is_reported_in_chinese(tmp_path, file, old, new, message):
    folder = tmp_path / "playbook"
    shutil.copytree(PLAYBOOK_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    _break(folder, file, old, new)
    with pytest.raises(PlaybookError) as caught:
        read_playbook(folder)
    assert message in str(caught.value)
    assert file in str(caught.value)
    assert isinstance(caught.value, CampaignCanvasError)


def test_a_missing_data_file_names_the_file(tmp_path):
    folder = tmp_path / "playbook"
    shutil.copytree(PLAYBOOK_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "livestream.toml").unlink()
    with pytest.raises(PlaybookError, match=r"缺少数据文件 livestream\.toml"):
        read_playbook(folder)
