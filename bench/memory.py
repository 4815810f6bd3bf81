"""Peak memory of a week whose every product photo is as large as the canvas allows.

Each figure is the peak resident size of a fresh process that generates the week and renders
all its posters; the baseline is the same week without photos, measured in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines.poster.images import MAX_BYTES, MAX_PIXELS

EXAMPLE = Path(__file__).resolve().parent.parent / "assets/examples/fresh_groupbuy.toml"
TARGET_MB = 500
PROBE = """
import json, resource, sys
from pathlib import Path
from pipelines.canvas import load_canvas
from pipelines.poster import write_week_posters
from pipelines.tasks import generate_week

folder, photo = Path(sys.argv[1]), sys.argv[2]
canvas = load_canvas(sys.argv[3])
if photo:
    products = [p.model_copy(update={"image": photo}) for p in canvas.products]
    canvas = canvas.model_copy(update={"products": products})
week = generate_week(canvas, seed=0)
paths = write_week_posters(week, folder / "posters", base_dir=folder, workers=1)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"posters": len(paths), "peak_mb": peak}))
"""


def largest_photo(path: Path) -> tuple[int, int, int]:
    """A JPEG at the pixel limit (a real photo's texture, so it is not tiny on disk)."""
    from PIL import Image

    width = int((MAX_PIXELS * 4 / 3) ** 0.5)
    height = MAX_PIXELS // width
    image = Image.effect_noise((width // 8, height // 8), 64).convert("RGB")
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    image.save(path, quality=92)
    assert path.stat().st_size <= MAX_BYTES
    return width, height, path.stat().st_size


def _peak(folder: Path, photo: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder), photo, str(EXAMPLE)],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="cc-bench-memory-") as tmp:
        folder = Path(tmp)
        width, height, size = largest_photo(folder / "photo.jpg")
        baseline = _peak(folder, "")
        loaded = _peak(folder, "photo.jpg")
    ok = "✓" if loaded["peak_mb"] < TARGET_MB else "✗"
    return "\n".join(
        [
            "## 内存：最大允许的商品图",
            "",
            f"fresh_groupbuy 每个商品都用一张 {width}×{height}（{MAX_PIXELS / 1e6:.0f} MP 上限）、"
            f"{size / 1024 / 1024:.1f} MB 的 JPEG，生成一周并渲染全部 {loaded['posters']} 张海报；"
            "独立进程的峰值常驻内存。",
            "",
            "| 情况 | 峰值内存 (MB) | 相对基线 | 目标 |",
            "|---|---|---|---|",
            f"| 基线：同一周，不带商品图 | {baseline['peak_mb']:.0f} | 1.0× | — |",
            f"| 每个商品都是最大允许的图 | {loaded['peak_mb']:.0f} | "
            f"{loaded['peak_mb'] / baseline['peak_mb']:.1f}× | < {TARGET_MB} MB {ok} |",
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
