"""`make bench`: run every area's benchmark and write BENCHMARKS.md.

Each module in AREAS exposes `run() -> str`, a Markdown section whose figures are ratios against a
baseline measured in the same run. `python -m bench week posters` runs only those areas.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

AREAS = [
    "week",
    "template",
    "content",
    "compliance",
    "posters",
    "memory",
    "llm",
    "store",
    "queue",
    "browser",
]
OUT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()} "
        f"on {platform.system()} {platform.release()}"
    )


def main(argv: list[str]) -> int:
    areas = argv or AREAS
    sections = []
    for name in areas:
        started = time.perf_counter()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            sections.append(module.run().rstrip())
        except Exception:  # a broken bench must not hide the others' figures
            sections.append(f"## {name}\n\n运行失败：\n\n```\n{traceback.format_exc()}```")
        print(f"bench: {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    header = (
        "# Benchmarks\n\n"
        f"Measured by `make bench` on {dt.date.today():%Y-%m-%d}.  \n"
        f"Machine: {machine()}.\n\n"
        "Every figure is compared with a baseline measured in the same run; ratios, not absolute "
        "times, are what carry over between machines.\n"
    )
    OUT.write_text(header + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
