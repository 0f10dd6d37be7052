"""OCR throughput: Tesseract `rus+eng` on the fixture photos and on synthetic text images (target ≥ 2 images/s)."""

from __future__ import annotations

import asyncio
import io
import os
import resource
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tgassist.ai.vision import TesseractOCR

FIXTURES = Path(
    os.environ.get("TGASSIST_FIXTURES_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "fixtures"
)
LINES = [
    "Концерт в субботу в 19:00",
    "Скидка 20% на все билеты",
    "Open air festival — Bali 2026",
    "Москва, ул. Тверская, 7",
    "Регистрация по ссылке в профиле",
]
TARGET = 2.0


def synthetic(n: int) -> list[bytes]:
    """Photo-sized images (800×500) with a few lines of RU/EN text, as JPEG."""
    font = _font(28)
    images = []
    for i in range(n):
        img = Image.new("RGB", (800, 500), (245 - i % 40, 240, 230))
        draw = ImageDraw.Draw(img)
        for row, line in enumerate(LINES[i % 3 :] + LINES[: i % 3]):
            draw.text((40, 40 + row * 80), f"{line} #{i}", fill=(20, 20, 20), font=font)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        images.append(buf.getvalue())
    return images


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


async def measure(ocr: TesseractOCR, images: list[bytes]) -> tuple[float, float, int]:
    """Wall-clock images/s, Tesseract CPU seconds per image, images with text found."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    texts = await asyncio.gather(*(ocr.read_text(img) for img in images))
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return len(images) / elapsed, cpu / len(images), sum(1 for t in texts if t.strip())


def main() -> None:
    ocr = TesseractOCR("rus+eng")
    if not ocr.available():
        print(f"OCR unavailable: {ocr.reason}")
        return
    photos = [
        p.read_bytes() for p in sorted((FIXTURES / "telegram-desktop").glob("*/photos/*.jpg"))
    ]
    sets = [("synthetic 800x500 text images", synthetic(24))]
    if photos:
        sets.append(("fixture photos (telegram-desktop)", photos * max(1, 24 // len(photos))))
    print(f"cores: {os.cpu_count()}, OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')}")
    for name, images in sets:
        asyncio.run(measure(ocr, images[:2]))  # warm the page cache
        rate, cpu, with_text = asyncio.run(measure(ocr, images))
        verdict = "ok" if rate >= TARGET else "BELOW TARGET"
        # CPU per image is what a busy machine cannot distort: cores / cpu = the idle-machine rate
        idle_rate = (os.cpu_count() or 1) / cpu if cpu else float("inf")
        print(
            f"{name}: {len(images)} images, {rate:.2f} images/s ({verdict}, target {TARGET}); "
            f"tesseract CPU {cpu:.3f} s/image = {idle_rate:.1f} images/s on {os.cpu_count()} idle cores; "
            f"text found in {with_text}"
        )


if __name__ == "__main__":
    main()
