"""OCR with the real Tesseract (installed by `make install`), its unavailable states, and LLM vision."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.fakes.openai_server import FakeOpenAI
from tgassist.ai import (
    AIError,
    OCRUnavailable,
    TesseractOCR,
    VisionDescription,
    build_llm,
    build_ocr,
    describe_image,
)
from tgassist.settings import Settings

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _image(
    lines: list[str], size: tuple[int, int] = (900, 300), font_size: int = 36, fmt: str = "PNG"
) -> bytes:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = (
        ImageFont.truetype(FONT, font_size)
        if os.path.exists(FONT)
        else ImageFont.load_default(size=font_size)
    )
    for row, line in enumerate(lines):
        draw.text((20, 20 + row * (font_size + 20)), line, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


async def test_reads_russian_and_english_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    ocr = build_ocr(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(ocr, TesseractOCR)
    assert os.environ["OMP_THREAD_LIMIT"] == "1"  # tesseract inherits it: one thread per process
    assert ocr.status() == "ok", ocr.reason
    text = await ocr.read_text(_image(["Концерт в субботу", "Open air festival"], fmt="JPEG"))
    assert "Концерт в субботу" in text and "Open air festival" in text
    assert await ocr.read_text(_image([])) == ""


async def test_small_images_are_upscaled_and_still_read() -> None:
    ocr = TesseractOCR()
    small = _image(["Скидка 20%"], size=(260, 60), font_size=20)
    prepared = ocr.prepare(small)
    assert prepared.mode == "L" and prepared.size == (520, 120)
    assert "Скидка 20%" in await ocr.read_text(small)


async def test_broken_image_is_a_clear_error() -> None:
    with pytest.raises(AIError, match="cannot decode the image"):
        await TesseractOCR().read_text(b"\x89PNG not really an image")


async def test_missing_tesseract_or_language_reports_unavailable() -> None:
    no_binary = TesseractOCR(tesseract_cmd="/nonexistent/tesseract")
    assert no_binary.status() == "unavailable" and not no_binary.available()
    assert "not found" in no_binary.reason
    with pytest.raises(OCRUnavailable, match="apt-get install"):
        await no_binary.read_text(_image(["x"]))
    TesseractOCR(tesseract_cmd="tesseract").status()  # restore the process-wide binary path

    no_language = TesseractOCR("rus+xyz")
    assert no_language.status() == "unavailable" and "xyz" in no_language.reason


def test_ocr_can_be_switched_off() -> None:
    assert build_ocr(Settings(_env_file=None, ocr_enabled=False)) is None  # type: ignore[call-arg]


async def test_describe_image_sends_the_image_and_normalises_labels(
    fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    llm = build_llm(Settings(_env_file=None, **llm_overrides), None)  # type: ignore[call-arg]
    assert llm is not None
    fake.queue('{"description": "Афиша концерта", "labels": ["Афиша", " концерт ", "афиша", ""]}')
    image = _image(["Концерт"], fmt="JPEG")
    result = await describe_image(llm, image)
    await llm.aclose()
    assert result == VisionDescription(description="Афиша концерта", labels=["афиша", "концерт"])
    parts = fake.chat_requests[0]["messages"][-1]["content"]
    assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
