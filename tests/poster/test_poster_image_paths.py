"""Canvas image paths: found only inside the canvas folder or the image store, read with a bound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from pipelines.errors import PosterError
from pipelines.poster.images import find_image, image_store, load_image_file, read_image_file

WHAT = "商品「原切牛肉卷」的图片"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    canvas_dir = tmp_path / "canvas"
    (canvas_dir / "images").mkdir(parents=True)
    Image.new("RGB", (20, 20), (10, 200, 30)).save(canvas_dir / "images" / "beef.png")
    return canvas_dir


def test_a_relative_path_is_found_in_the_canvas_folder(folder: Path) -> None:
    found = find_image("images/beef.png", base_dir=folder, what=WHAT)
    assert found == (folder / "images" / "beef.png").resolve()


def test_an_absolute_path_inside_the_image_store_is_the_apps_own_upload() -> None:
    store = image_store()
    store.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(store / "abc.png")
    assert find_image(str((store / "abc.png").resolve()), base_dir=None, what=WHAT).is_file()
    assert find_image("abc.png", base_dir=None, what=WHAT).name == "abc.png"


def outside(folder: Path) -> list[str]:
    (folder / "out.png").symlink_to(folder.parent / "elsewhere.png")
    Image.new("RGB", (8, 8)).save(folder.parent / "elsewhere.png")
    (folder / "shadow.png").symlink_to("/etc/shadow")
    (folder / "images" / "sub").mkdir()
    os.mkfifo(folder / "pipe.png")
    return [
        "/etc/passwd",
        "/etc/shadow",
        "/dev/zero",
        str(folder.parent / "elsewhere.png"),  # absolute, outside the store
        "../elsewhere.png",
        "images/../../elsewhere.png",
        "out.png",  # a symlink leading out
        "shadow.png",
        "images/sub",  # a folder
        "pipe.png",  # a FIFO
        "gone.png",
        "",
    ]


def test_paths_outside_missing_or_not_regular_files_all_get_the_same_message(folder) -> None:
    messages = set()
    for value in outside(folder):
        with pytest.raises(PosterError) as caught:
            find_image(value, base_dir=folder, what=WHAT)
        messages.add(str(caught.value).replace(f"「{value}」", "「…」"))
    assert len(messages) == 1, messages
    (message,) = messages
    assert message.startswith(f"找不到{WHAT}「…」，或不允许读取") and "/etc" not in message


def test_a_file_over_the_limit_is_refused_from_its_size_before_reading(folder: Path) -> None:
    big = folder / "big.png"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024**3)  # sparse: reading it whole would take 64 GB
    with pytest.raises(PosterError, match=r"^图片太大：65536\.0 MB"):
        read_image_file(big)


def test_the_loaded_file_is_named_as_the_caller_says(folder: Path) -> None:
    (folder / "logo.png").write_bytes(b"not an image")
    with pytest.raises(PosterError, match=r"^品牌 Logo 图片不是可识别的图片"):
        load_image_file(folder / "logo.png", name="品牌 Logo 图片")


def test_16_bit_greyscale_is_scaled_to_8_bits_not_clipped_to_white(tmp_path: Path) -> None:
    path = tmp_path / "grey.png"
    Image.new("I;16", (10, 10), 32896).save(path)  # 16-bit mid grey (0x8080)
    image = load_image_file(path)
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (128, 128, 128)
