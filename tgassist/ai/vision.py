"""Images: Tesseract OCR (offline, `rus+eng`) and an optional LLM description with labels."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, Field, field_validator

from tgassist.ai.base import LLM, AIError, ChatMessage
from tgassist.ai.metrics import OCR_IMAGES

if TYPE_CHECKING:
    from tgassist.settings import Settings

_MAX_SIDE_PX = 2500  # larger photos cost seconds in Tesseract and read no better


class OCRUnavailable(AIError):
    """Tesseract or one of the configured languages is not installed."""


class TesseractOCR:
    """OCR through pytesseract. `status()` is "ok" or "unavailable" (see `reason`); never crashes on a missing install."""

    def __init__(
        self,
        languages: str = "rus+eng",
        *,
        timeout_sec: float = 30.0,
        min_side_px: int = 1000,
        tesseract_cmd: str | None = None,
        concurrency: int | None = None,
    ) -> None:
        # Tesseract's OpenMP threads fight each other on small machines (5x slower on 2 cores);
        # pytesseract starts it with our environment, so the limit has to live there.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self.languages = languages
        self.timeout_sec = timeout_sec
        self.min_side_px = min_side_px
        self.tesseract_cmd = tesseract_cmd
        # One Tesseract process per core; a pool of its own keeps that bound across event loops.
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency or os.cpu_count() or 1, thread_name_prefix="ocr"
        )
        self._status: str | None = None
        self.reason = ""

    def status(self) -> str:
        if self._status is None:
            self._status = self._probe()
        return self._status

    def available(self) -> bool:
        return self.status() == "ok"

    def _probe(self) -> str:
        import pytesseract

        if self.tesseract_cmd:
            pytesseract.pytesseract.tesseract_cmd = self.tesseract_cmd
        binary = pytesseract.pytesseract.tesseract_cmd
        if not (os.path.isfile(binary) or shutil.which(binary)):
            self.reason = f"tesseract binary {binary!r} not found (apt-get install tesseract-ocr tesseract-ocr-rus)"
            return "unavailable"
        try:
            installed = set(pytesseract.get_languages(config=""))
        except Exception as err:  # a broken install reports here, not at OCR time
            self.reason = f"tesseract does not run: {err}"
            return "unavailable"
        wanted = [lang for lang in self.languages.split("+") if lang]
        lacking = [lang for lang in wanted if lang not in installed]
        if lacking:
            self.reason = f"tesseract languages not installed: {', '.join(lacking)} (e.g. apt-get install tesseract-ocr-rus)"
            return "unavailable"
        self.reason = ""
        return "ok"

    def prepare(self, image: bytes) -> Image.Image:
        """Decode, orient, grayscale; upscale small images (small text reads badly), shrink huge ones."""
        try:
            img: Image.Image = Image.open(io.BytesIO(image))
            img = ImageOps.exif_transpose(img) or img
            img = img.convert("L")
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
            raise AIError("core.ai.ocr_bad_image", error=str(err)) from err
        longest = max(img.size)
        if longest and longest < self.min_side_px:
            scale = min(2.0, self.min_side_px / longest)
            img = img.resize(
                (round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC
            )
        elif longest > _MAX_SIDE_PX:
            scale = _MAX_SIDE_PX / longest
            img = img.resize(
                (round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS
            )
        return img

    def _read_sync(self, image: bytes) -> str:
        import pytesseract

        img = self.prepare(image)
        try:
            text = pytesseract.image_to_string(img, lang=self.languages, timeout=self.timeout_sec)
        except RuntimeError as err:  # pytesseract's timeout
            raise AIError("core.ai.ocr_timeout", seconds=self.timeout_sec) from err
        except (pytesseract.TesseractError, OSError) as err:
            raise AIError("core.ai.ocr_failed", error=str(err)) from err
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())

    async def read_text(self, image: bytes) -> str:
        """Text in the image ('' when none). OCRUnavailable when not installed; AIError for a bad image."""
        if not self.available():
            OCR_IMAGES.labels("unavailable").inc()
            raise OCRUnavailable("core.ai.ocr_unavailable", reason=self.reason)

        try:
            text = await asyncio.get_running_loop().run_in_executor(
                self._pool, self._read_sync, image
            )
        except AIError:
            OCR_IMAGES.labels("error").inc()
            raise
        OCR_IMAGES.labels("ok").inc()
        return text

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class VisionDescription(BaseModel):
    """An LLM's short description of an image and a few lowercase labels."""

    description: str = Field(description="One or two sentences: what the image shows")
    labels: list[str] = Field(default_factory=list, description="Up to 10 short lowercase labels")

    @field_validator("labels")
    @classmethod
    def _normalise(cls, labels: list[str]) -> list[str]:
        seen: list[str] = []
        for label in labels:
            clean = " ".join(str(label).lower().split())
            if clean and clean not in seen:
                seen.append(clean)
        return seen[:10]


async def describe_image(llm: LLM, image: bytes, *, language: str = "Russian") -> VisionDescription:
    """Ask a vision-capable LLM what the image shows. Raises AIError (or BudgetExceeded)."""
    prompt = (
        f"Describe this image in {language} in one or two sentences and give up to 10 short lowercase "
        'labels (objects, topic, kind of image). JSON: {"description": "...", "labels": ["..."]}'
    )
    return await llm.complete_json([ChatMessage("user", prompt)], VisionDescription, images=[image])


def build_ocr(settings: Settings) -> TesseractOCR | None:
    """Tesseract OCR, or None when TGASSIST_OCR_ENABLED=false."""
    if not settings.ocr_enabled:
        return None
    return TesseractOCR(
        settings.ocr_languages,
        timeout_sec=settings.ocr_timeout_sec,
        min_side_px=settings.ocr_min_side_px,
        tesseract_cmd=settings.tesseract_cmd,
    )
