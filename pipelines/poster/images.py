"""Safe image loading for product images, logos and uploads, and cover/contain fitting.

A canvas names its images by path, so a path is confined before anything is opened: it must name
a regular file inside the canvas file's folder or the app's image store (`CC_DATA_DIR/images`),
with no `..` and no absolute path outside the store; a missing file and a refused one get the
same message, so nothing is learnt about files elsewhere. The size is checked on the opened file
before reading, and reading stops at the limit.

Only PNG, JPEG and WebP are decoded. The byte size and the pixel count are checked before any
pixel is decoded (a 20000×20000 PNG is a few hundred KB but 1.6 GB in memory); truncated files
and other decoder errors become a Chinese `PosterError`. EXIF orientation is applied, and
16-bit greyscale is scaled to 8 bits (converted directly it would clip to white).
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path, PurePath

from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines.errors import PosterError
from pipelines.settings import load_settings
from pipelines.textcheck import printable

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
        raise PosterError(_too_big(name, len(data), max_bytes))
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
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert(
            "RGBA" if "transparency" in image.info or "A" in image.mode else "RGB"
        )
    return image


def image_store() -> Path:
    """Where the app keeps uploaded images (`CC_DATA_DIR/images`)."""
    return load_settings().cc_data_dir / "images"


def find_image(value: str, *, base_dir: Path | None, what: str) -> Path:
    """The regular file `value` names inside `base_dir` or the image store, resolved.

    Relative paths are looked up in `base_dir` (the canvas file's folder), then in the store;
    an absolute path is accepted only inside the store (the app records its uploads so).
    Anything else raises the same `PosterError` as a missing file, naming `what` (e.g.
    「商品「牛肉卷」的图片」).
    """
    roots = [root.resolve() for root in (base_dir, image_store()) if root is not None]
    given = PurePath(value)
    if given.is_absolute():
        candidates = [Path(given)]
    elif ".." in given.parts or not value.strip():
        candidates = []
    else:
        candidates = [root / given for root in roots]
    for candidate in candidates:
        try:
            resolved = candidate.resolve(strict=True)  # symlinks followed, then confined
            mode = resolved.stat().st_mode
        except (OSError, RuntimeError, ValueError):
            continue
        if stat.S_ISREG(mode) and any(resolved.is_relative_to(root) for root in roots):
            return resolved
    raise PosterError(
        f"找不到{what}「{printable(value)}」，或不允许读取：图片要放在画布文件所在的文件夹里，"
        "写相对路径（如 images/beef.png）；网页里请用「上传图片」"
    )


def read_image_file(path: Path, *, max_bytes: int = MAX_BYTES, name: str = "图片") -> bytes:
    """The bytes of a regular file, refused before reading when over `max_bytes`."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a pipe swapped in cannot hang the open
    except OSError:
        raise PosterError(f"{name}无法读取：请检查文件是否存在、有没有读取权限") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PosterError(f"{name}不是普通文件，不能读取")
        if info.st_size > max_bytes:
            raise PosterError(_too_big(name, info.st_size, max_bytes))
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # the file grew while being read
        raise PosterError(_too_big(name, len(data), max_bytes))
    return data


def _too_big(name: str, size: int, max_bytes: int) -> str:
    return f"{name}太大：{size / 1048576:.1f} MB，最大 {max_bytes / 1048576:.0f} MB，请压缩后再上传"


def load_image_file(
    path: Path, *, name: str = "图片", target: tuple[int, int] | None = None
) -> Image.Image:
    """`load_image` for a file found by `find_image` (size-checked, read with a bound)."""
    return load_image(read_image_file(path, name=name), name=name, target=target)


def fit_image(image: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """Cover (fill and crop, centred) or contain (fit inside, transparent margins) `size`."""
    if mode == "cover":
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    fitted = ImageOps.contain(image, size, Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    canvas.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return canvas
