"""`campaign-canvas users add NAME --role reviewer` / `users list`: manage the users file."""

from __future__ import annotations

import argparse
import getpass
import sys

from pipelines.auth import ROLE_LABELS, ROLES, UserDirectory, add_database_user, users_file
from pipelines.errors import ConfigError
from pipelines.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "users", help="管理可登录的用户（用户文件，密码以 argon2 哈希保存）"
    )
    actions = parser.add_subparsers(dest="users_action", required=True, metavar="操作")
    add = actions.add_parser("add", help="新增或重设一个用户")
    add.add_argument("name", help="用户名")
    add.add_argument("--role", choices=ROLES, required=True, help="角色：operator/reviewer/admin")
    add.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读取密码（脚本用），否则交互输入"
    )
    add.add_argument("--database", action="store_true", help="存进数据库而不是用户文件")
    actions.add_parser("list", help="列出用户和角色")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    settings = load_settings()
    directory = UserDirectory.from_settings(settings)
    if args.users_action == "list":
        if directory.local_mode:
            print(
                f"没有配置用户（{users_file(settings)} 和数据库里都没有），应用以本地单人模式运行"
            )
        for name in directory.names():
            user = directory.get(name)
            assert user is not None
            print(f"{name}\t{user.role}\t{ROLE_LABELS[user.role]}")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再输入一次：") != password:
            raise ConfigError("两次输入的密码不一致")
    if args.database:
        user = add_database_user(settings, args.name, args.role, password)
        print(f"已保存用户 {user.label} 到数据库")
    else:
        user = directory.add(args.name, args.role, password)
        print(f"已保存用户 {user.label} 到 {directory.path}")
    return 0
