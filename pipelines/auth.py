"""People and roles: who may do what, and sign-in against a users file with argon2 hashes.

Without a users file the app runs in 本地单人模式: one admin (`local_user()`), no password.
The users file (`CC_USERS_FILE`, default `<CC_DATA_DIR>/users.toml`) looks like::

    [users.xiaolan]
    role = "reviewer"                      # operator | reviewer | admin
    password_hash = "$argon2id$v=19$..."   # from hash_password(); never a clear password

Add people with `campaign-canvas users add NAME --role reviewer` (asks for the password); with
`--database` the account goes into the database instead (a team server without a users file).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipelines.errors import ConfigError, StoreError
from pipelines.settings import Settings
from pipelines.textcheck import printable

Role = Literal["operator", "reviewer", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
ROLE_LABELS: dict[str, str] = {"operator": "运营", "reviewer": "审核", "admin": "管理员"}
LOCAL_MODE_LABEL = "本地单人模式"

Action = Literal[
    "view", "export", "export_drafts", "create", "generate", "edit", "submit",
    "comment", "approve", "reject", "users", "settings",
]  # fmt: skip
ACTION_LABELS: dict[str, str] = {
    "view": "查看",
    "export": "导出",
    "export_drafts": "导出未通过的草稿",
    "create": "新建活动",
    "generate": "生成内容",
    "edit": "编辑",
    "submit": "提交审核",
    "comment": "评论",
    "approve": "通过",
    "reject": "驳回",
    "users": "管理用户",
    "settings": "修改设置",
}
# The permission table. An operator can never approve: approval needs a second pair of eyes.
PERMISSIONS: dict[str, frozenset[str]] = {
    "operator": frozenset({"view", "export", "create", "generate", "edit", "submit"}),
    "reviewer": frozenset({"view", "export", "comment", "approve", "reject", "edit"}),
    "admin": frozenset(get_args(Action)),
}
NAME_PATTERN = r"^[\w\u4e00-\u9fff.-]{1,32}$"

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("campaign-canvas-dummy")


@dataclass(frozen=True)
class User:
    """A signed-in person. `local` marks the password-less single-user default."""

    name: str
    role: Role
    local: bool = field(default=False, compare=False)

    @property
    def label(self) -> str:
        suffix = LOCAL_MODE_LABEL if self.local else ROLE_LABELS.get(self.role, self.role)
        return f"{self.name}（{suffix}）"


def local_user() -> User:
    """The single-user default of `make run`: one admin, no password."""
    return User(name="本地用户", role="admin", local=True)


def can(user: User, action: str) -> bool:
    """Whether `user`'s role allows `action` (see PERMISSIONS)."""
    return action in PERMISSIONS.get(user.role, frozenset())


def require(user: User, action: str) -> None:
    """Raise StoreError with a Chinese message unless `user` may do `action`."""
    if not can(user, action):
        label = ACTION_LABELS.get(action, action)
        raise StoreError(f"权限不足：{user.label}不能「{label}」，请找有权限的同事处理")


def hash_password(password: str) -> str:
    """A salted argon2id hash of `password`, safe to keep in the users file."""
    if not password:
        raise ConfigError("密码不能为空")
    return _hasher.hash(password)


def _database_users(settings: Settings) -> dict[str, tuple[str, str]]:
    from sqlalchemy.exc import SQLAlchemyError

    from pipelines.store import open_store
    from pipelines.store.people import database_users

    try:
        store = open_store(settings)
        try:
            return database_users(store)
        finally:
            store.close()
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"无法从数据库读取用户：{type(exc).__name__}，请检查 CC_DATABASE_URL"
        ) from None


def add_database_user(settings: Settings, name: str, role: Role, password: str) -> User:
    """Add or replace an account in the database (for a team server without a users file)."""
    from pipelines.store import open_store
    from pipelines.store.people import save_user

    _check(name, role)
    store = open_store(settings)
    try:
        save_user(store, name, role, hash_password(password))
    finally:
        store.close()
    return User(name=name, role=role)


def _check(name: str, role: str) -> None:
    if not re.match(NAME_PATTERN, name):
        raise ConfigError(f"用户名「{name}」不合适：只用中文、字母、数字、. - _，最长 32 个字")
    if role not in ROLES:
        raise ConfigError(f"角色应为 {list(ROLES)}")


def users_file(settings: Settings) -> Path:
    return settings.cc_users_file or settings.cc_data_dir / "users.toml"


class UserDirectory:
    """The people who may sign in: a TOML users file and/or accounts in the database."""

    def __init__(self, path: Path, entries: dict[str, tuple[Role, str]] | None = None) -> None:
        self.path = path
        self._entries: dict[str, tuple[Role, str]] = dict(entries or {})

    @classmethod
    def from_settings(cls, settings: Settings) -> UserDirectory:
        """People from the users file, then from the database (the file wins on a shared name)."""
        directory = cls.load(users_file(settings))
        for name, (role, hashed) in _database_users(settings).items():
            if role not in ROLES:
                raise ConfigError(
                    f"数据库里的用户「{name}」角色是「{role}」，不认识；角色应为 {list(ROLES)}，"
                    "请用 campaign-canvas users add 重新设置"
                )
            directory._entries.setdefault(name, (role, hashed))  # type: ignore[arg-type]
        return directory

    @classmethod
    def load(cls, path: Path) -> UserDirectory:
        if not path.is_file():
            return cls(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"用户文件 {path} 格式错误：{exc}") from None
        entries: dict[str, tuple[Role, str]] = {}
        for name, entry in (data.get("users") or {}).items():
            if not re.match(NAME_PATTERN, name):  # the same rule as names added by command
                raise ConfigError(
                    f"用户文件 {path}：用户名「{printable(name)}」不合适："
                    "只用中文、字母、数字、. - _，最长 32 个字"
                )
            role = entry.get("role") if isinstance(entry, dict) else None
            hashed = entry.get("password_hash") if isinstance(entry, dict) else None
            if role not in ROLES:
                raise ConfigError(f"用户文件 {path}：用户「{name}」的角色应为 {list(ROLES)}")
            if not isinstance(hashed, str) or not hashed.startswith("$argon2"):
                raise ConfigError(
                    f"用户文件 {path}：用户「{name}」缺少 password_hash（argon2 哈希，"
                    "请用 campaign-canvas users add 生成，不要写明文密码）"
                )
            entries[name] = (role, hashed)
        return cls(path, entries)

    @property
    def local_mode(self) -> bool:
        """No users configured: the app signs everyone in as `local_user()`."""
        return not self._entries

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> User | None:
        entry = self._entries.get(name)
        return User(name=name, role=entry[0]) if entry else None

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when `password` matches their hash, else None (never says which part failed)."""
        role, hashed = self._entries.get(name, ("operator", _DUMMY_HASH))
        try:
            _hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return User(name=name, role=role) if name in self._entries else None

    def add(self, name: str, role: Role, password: str) -> User:
        """Add or replace a user and save the file (readable by its owner only)."""
        _check(name, role)
        self._entries[name] = (role, hash_password(password))
        self.save()
        return User(name=name, role=role)

    def save(self) -> None:
        data = {
            "users": {n: {"role": r, "password_hash": h} for n, (r, h) in self._entries.items()}
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)
