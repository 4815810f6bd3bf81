"""`campaign-canvas worker [--processes N] [--threads T]`: run the batch queue's workers here.

Any machine with the same settings (CC_BROKER_URL, CC_DATABASE_URL, the engine and its key) can
run workers; they take canvases that `campaign-canvas batch --queue` enqueued. SIGTERM or Ctrl-C
lets the canvases in hand finish, then stops. With `--processes N` above 1 this process starts N
worker processes and restarts one that dies.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

from pipelines.settings import load_settings
from pipelines.textsafe import for_terminal

MARKS = {"done": "✓", "stored": "↺", "failed": "✗", "retry": "…", "busy": "…"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker", help="运行批量队列的工作进程（任何机器，设置相同的 CC_BROKER_URL 和数据库）"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="工作进程数（默认 CPU 核数；模板引擎吃 CPU，用进程并行）",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="每个进程同时生成的画布数（大模型引擎可调大）"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.batch import queue

    settings = load_settings()
    broker = queue.make_broker(settings)  # a missing or unreachable broker: said here, once
    queue.check_broker(broker, settings)
    broker.close()
    processes, threads = max(1, args.processes), max(1, args.threads)
    if processes > 1:
        return _supervise(processes, threads)

    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    queue.on_job(_print)
    print(f"工作进程 {os.getpid()} 已启动（{threads} 个线程），等待画布……", flush=True)
    try:
        queue.run_worker(settings, threads=threads, stop=stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"工作进程 {os.getpid()} 已停止。", flush=True)
    return 0


def _print(outcome: str, job, detail: str) -> None:  # type: ignore[no-untyped-def]
    what = {"done": "完成", "stored": "已在库中", "failed": "失败", "retry": "稍后重试",
            "busy": "他处生成中"}[outcome]  # fmt: skip
    line = f"{MARKS[outcome]} {what} {job.source}：{detail}"
    print(for_terminal(line), flush=True)


def _supervise(processes: int, threads: int) -> int:
    """N single-process workers as children; a child that dies is started again."""
    command = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", command, "worker", "--processes", "1"]
    argv += ["--threads", str(threads)]
    stopping = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    children = [subprocess.Popen(argv) for _ in range(processes)]
    code = 0
    try:
        while not stopping.wait(0.5):
            for index, child in enumerate(children):
                if child.poll() == 2:  # its settings are wrong: starting it again cannot help
                    print(f"工作进程 {child.pid} 因配置错误退出，全部停止", flush=True)
                    stopping.set()
                    code = 2
                elif child.poll() is not None:
                    print(
                        f"工作进程 {child.pid} 已退出（{child.returncode}），重新启动", flush=True
                    )
                    time.sleep(1)
                    children[index] = subprocess.Popen(argv)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            child.wait()
    return code
