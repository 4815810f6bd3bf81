"""`campaign-canvas week` progress on stderr: per-item counts and time left; plain lines when
stderr is not a terminal, one redrawn line when it is."""

from __future__ import annotations

import io
import re

import pytest

from pipelines.cli import main
from pipelines.cli import week as week_cli
from pipelines.engines.base import TaskKind
from pipelines.errors import EngineError
from pipelines.tasks import TaskEvent
from tests.conftest import EXAMPLES


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The progress's clock: the test moves it by appending to the list."""
    now = [100.0]
    monkeypatch.setattr(week_cli.time, "monotonic", lambda: now[-1])
    return now


def events() -> list[TaskEvent]:
    return [
        TaskEvent("fabe-p1", TaskKind.FABE, "started", planned=4),
        TaskEvent("fabe-p1", TaskKind.FABE, "done", planned=4),
        TaskEvent("fabe-p2", TaskKind.FABE, "cached", planned=4),
        TaskEvent("post-d1-01", TaskKind.POST, "failed", "模型\x1b[31m超时", planned=4),
        TaskEvent("group-kit", TaskKind.GROUP_KIT, "done", planned=4),
    ]


def run(progress: week_cli.Progress, clock: list[float]) -> None:
    for event in events():
        clock.append(clock[-1] + 2.0)  # each item takes two seconds
        progress(event)
    progress.close()


def test_not_a_terminal_gets_one_plain_line_per_settled_item(clock) -> None:
    stream = io.StringIO()
    progress = week_cli.Progress(verbose=False, secrets=[], stream=stream)
    run(progress, clock)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4  # "started" is not an item settling
    assert lines[0] == f"  [{'█' * 5}{'░' * 15}] 1/4 约剩 12 秒 ✓ fabe-p1"  # 4 s for 1, 3 to go
    assert lines[1].endswith("] 2/4 约剩 6 秒 ↺ fabe-p2")
    assert lines[2].endswith("] 3/4 约剩 3 秒 ✗ post-d1-01：模型超时")
    assert lines[3] == f"  [{'█' * 20}] 4/4 ✓ group-kit"
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_a_terminal_gets_one_redrawn_line_and_failures_on_their_own(clock) -> None:
    stream = Terminal()
    progress = week_cli.Progress(verbose=False, secrets=[], stream=stream)
    run(progress, clock)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("4/4 ✓ group-kit\x1b[K\n")
    assert "\n  ✗ post-d1-01：模型超时\n" in text  # kept above the redrawn line
    assert "\x1b[31m" not in text  # the message's escape is removed; only our line erase stays
    assert set(re.findall(r"\x1b\[\w", text)) == {"\x1b[K"}


def test_close_without_a_drawn_line_writes_nothing() -> None:
    stream = Terminal()
    week_cli.Progress(verbose=False, secrets=[], stream=stream).close()
    assert stream.getvalue() == ""


def test_the_week_command_reports_every_item_with_counts_and_time_left(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["week", str(EXAMPLES[0]), "--out", str(out), "--no-posters"]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("  [")]
    counts = [tuple(map(int, re.search(r"\] (\d+)/(\d+)", line).groups())) for line in lines]
    assert [done for done, _ in counts] == list(range(1, len(lines) + 1))
    assert counts[-1][0] == counts[-1][1] and "约剩" not in lines[-1]
    assert all("约剩" in line for line, (d, t) in zip(lines, counts, strict=True) if d < t)
    assert any(line.endswith("✓ calendar") for line in lines)
    assert "\r" not in err and "\x1b" not in err  # captured stderr is not a terminal


def test_the_week_command_lists_a_failed_item_in_its_progress(
    tmp_path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.engines import factory
    from pipelines.engines.fake import FakeEngine
    from pipelines.engines.template import TemplateEngine

    fake = FakeEngine(fallback=TemplateEngine(seed=0))
    fake.enqueue(TaskKind.GROUP_KIT, EngineError("模型服务超时，请稍后再试"))
    monkeypatch.setattr(factory, "make_engine", lambda *a, **k: fake)
    assert main(["week", str(EXAMPLES[0]), "--out", str(tmp_path), "--no-posters"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"\] \d+/\d+( 约剩 \d+ 秒)? ✗ group-kit：模型服务超时", err), err
