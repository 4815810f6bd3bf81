"""The database is never silently lost: a file that is there but empty, not SQLite, damaged,
a folder or read-only is refused with a Chinese message naming it and the newest backup;
backups and restores go through SQLite's backup API and are checked; files are owner-only."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from week_factory import make_week, with_live

from pipelines.auth import local_user
from pipelines.cli import main
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.store.health import backup, newest_backup, prepare_sqlite
from pipelines.store.schema import SCHEMA_VERSION


def database(sandbox: Path) -> Path:
    return sandbox / "data" / "campaign_canvas.db"


def real_database(path: Path) -> None:
    """A real store (every table, no campaign) at `path`."""
    store = open_store(load_settings(env={}, cc_database_url=f"sqlite:///{path}"))
    store.close()


def zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def garbage(path: Path) -> None:
    path.write_bytes(b"\x89PNG not a database at all \x00\xff" * 500)


def truncated(path: Path) -> None:
    """Half of a real database, put in its place (a new file, as a copy cut short would be)."""
    whole = path.with_name("whole.db")
    real_database(whole)
    data = whole.read_bytes()
    half = path.with_name("half.db")
    half.write_bytes(data[: len(data) // 2])
    half.replace(path)


def folder(path: Path) -> None:
    path.mkdir()


def read_only(path: Path) -> None:
    real_database(path)
    path.chmod(0o444)


BAD_FILES: list[tuple[Callable[[Path], None], str]] = [
    (zero_bytes, "空文件（0 字节）"),
    (garbage, "不是 SQLite 数据库"),
    (truncated, "已损坏"),
    (folder, "是一个文件夹"),
    (read_only, "只读"),
]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def store_two_campaigns(canvas) -> list[str]:
    store = open_store(load_settings())
    try:
        return sorted(
            store.save_package(make_week(c), user=local_user()) for c in (canvas, with_live(canvas))
        )
    finally:
        store.close()


def listed_ids(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run_cli(capsys, "campaigns")
    assert code == 0, err
    return sorted(line.split("\t")[0] for line in out.splitlines() if "\t" in line)


@pytest.mark.parametrize("with_backup", [False, True], ids=["no-backup", "with-backup"])
@pytest.mark.parametrize(("spoil", "problem"), BAD_FILES, ids=[f.__name__ for f, _ in BAD_FILES])
def test_a_bad_database_file_is_refused_naming_it_and_the_newest_backup(
    sandbox, capsys, spoil, problem, with_backup
):
    path = database(sandbox)
    newest = None
    if with_backup:
        real_database(path)
        backup(load_settings())
        newest = backup(load_settings())
        for side in path.parent.glob(f"{path.name}*"):
            side.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    spoil(path)
    before = path.read_bytes() if path.is_file() else None

    code, _, err = run_cli(capsys, "campaigns")

    assert code == 2
    assert err.startswith("错误：数据库文件 ") and str(path) in err and problem in err
    assert "Traceback" not in err and "sqlalchemy" not in err.lower()
    if newest is None:
        assert "没有找到备份" in err
    else:
        assert f"最近的备份：{newest}" in err and f"campaign-canvas restore {newest} --yes" in err
    if before is not None:  # refused means untouched: no tables were created in it
        assert path.read_bytes() == before


def test_no_traceback_reaches_the_terminal(sandbox):
    path = database(sandbox)
    path.parent.mkdir(parents=True)
    garbage(path)
    script = Path(sys.executable).parent / "campaign-canvas"
    done = subprocess.run([str(script), "campaigns"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "不是 SQLite 数据库" in done.stderr


def test_a_brand_new_install_has_no_file_and_gets_a_new_database(sandbox, capsys):
    code, out, _ = run_cli(capsys, "campaigns")
    assert code == 0 and "还没有保存的活动" in out
    assert database(sandbox).stat().st_size > 0


def test_the_data_folder_database_and_backups_are_readable_by_the_owner_only(sandbox, capsys):
    old = os.umask(0o022)
    try:
        assert run_cli(capsys, "campaigns")[0] == 0
        code, out, _ = run_cli(capsys, "backup")
    finally:
        os.umask(old)
    assert code == 0
    copy = newest_backup(load_settings())
    assert copy is not None and str(copy) in out
    path = database(sandbox)
    for item, mode in [
        (path.parent, 0o700),
        (path, 0o600),
        (copy.parent, 0o700),
        (copy, 0o600),
    ]:
        assert stat.S_IMODE(os.stat(item).st_mode) == mode, item


def test_backup_corrupt_restore_keeps_every_campaign(sandbox, capsys, canvas):
    campaigns = store_two_campaigns(canvas)
    assert listed_ids(capsys) == campaigns

    code, _, _ = run_cli(capsys, "backup")
    assert code == 0
    copy = newest_backup(load_settings())
    assert copy is not None and copy.parent == sandbox / "data" / "backups"
    assert copy.name.startswith("campaign_canvas-") and copy.suffix == ".db"
    assert not Path(f"{copy}-wal").exists()  # a self-contained file

    path = database(sandbox)
    garbage(path)
    code, _, err = run_cli(capsys, "campaigns")
    assert code == 2 and str(copy) in err

    code, _, err = run_cli(capsys, "restore", str(copy))
    assert code == 2 and "--yes" in err
    assert b"not a database" in path.read_bytes()  # refused: untouched

    code, _, _ = run_cli(capsys, "restore", str(copy), "--yes")
    assert code == 0
    assert listed_ids(capsys) == campaigns
    kept = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert any(b"not a database" in p.read_bytes() for p in kept)  # renamed aside, not deleted
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_restoring_over_a_healthy_database_backs_it_up_first(sandbox, capsys, canvas):
    store_two_campaigns(canvas)
    run_cli(capsys, "backup")
    copy = newest_backup(load_settings())
    store = open_store(load_settings())  # a running app keeps its connection open
    try:
        later = store.save_package(make_week(with_live(canvas, day=3)), user=local_user())
        code, out, _ = run_cli(capsys, "restore", str(copy), "--yes")
        assert code == 0 and "原来的数据库已保留在" in out
        assert later not in {c.id for c in store.campaigns()}  # the open store sees the restore
    finally:
        store.close()
    safety = newest_backup(load_settings())
    assert safety != copy
    with sqlite3.connect(safety) as conn:
        assert conn.execute("SELECT count(*) FROM campaigns WHERE id = ?", (later,)).fetchone()[0]


def make_foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (x)")


def make_newer(path: Path) -> None:
    real_database(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
        )


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (zero_bytes, "空文件"),
        (garbage, "不是 SQLite 数据库"),
        (truncated, "已损坏"),
        (make_foreign, "不是本程序的数据库"),
        (make_newer, "比这个程序认识的"),
    ],
    ids=["zero-bytes", "garbage", "truncated", "not-a-store", "newer-schema"],
)
def test_restore_checks_the_backup_first_and_leaves_the_database_alone(
    sandbox, capsys, canvas, spoil, problem
):
    campaigns = store_two_campaigns(canvas)
    bad = sandbox / "bad.db"
    spoil(bad)
    code, _, err = run_cli(capsys, "restore", str(bad), "--yes")
    assert code == 2 and problem in err and str(bad) in err
    assert listed_ids(capsys) == campaigns


def test_restore_without_a_backup_says_so(sandbox, capsys):
    code, _, err = run_cli(capsys, "restore", "--yes")
    assert code == 2 and "没有找到备份" in err


@pytest.mark.parametrize(("command", "tool"), [("backup", "pg_dump"), ("restore", "pg_restore")])
def test_postgresql_gets_pg_dump_and_pg_restore_guidance_without_the_password(
    monkeypatch, capsys, command, tool
):
    monkeypatch.setenv("CC_DATABASE_URL", "postgresql+psycopg://cc:s3cret@db.example/cc")
    code, out, err = run_cli(capsys, command)
    assert code == 2
    assert "PostgreSQL" in err and tool in err and "postgresql://cc@db.example/cc" in err
    assert "s3cret" not in out + err and "Traceback" not in err


def test_the_checks_leave_postgresql_and_memory_urls_alone(sandbox):
    # No connection is attempted (the host does not exist) and nothing is created on disk.
    prepare_sqlite(load_settings(env={}, cc_database_url="postgresql+psycopg://x@nowhere/db"))
    prepare_sqlite(load_settings(env={}, cc_database_url="sqlite://"))
    assert not (sandbox / "data").exists()


def test_an_io_error_while_another_process_writes_is_not_called_damage(sandbox, monkeypatch):
    # Seen in the app: a short read (SQLITE_IOERR_SHORT_READ) during quick_check while another
    # process checkpointed. Only SQLITE_CORRUPT / SQLITE_NOTADB mean the file is damaged.
    from pipelines.store import health

    path = database(sandbox)
    path.parent.mkdir(parents=True)
    real_database(sandbox / "whole.db")
    (sandbox / "whole.db").replace(path)

    def short_read(*args, **kwargs):
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = 522
        raise error

    monkeypatch.setattr(health, "_connect", short_read)
    monkeypatch.setattr(health.time, "sleep", lambda seconds: None)
    prepare_sqlite(load_settings())  # no verdict, no refusal


def test_the_check_never_opens_the_database_file_itself(sandbox, monkeypatch):
    # Closing any handle of a file drops every fcntl lock this process's SQLite connections hold
    # on it: the app's open store then read a database another process was checkpointing (the
    # browser tests saw "disk I/O error"). Only SQLite may touch the file.
    import builtins
    import io

    path = database(sandbox)
    real_database(path)
    for name, module in [("open", builtins), ("open", io), ("open", os)]:
        original = getattr(module, name)

        def guarded(file, *args, _original=original, **kwargs):
            assert Path(os.fsdecode(file)).name != path.name, "the database file was opened"
            return _original(file, *args, **kwargs)

        monkeypatch.setattr(module, name, guarded)
    prepare_sqlite(load_settings())
