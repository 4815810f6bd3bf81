"""The SQLite database is never silently lost: checked before it is opened, backed up and
restored with SQLite's online backup API (`sqlite3.Connection.backup`).

A brand-new install has no database file at all; a file that is there but empty, not SQLite,
damaged or read-only is refused with a Chinese message that points at the newest backup —
never "repaired" by creating empty tables in it. PostgreSQL URLs are left alone here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import stat
import time
import uuid
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from pipelines.errors import StoreError
from pipelines.settings import Settings
from pipelines.store.schema import SCHEMA_VERSION

BACKUP_PREFIX = "campaign_canvas-"
SIDE_FILES = ("-wal", "-shm", "-journal")


class DatabaseUnusable(StoreError):
    """The database file is there but cannot be used as it is (empty, not SQLite, damaged)."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL; None for in-memory SQLite, URI-style names and other engines."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") or url.database.startswith("file:"):
        return None
    return Path(url.database)


def backups_dir(settings: Settings) -> Path:
    return settings.cc_data_dir / "backups"


def newest_backup(settings: Settings) -> Path | None:
    folder = backups_dir(settings)
    if not folder.is_dir():
        return None
    found = [p for p in folder.glob(f"{BACKUP_PREFIX}*.db") if p.is_file()]
    return max(found, key=lambda p: (p.stat().st_mtime, p.name), default=None)


def prepare_sqlite(settings: Settings) -> None:
    """Before the engine is created: a missing database is created (folder 0700, file 0600);
    one that is there must be a healthy, writable SQLite database, or DatabaseUnusable."""
    path = sqlite_path(settings.database_url)
    if path is None:
        return
    if not path.exists() and not path.is_symlink():
        _create_empty(path)
        return
    # quick_check reads the whole file: once per file per process (the app opens the store on
    # every rerun); the cheap checks (size, permissions, SQLite's header) run every time.
    stat_ = path.stat()
    checked = (str(path.resolve()), stat_.st_dev, stat_.st_ino)
    problem = problem_of(path, thorough=checked not in _CHECKED)
    if problem:
        raise DatabaseUnusable(unusable_message(settings, path, problem))
    _CHECKED.add(checked)


_CHECKED: set[tuple[str, int, int]] = set()
# SQLITE_CORRUPT and SQLITE_NOTADB are verdicts on the file; anything else (busy, locked, a
# short read while another process checkpoints) is not.
_CORRUPT, _NOTADB = 11, 26


def problem_of(path: Path, *, writable: bool = True, thorough: bool = True) -> str | None:
    """Why the file at `path` is not a usable database, in Chinese; None when it is."""
    if path.is_dir():
        return "是一个文件夹，不是数据库文件"
    if not path.is_file():
        return "不是普通文件"
    mode = path.stat().st_mode
    if writable and (not mode & stat.S_IWUSR or not os.access(path, os.W_OK)):
        return "是只读的，程序无法写入（请检查文件权限）"
    if writable and not os.access(path.parent, os.W_OK | os.X_OK):
        return "所在的文件夹不可写，程序无法写入"
    size = path.stat().st_size
    if size == 0:
        return (
            "是空文件（0 字节）：新安装时这里根本没有文件，所以它不是新数据库，原来的数据可能已丢失"
        )
    # Only through SQLite, never a file handle of our own: closing one would drop the locks
    # this process's SQLite connections hold on the file (fcntl locks are per process).
    return _sqlite_problem(path, "quick_check" if thorough else "schema_version", not writable)


def _sqlite_problem(path: Path, pragma: str, readonly: bool) -> str | None:
    """What SQLite says running `PRAGMA pragma`: a problem, or None (also when it could not give
    a verdict after a few tries — the engine reports such errors itself)."""
    for attempt in range(3):
        try:
            with contextlib.closing(_connect(path, readonly=readonly)) as conn:
                rows = conn.execute(f"PRAGMA {pragma}").fetchall()
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code == _NOTADB:
                return "不是 SQLite 数据库（可能被别的文件覆盖了）"
            if code == _CORRUPT:
                return f"已损坏（SQLite 报告：{exc}）"
            time.sleep(0.1 * (attempt + 1))
            continue
        if pragma.endswith("_check") and [tuple(r) for r in rows] != [("ok",)]:
            return f"已损坏（完整性检查：{'；'.join(str(r[0]) for r in rows[:3])}）"
        return None
    return None


def unusable_message(settings: Settings, path: Path, problem: str) -> str:
    backup = newest_backup(settings)
    if backup is None:
        pointer = (
            f"没有找到备份（备份放在 {backups_dir(settings)}）。请先把这个文件复制保存好；"
            "确认不再需要它之后把它移走，程序才会新建一个空数据库。"
        )
    else:
        taken = dt.datetime.fromtimestamp(backup.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        pointer = (
            f"最近的备份：{backup}（{taken}）。恢复：campaign-canvas restore {backup} --yes"
            "（当前文件会先改名保留，不会被删除）"
        )
    return f"数据库文件 {path} {problem}。为了不丢数据，程序没有在里面新建表。\n{pointer}"


# --- backup and restore ---------------------------------------------------------------------


def backup(settings: Settings) -> Path:
    """Copy the live database into CC_DATA_DIR/backups/ under a timestamped name; the copy is
    a self-contained file (no -wal beside it) checked before it gets its final name."""
    path = require_sqlite(settings, "备份")
    if not path.exists():
        raise StoreError(f"还没有数据库文件 {path}，无需备份")
    problem = problem_of(path, writable=False)
    if problem:
        raise DatabaseUnusable(unusable_message(settings, path, problem))
    folder = backups_dir(settings)
    _make_private_dir(folder)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{BACKUP_PREFIX}{stamp}.db"
    for n in range(1, 100):
        if not target.exists():
            break
        target = folder / f"{BACKUP_PREFIX}{stamp}-{n}.db"
    partial = folder / f".partial-{uuid.uuid4().hex}.db"
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        _copy(path, partial, self_contained=True)
        os.replace(partial, target)
    finally:
        _remove(partial)
    return target


def check_backup(path: Path) -> int:
    """A backup fit to restore: integrity_check passes and it is a store of a known schema
    version; returns that version."""
    problem = problem_of(path, writable=False, thorough=False)
    if problem:
        raise StoreError(f"备份文件 {path} {problem}，不能用来恢复")
    problem = _sqlite_problem(path, "integrity_check", readonly=True)
    if problem:
        raise StoreError(f"备份文件 {path} {problem}，不能用来恢复")
    try:
        with contextlib.closing(_connect(path, readonly=True)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        row = None
    version = int(row[0]) if row and str(row[0]).isdigit() else 0
    if not 1 <= version <= SCHEMA_VERSION:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"备份文件 {path} 的结构版本是 {version}，比这个程序认识的 {SCHEMA_VERSION} 新；"
                "请先升级程序再恢复"
            )
        raise StoreError(f"备份文件 {path} 不是本程序的数据库（没有结构版本），不能用来恢复")
    return version


def restore(settings: Settings, source: Path, *, overwrite: bool) -> tuple[Path, Path | None]:
    """Put a backup in place of the database; returns (database, where the old one went).

    A healthy current database is first backed up itself and then overwritten through the
    backup API (so running readers see the restored data); a damaged one is renamed aside,
    with its -wal/-shm files, never deleted.
    """
    path = require_sqlite(settings, "恢复")
    check_backup(source)
    if source.resolve() == path.resolve():
        raise StoreError(f"{source} 就是当前的数据库文件，不能用它恢复它自己")
    present = path.exists() or path.is_symlink()
    if present and not overwrite:
        raise StoreError(
            f"恢复会覆盖现有的数据库 {path}；确认要覆盖请加 --yes（原来的数据会先备份或改名保留）"
        )
    kept: Path | None = None
    if present and problem_of(path) is None:
        kept = backup(settings)
        _copy(source, path)
        return path, kept
    if present:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = path.with_name(f"{path.name}.damaged-{stamp}-{uuid.uuid4().hex[:6]}")
        os.rename(path, kept)
        for suffix in SIDE_FILES:  # a stale -wal applied to the restored file would corrupt it
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.rename(side, kept.with_name(kept.name + suffix))
    _create_empty(path)
    _copy(source, path)
    return path, kept


def postgres_guidance(database_url: str, action: str) -> str:
    """How to back up or restore a PostgreSQL database, with the password left out."""
    url = make_url(database_url)
    bare = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    target = bare.render_as_string(hide_password=False)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    lines = [
        f"数据库是 PostgreSQL，{action}请用 PostgreSQL 自带的工具（密码用 PGPASSWORD 或 ~/.pgpass 提供）：",
        f"  备份：pg_dump --format=custom --file=campaign_canvas-{stamp}.dump '{target}'",
        f"  恢复：pg_restore --clean --if-exists --no-owner --dbname='{target}' 备份文件.dump",
        "恢复前请先停止应用和 worker；恢复后运行 campaign-canvas migrate。",
    ]
    return "\n".join(lines)


def require_sqlite(settings: Settings, action: str) -> Path:
    path = sqlite_path(settings.database_url)
    if path is None:
        if make_url(settings.database_url).get_backend_name() == "postgresql":
            raise StoreError(postgres_guidance(settings.database_url, action))
        raise StoreError(f"只有 SQLite 数据库文件可以用 campaign-canvas {action}")
    return path


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    # mode=rw / ro: never creates a file that is not there.
    mode = "ro" if readonly else "rw"
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=10)


def _copy(source: Path, target: Path, *, self_contained: bool = False) -> None:
    """SQLite's online backup of `source` into the existing file `target`, checked after."""
    with (
        contextlib.closing(_connect(source, readonly=True)) as src,
        contextlib.closing(_connect(target)) as dst,
    ):
        src.backup(dst)
        if self_contained:
            dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
        rows = dst.execute("PRAGMA quick_check").fetchall()
    if [tuple(r) for r in rows] != [("ok",)]:
        raise StoreError(f"复制到 {target} 后检查没有通过，请检查磁盘空间和权限")


def _create_empty(path: Path) -> None:
    """A new, valid, empty SQLite file at `path` (0600), appearing all at once: a file is
    written aside and linked into place, so no process ever sees a zero-byte database."""
    _make_private_dir(path.parent)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        with contextlib.closing(sqlite3.connect(partial)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # writes the header: the file is not empty
        try:
            os.link(partial, path)
        except FileExistsError:  # another process created it first
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.rename(partial, path)
    finally:
        _remove(partial)


def _make_private_dir(folder: Path) -> None:
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)


def _remove(path: Path) -> None:
    for name in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()
