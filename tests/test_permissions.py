"""Permissions live in the library: every caller of the store and the CLI is checked."""

from __future__ import annotations

import pytest
from week_factory import make_week

from pipelines.auth import User, UserDirectory, local_user
from pipelines.cli import main
from pipelines.errors import ConfigError, StoreError
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.store.people import save_user
from pipelines.store.texts import with_texts

OPERATOR = User("小王", "operator")
REVIEWER = User("小蓝", "reviewer")
OTHER_REVIEWER = User("老李", "reviewer")
PASSWORD = "暖锅-2026"


@pytest.fixture
def store(database_url):
    opened = open_store(load_settings(env={}, cc_database_url=database_url))
    yield opened
    opened.close()


@pytest.fixture
def campaign(store, canvas) -> str:
    return store.save_package(make_week(canvas), user=OPERATOR)


def test_only_an_admin_may_export_drafts(store, campaign):
    for user in (OPERATOR, REVIEWER):
        assert store.package(campaign, user=user).items == []  # approved only: allowed
        with pytest.raises(StoreError, match="导出未通过的草稿"):
            store.package(campaign, user=user, approved_only=False)
    assert store.package(campaign, user=local_user(), approved_only=False).items


def test_in_team_mode_nobody_approves_their_own_edit(store, campaign):
    store.four_eyes = True
    key = f"{campaign}/post-d1-01"
    mine = with_texts(store.item(key).item, {"body": "审核同事自己改的文案"})
    store.edit_item(key, mine, user=REVIEWER, expected_version=1)
    store.submit(key, user=OPERATOR)
    with pytest.raises(StoreError, match="你自己改的"):
        store.approve(key, user=REVIEWER)
    assert store.approve(key, user=OTHER_REVIEWER).state == "approved"


def test_alone_an_admin_may_approve_their_own_edit(store, campaign):
    assert store.four_eyes is False  # no users: single-user mode
    key = f"{campaign}/post-d1-01"
    admin = local_user()
    store.edit_item(key, with_texts(store.item(key).item, {"body": "自己改"}), user=admin,
                    expected_version=1)  # fmt: skip
    store.submit(key, user=admin)
    assert store.approve(key, user=admin).state == "approved"


def test_the_team_rule_is_on_when_users_exist_unless_set(tmp_path):
    data = tmp_path / "data"
    assert open_store(load_settings(env={}, cc_data_dir=data)).four_eyes is False
    UserDirectory.load(data / "users.toml").add("小蓝", "reviewer", PASSWORD)
    assert open_store(load_settings(env={}, cc_data_dir=data)).four_eyes is True
    assert (
        open_store(load_settings(env={}, cc_data_dir=data, cc_four_eyes=False)).four_eyes is False
    )


def test_an_unknown_role_in_the_database_is_refused(store, tmp_path):
    save_user(store, "路人", "superuser", "$argon2id$v=19$stand-in")
    settings = load_settings(
        env={},
        cc_data_dir=tmp_path,
        cc_database_url=str(store.engine.url.render_as_string(hide_password=False)),
    )
    with pytest.raises(ConfigError, match="不认识"):
        UserDirectory.from_settings(settings)
    assert "superuser" in User("路人", "superuser").label  # no KeyError on an odd role


def test_keeping_a_poster_image_needs_the_right_to_edit_and_is_audited(store, campaign):
    poster = store.items(campaign, kind="poster_copy")[0]
    with pytest.raises(StoreError, match="权限不足"):
        store.attach_poster(poster.key, 1, b"png", user=User("访客", "guest"))  # type: ignore[arg-type]
    store.attach_poster(poster.key, 1, b"png", user=REVIEWER)
    assert store.audit(campaign)[-1].action == "attach_poster"


@pytest.fixture
def team(tmp_path, monkeypatch, canvas) -> str:
    """A team data folder (a users file) with one stored campaign; returns its id."""
    data = tmp_path / "team"
    users = UserDirectory.load(data / "users.toml")
    users.add("小王", "operator", PASSWORD)
    monkeypatch.setenv("CC_DATA_DIR", str(data))
    store = open_store(load_settings())
    campaign = store.save_package(make_week(canvas), user=OPERATOR)
    store.close()
    return campaign


def test_in_team_mode_the_cli_asks_who_runs_it(team, tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "week.zip")
    assert main(["export", team, "--out", out, "--all"]) == 2
    assert "--user" in capsys.readouterr().err
    monkeypatch.setenv("CC_PASSWORD", PASSWORD)
    assert main(["export", team, "--out", out, "--all", "--user", "小王"]) == 2
    assert "导出未通过的草稿" in capsys.readouterr().err  # an operator ships approved items only
    monkeypatch.setenv("CC_PASSWORD", "wrong")
    assert main(["export", team, "--out", out, "--user", "小王"]) == 2
    assert "密码不对" in capsys.readouterr().err
    assert main(["export", team, "--out", out, "--all", "--admin"]) == 0


def test_listing_campaigns_in_team_mode_needs_an_identity(team, capsys):
    assert main(["campaigns"]) == 2
    assert main(["campaigns", "--admin"]) == 0
    assert team in capsys.readouterr().out


@pytest.mark.parametrize("name", ["小\u202e蓝", "a b", "x" * 33, "名\n字"])
def test_names_in_the_users_file_follow_the_same_rule_as_added_ones(tmp_path, name):
    path = tmp_path / "users.toml"
    import tomli_w

    entry = {"role": "reviewer", "password_hash": "$argon2id$v=19$stand-in"}
    path.write_text(tomli_w.dumps({"users": {name: entry}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="用户名"):
        UserDirectory.load(path)


def test_a_batch_in_team_mode_needs_someone_allowed_to_generate(team, tmp_path, canvas, capsys):
    path = tmp_path / "c.json"
    path.write_text(canvas.model_copy(update={"name": "批量团队"}).model_dump_json(), "utf-8")
    out = str(tmp_path / "out")
    assert main(["batch", str(path), "--out", out, "--no-posters"]) == 2
    assert "--user" in capsys.readouterr().err
    assert main(["batch", str(path), "--out", out, "--no-posters", "--admin",
                 "--concurrency", "1"]) == 0  # fmt: skip
