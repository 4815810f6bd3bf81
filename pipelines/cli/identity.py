"""Who runs a command: the local admin in single-user mode, otherwise a named user or --admin.

Permissions live in the library (the store checks them for every caller); this only decides
which `User` the command acts as, the same way the app's sign-in does.
"""

from __future__ import annotations

import argparse
import getpass
import os

from pipelines.auth import User, UserDirectory, local_user
from pipelines.errors import ConfigError
from pipelines.settings import Settings

CLI_ADMIN = User(name="命令行管理员", role="admin")


def add_identity(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="名字",
        help="已配置用户时：以这位用户的身份运行（询问密码，或读 CC_PASSWORD）",
    )
    parser.add_argument(
        "--admin", action="store_true", help="已配置用户时：以管理员身份运行（记入审计日志）"
    )


def cli_user(args: argparse.Namespace, settings: Settings) -> User:
    directory = UserDirectory.from_settings(settings)
    if directory.local_mode:
        return local_user()
    if args.admin:
        return CLI_ADMIN
    if args.user:
        password = os.environ.get("CC_PASSWORD") or getpass.getpass(f"{args.user} 的密码：")
        user = directory.authenticate(args.user, password)
        if user is None:
            raise ConfigError("用户名或密码不对")
        return user
    raise ConfigError(
        "已经配置了用户（团队模式）：请用 --user 名字 以自己的身份运行，或加 --admin 以管理员身份运行"
    )
