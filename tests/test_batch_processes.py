"""The local batch as real processes: killed (SIGKILL, SIGTERM) it leaves no worker behind and a
re-run finishes the week once per canvas; two batches at once on one store and one folder share
the work. `campaign-canvas batch` runs as a subprocess with the template engine; nothing mocked."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.settings import load_settings
from pipelines.store import open_store

pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "examples" / "fresh_groupbuy.toml"
CLI = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
CANVASES = 12


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    text = EXAMPLE.read_text("utf-8")
    for index in range(CANVASES):
        named = text.replace('name = "邻里鲜周末团"', f'name = "门店{index}周末团"')
        (folder / f"{index:02d}.toml").write_text(named, "utf-8")
    return folder


def processes_with(marker: str) -> list[int]:
    """Live processes (not this one) whose command line holds `marker`: the batch and its
    workers, which carry the parent's command line (zombies have none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture
def leftovers(tmp_path: Path):
    """Whatever this test's batches left running is ended afterwards (by pid), pass or fail."""
    yield
    for pid in processes_with(str(tmp_path)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def start_batch(inputs: Path, out: Path, concurrency: int = 2) -> subprocess.Popen:
    argv = ["batch", str(inputs), "--out", str(out), "--concurrency", str(concurrency)]
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def lines_of(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def wait_for_a_done_canvas(lines: queue.Queue, timeout: float = 20) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if "✓" in line:
            return seen
    raise AssertionError(f"no canvas finished in {timeout} s: {seen}")


def rest_of(lines: queue.Queue) -> str:
    text = []
    while (line := lines.get(timeout=30)) is not None:
        text.append(line)
    return "".join(text)


def survivors_after(marker: str, seconds: float = 5) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def assert_one_campaign_per_canvas(out: Path) -> None:
    store = open_store(load_settings())
    try:
        names = [campaign.name for campaign in store.campaigns()]
    finally:
        store.close()
    assert sorted(names) == sorted(f"门店{i}周末团" for i in range(CANVASES))
    folders = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert not [p.name for p in folders if p.name.endswith(".part")]
    assert len(folders) == CANVASES and all((p / "package.json").is_file() for p in folders)


def done_count(stdout: str) -> int:
    match = re.search(r"完成 (\d+) 个，跳过 (\d+) 个.*失败 (\d+) 个", stdout)
    assert match, stdout
    return int(match[1])


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_killed_batch_leaves_no_worker_and_the_rerun_stores_each_canvas_once(
    tmp_path, inputs, leftovers, sig
):
    out = tmp_path / "out"
    batch = start_batch(inputs, out)
    stderr = lines_of(batch.stderr)
    wait_for_a_done_canvas(stderr)
    batch.send_signal(sig)
    code = batch.wait(timeout=25)  # SIGTERM: the running canvases finish first
    assert survivors_after(str(tmp_path)) == []  # (a survivor would also hold stderr open)
    said = rest_of(stderr)
    if sig == signal.SIGTERM:
        assert code == 143, said
        assert "收到结束信号" in said and "再次运行同一命令" in said
    else:
        assert code == -signal.SIGKILL

    rerun = subprocess.run(
        [sys.executable, "-c", CLI, "batch", str(inputs), "--out", str(out), "--concurrency", "2"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=40,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "失败 0 个" in rerun.stdout
    assert_one_campaign_per_canvas(out)


def test_two_batches_at_once_on_one_store_and_folder_share_the_work(tmp_path, inputs, leftovers):
    out = tmp_path / "out"
    first, second = start_batch(inputs, out), start_batch(inputs, out)
    results = [batch.communicate(timeout=40) for batch in (first, second)]
    for batch, (stdout, stderr) in zip((first, second), results, strict=True):
        assert batch.returncode == 0, stdout + stderr
        assert "失败 0 个" in stdout
    # Every canvas generated by exactly one of the two; the other skipped it.
    assert sum(done_count(stdout) for stdout, _ in results) == CANVASES
    assert_one_campaign_per_canvas(out)
