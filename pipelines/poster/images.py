"""Safe image loading for product images and uploads, and cover/contain fitting.

Only PNG, JPEG and WebP are opened. The byte size and the pixel count are checked before any
pixel is decoded (a 20000×20000 PNG is a few hundred KB but 1.6 GB in memory); truncated files
and other decoder errors become a Chinese `PosterError`. EXIF orientation is applied.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines.errors import PosterError

FORMATS = ("PNG", "JPEG", "WEBP")
MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # about 7300×5500: more than any phone photo, far below a bomb


def load_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    name: str = "图片",
    target: tuple[int, int] | None = None,
) -> Image.Image:
    """Decode an uploaded image (RGB or RGBA), refusing anything that is not a sane PNG/JPEG/WebP.

    `target` lets JPEG decode at a reduced scale when only a small version is needed.
    """
    if len(data) > max_bytes:
        raise PosterError(
            f"{name}太大：{len(data) / 1048576:.1f} MB，最大 {max_bytes / 1048576:.0f} MB，请压缩后再上传"
        )
    if not data:
        raise PosterError(f"{name}是空文件，请重新上传")
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on big images itself; our own limit below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise PosterError(f"{name}不是可识别的图片：只支持 PNG、JPEG、WebP 格式") from None
    except Image.DecompressionBombError:
        raise PosterError(f"{name}像素太多，疑似恶意图片，已拒绝") from None
    except (OSError, SyntaxError, ValueError) as exc:  # cut off inside the header
        raise PosterError(
            f"{name}文件已损坏或不完整（{type(exc).__name__}），请重新导出后上传"
        ) from None
    width, height = image.size
    if width * height > max_pixels:
        raise PosterError(
            f"{name}尺寸 {width}×{height} 太大（超过 {max_pixels // 1_000_000} 百万像素），"
            "已拒绝：请缩小到 6000×6000 以内"
        )
    if target is not None and image.format == "JPEG":
        side = max(target)  # EXIF may swap width and height, so ask for the larger side both ways
        image.draft("RGB", (side, side))
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise PosterError(
            f"{name}文件已损坏或不完整（{type(exc).__name__}），请重新导出后上传"
        ) from None
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert(
            "RGBA" if "transparency" in image.info or "A" in image.mode else "RGB"
        )
    return image


def load_image_file(path: Path, **kw: object) -> Image.Image:
    """`load_image` for a file on disk; a missing file is a Chinese error too."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PosterError(f"找不到商品图片 {path}：请检查画布里的图片路径") from None
    except OSError as exc:
        raise PosterError(f"商品图片 {path} 无法读取（{exc.strerror}）") from None
    return load_image(data, name=f"商品图片 {path.name} ", **kw)  # type: ignore[arg-type]


def fit_image(image: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """Cover (fill and crop, centred) or contain (fit inside, transparent margins) `size`."""
    if mode == "cover":
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    fitted = ImageOps.contain(image, size, Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    canvas.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return canvas
