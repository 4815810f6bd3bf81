"""The domain playbook as data: one TOML file per section, validated into a typed `Playbook`.

    from pipelines.playbook import load_playbook
    playbook = load_playbook()          # cached; validated on first load
    playbook.calendar.daily_slots       # the daily rhythm
    playbook.livestream.segment_steps   # 单品七步

Sections: calendar (activity types, content forms, daily slots, 朋友圈 balance, hooks, launch
timeline), selling (FABE, selling-point methods), posters (kinds, sizes), livestream (acts,
segment steps, contingencies, review metrics), group_kit and phrases (the template engine's
phrase banks) and honesty (what copy may claim only when the canvas names it). `compliance.toml` lives here too but is read by the compliance checker.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from pathlib import Path

from pydantic import ValidationError

from pipelines.errors import PlaybookError
from pipelines.playbook.models import Playbook

PLAYBOOK_DIR = Path(__file__).resolve().parent
SECTIONS = (
    "calendar", "selling", "posters", "livestream", "group_kit", "phrases", "honesty", "tones"
)  # fmt: skip
TRADES_DIR = "trades"  # one file per trade pack

_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段（拼写错误，或放错了表）",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "int_type": "应为整数",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "too_short": "条目太少",
}

__all__ = [
    "PLAYBOOK_DIR",
    "SECTIONS",
    "Playbook",
    "PlaybookError",
    "load_playbook",
    "playbook_digest",
    "read_playbook",
]


def read_playbook(directory: Path = PLAYBOOK_DIR) -> Playbook:
    """Read and validate the playbook files in `directory` (uncached)."""
    data = {}
    for section in SECTIONS:
        path = directory / f"{section}.toml"
        try:
            data[section] = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlaybookError(f"玩法库缺少数据文件 {path.name}，请检查安装是否完整") from None
        except tomllib.TOMLDecodeError as exc:
            raise PlaybookError(f"玩法库文件 {path.name} 的 TOML 格式错误：{exc}") from None
    data["trades"] = [_read_toml(path) for path in sorted((directory / TRADES_DIR).glob("*.toml"))]
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"])
            file = f"{error['loc'][0]}.toml" if error["loc"] else "跨文件检查"
            if error["loc"][:1] == ("trades",) and len(error["loc"]) > 1:
                file = f"trades/ 第 {int(error['loc'][1]) + 1} 个文件"
            message = _MESSAGES.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
            lines.append(f"- {file}（{where}）：{message}")
        raise PlaybookError("玩法库数据有误：\n" + "\n".join(lines)) from None


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(f"玩法库文件 {path.name} 的 TOML 格式错误：{exc}") from None


@functools.cache
def playbook_digest(directory: Path = PLAYBOOK_DIR) -> str:
    """A short content hash of every playbook file: a cached answer written with other phrase
    data is never served again."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.toml")):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@functools.cache
def load_playbook() -> Playbook:
    """The packaged playbook, read once per process."""
    return read_playbook()
