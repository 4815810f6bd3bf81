"""The batch, campaigns and export commands, end to end through `campaign-canvas`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from week_factory import make_week

from pipelines.auth import User
from pipelines.cli import main
from pipelines.settings import load_settings
from pipelines.store import open_store

EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "examples"
OPERATOR = User("小王", "operator")
REVIEWER = User("小蓝", "reviewer")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CC_ENGINE", "CC_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


@pytest.fixture
def store():
    opened = open_store(load_settings())
    yield opened
    opened.close()


@pytest.fixture
def campaign(store, canvas):
    campaign = store.save_package(make_week(canvas), user=OPERATOR)
    for item_id in ("post-d1-01", "livestream"):
        store.submit(f"{campaign}/{item_id}", user=OPERATOR)
        store.approve(f"{campaign}/{item_id}", user=REVIEWER)
    return campaign


def test_campaigns_prints_one_line_per_campaign_id_first(campaign, capsys):
    assert main(["campaigns"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.split("\t")[:2] == [campaign, "邻里鲜周末团"]
    assert "草稿39" in line and "已通过2" in line


def test_campaigns_on_an_empty_store_says_how_to_start(capsys):
    assert main(["campaigns"]) == 0
    assert "还没有保存的活动" in capsys.readouterr().out


def test_export_writes_the_approved_items_only(campaign, tmp_path, capsys):
    out = tmp_path / "week.zip"
    assert main(["export", campaign, "--out", str(out)]) == 0
    assert "已通过的 2 个条目" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        manifest_name = next(n for n in archive.namelist() if n.endswith("manifest.json"))
        manifest = json.loads(archive.read(manifest_name))
    assert {i["id"] for i in manifest["items"]} == {"post-d1-01", "livestream"}


def test_export_all_includes_every_item(campaign, tmp_path):
    out = tmp_path / "all.zip"
    assert main(["export", campaign, "--out", str(out), "--all"]) == 0
    with zipfile.ZipFile(out) as archive:
        assert sum(n.endswith(".png") for n in archive.namelist()) == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "nope", "--out", "x.zip"], "找不到活动"),
        (["export", "nope", "--out", "x.txt"], ".zip"),
    ],
)
def test_export_errors_are_chinese_with_exit_code_2(args, message, capsys, store):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_export_of_a_campaign_with_nothing_approved_refuses(store, canvas, tmp_path, capsys):
    campaign = store.save_package(make_week(canvas), user=OPERATOR)
    assert main(["export", campaign, "--out", str(tmp_path / "x.zip")]) == 2
    assert "没有已通过的条目" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_batch_generates_stores_and_resumes_with_the_template_engine(tmp_path, capsys, store):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for index, name in enumerate(["东门店暖锅周", "西门店暖锅周"]):
        text = (EXAMPLES / "fresh_groupbuy.toml").read_text("utf-8")
        (inputs / f"{index}.toml").write_text(
            text.replace('name = "邻里鲜周末团"', f'name = "{name}"'), "utf-8"
        )
    (inputs / "broken.toml").write_text("name = \n", "utf-8")
    out = tmp_path / "out"
    args = ["batch", str(inputs), "--out", str(out), "--concurrency", "1", "--no-posters"]
    assert main(args) == 1
    first = capsys.readouterr()
    assert "完成 2 个，跳过 0 个（已完成或重复），失败 1 个" in first.out
    assert "broken.toml" in first.out and "TOML 格式错误" in first.out
    assert len(store.campaigns()) == 2
    assert len([p for p in out.iterdir() if (p / "package.md").is_file()]) == 2

    assert main(args) == 1
    assert "完成 0 个，跳过 2 个" in capsys.readouterr().out
    assert len(store.campaigns()) == 2


def test_migrate_creates_the_schema_once_and_refuses_a_newer_database(
    tmp_path, capsys, monkeypatch
):
    from sqlalchemy import create_engine, update

    from pipelines.store.schema import SCHEMA_VERSION, meta

    url = f"sqlite:///{tmp_path / 'team.db'}"
    monkeypatch.setenv("CC_DATABASE_URL", url)
    assert main(["migrate"]) == 0 and main(["migrate"]) == 0
    assert capsys.readouterr().out.count(f"第 {SCHEMA_VERSION} 版") == 2
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(meta).values(value=str(SCHEMA_VERSION + 1)))
    engine.dispose()
    assert main(["migrate"]) == 2
    assert "请先升级程序" in capsys.readouterr().err
