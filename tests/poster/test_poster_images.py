"""Uploaded and canvas images: only sane PNG/JPEG/WebP get through, with EXIF orientation."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from pipelines.errors import PosterError
from pipelines.poster.images import fit_image, load_image


def encoded(fmt: str, size: tuple[int, int] = (40, 30), **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(buffer, fmt, **save)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming a huge size, with one tiny IDAT: a bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_png_jpeg_and_webp_load(fmt: str) -> None:
    image = load_image(encoded(fmt))
    assert image.size == (40, 30)
    assert image.mode in {"RGB", "RGBA"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is a text file, not a picture", "不是可识别的图片"),
        (b"", "空文件"),
        (encoded("GIF"), "不是可识别的图片"),
        (encoded("BMP"), "不是可识别的图片"),
        (encoded("PNG", (400, 300))[:300], "损坏或不完整"),
        (encoded("JPEG", (400, 300))[:400], "损坏或不完整"),
        (png_header_only(20000, 20000), "疑似恶意图片"),
        (png_header_only(8000, 6000), "太大"),
    ],
    ids=["text", "empty", "gif", "bmp", "truncated-png", "truncated-jpeg", "bomb", "too-many-px"],
)
def test_bad_images_are_refused_with_a_chinese_message(data: bytes, message: str) -> None:
    with pytest.raises(PosterError, match=message):
        load_image(data)


def test_a_file_over_the_byte_limit_is_refused_before_decoding() -> None:
    with pytest.raises(PosterError, match=r"太大：.*MB"):
        load_image(encoded("PNG", (64, 64)), max_bytes=100)


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = encoded("JPEG", (60, 20), exif=exif.tobytes())
    assert load_image(data).size == (20, 60)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_when_a_target_is_given() -> None:
    image = load_image(encoded("JPEG", (2400, 1600)), target=(300, 200))
    assert 300 <= image.width < 2400


@pytest.mark.parametrize(("mode", "corner_alpha"), [("cover", 255), ("contain", 0)])
def test_cover_fills_the_box_and_contain_leaves_transparent_margins(
    mode: str, corner_alpha: int
) -> None:
    wide = Image.new("RGB", (400, 100), (10, 200, 10))
    fitted = fit_image(wide, (200, 200), mode)
    assert fitted.size == (200, 200)
    assert fitted.convert("RGBA").getpixel((0, 0))[3] == corner_alpha
