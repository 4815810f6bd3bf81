"""People and roles: the permission table, the users file, sign-in and the local default."""

from __future__ import annotations

import pytest

from pipelines.auth import (
    PERMISSIONS,
    User,
    UserDirectory,
    add_database_user,
    can,
    hash_password,
    local_user,
    require,
)
from pipelines.errors import ConfigError, StoreError
from pipelines.settings import load_settings


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("operator", "create", True),
        ("operator", "generate", True),
        ("operator", "edit", True),
        ("operator", "submit", True),
        ("operator", "approve", False),
        ("operator", "reject", False),
        ("operator", "comment", False),
        ("operator", "users", False),
        ("reviewer", "comment", True),
        ("reviewer", "approve", True),
        ("reviewer", "reject", True),
        ("reviewer", "edit", True),
        ("reviewer", "generate", False),
        ("reviewer", "settings", False),
        ("admin", "approve", True),
        ("admin", "users", True),
        ("admin", "settings", True),
        ("admin", "generate", True),
    ],
)
def test_the_permission_table_decides_who_may_do_what(role, action, allowed):
    assert can(User("小王", role), action) is allowed


def test_an_operator_can_never_approve():
    assert "approve" not in PERMISSIONS["operator"]
    with pytest.raises(StoreError, match="权限不足"):
        require(User("小王", "operator"), "approve")


def test_the_local_user_is_a_password_less_admin_clearly_labelled():
    user = local_user()
    assert user.role == "admin"
    assert user.local
    assert "本地单人模式" in user.label


def test_without_a_users_file_the_directory_is_in_local_mode(tmp_path):
    directory = UserDirectory.from_settings(load_settings(env={}, cc_data_dir=tmp_path))
    assert directory.local_mode
    assert directory.authenticate("本地用户", "") is None


def test_a_user_added_signs_in_with_the_right_password_only(tmp_path):
    settings = load_settings(env={}, cc_users_file=tmp_path / "users.toml")
    UserDirectory.from_settings(settings).add("小蓝", "reviewer", "s3cret-密码")
    directory = UserDirectory.from_settings(settings)
    assert not directory.local_mode
    assert directory.authenticate("小蓝", "s3cret-密码") == User("小蓝", "reviewer")
    assert directory.authenticate("小蓝", "wrong") is None
    assert directory.authenticate("nobody", "s3cret-密码") is None


def test_the_users_file_keeps_a_salted_hash_never_the_password(tmp_path):
    path = tmp_path / "users.toml"
    UserDirectory.load(path).add("小蓝", "reviewer", "s3cret")
    raw = path.read_text(encoding="utf-8")
    assert "s3cret" not in raw
    assert "$argon2id$" in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert hash_password("s3cret") != hash_password("s3cret")  # salted


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[users.a]\nrole = "boss"\npassword_hash = "$argon2id$x"\n', "角色"),
        ('[users.a]\nrole = "admin"\npassword = "plain"\n', "password_hash"),
        ("[users.a\n", "格式错误"),
    ],
)
def test_a_broken_users_file_is_refused_in_chinese(tmp_path, content, message):
    path = tmp_path / "users.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        UserDirectory.load(path)


def test_user_names_and_empty_passwords_are_checked(tmp_path):
    directory = UserDirectory.load(tmp_path / "users.toml")
    with pytest.raises(ConfigError, match="用户名"):
        directory.add("../etc", "admin", "x")
    with pytest.raises(ConfigError, match="密码不能为空"):
        directory.add("小蓝", "admin", "")


def test_the_users_command_adds_a_user_from_stdin(tmp_path, monkeypatch, capsys):
    import io

    from pipelines.cli import main

    monkeypatch.setenv("CC_USERS_FILE", str(tmp_path / "users.toml"))
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert main(["users", "add", "小蓝", "--role", "reviewer", "--password-stdin"]) == 0
    assert main(["users", "list"]) == 0
    assert "小蓝\treviewer\t审核" in capsys.readouterr().out
    directory = UserDirectory.load(tmp_path / "users.toml")
    assert directory.authenticate("小蓝", "s3cret") == User("小蓝", "reviewer")


def test_people_in_the_database_sign_in_too_and_the_file_wins_a_shared_name(tmp_path):
    settings = load_settings(env={}, cc_data_dir=tmp_path)
    add_database_user(settings, "老李", "reviewer", "db-pass")
    add_database_user(settings, "小蓝", "admin", "db-pass")
    UserDirectory.from_settings(settings).add("小蓝", "operator", "file-pass")
    directory = UserDirectory.from_settings(settings)
    assert not directory.local_mode
    assert directory.authenticate("老李", "db-pass") == User("老李", "reviewer")
    assert directory.authenticate("小蓝", "file-pass") == User("小蓝", "operator")
    assert directory.authenticate("小蓝", "db-pass") is None


def test_the_users_command_can_add_to_the_database(tmp_path, monkeypatch):
    import io

    from pipelines.cli import main

    monkeypatch.setenv("CC_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    args = ["users", "add", "老李", "--role", "admin", "--password-stdin", "--database"]
    assert main(args) == 0
    assert not (tmp_path / "users.toml").exists()
    directory = UserDirectory.from_settings(load_settings(env={}, cc_data_dir=tmp_path))
    assert directory.authenticate("老李", "s3cret") == User("老李", "admin")
