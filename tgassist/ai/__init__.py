"""AI providers behind small protocols, each with an offline default where one exists.

Heavy backends (models, SDKs) load lazily: importing this package is cheap.
"""

from tgassist.ai.base import LLM, AIError, BudgetExceeded, ChatMessage, Embedder, LLMResult
from tgassist.ai.budget import BudgetUsage, DailyBudget
from tgassist.ai.embeddings import E5Embedder, UseEmbedder, build_embedder
from tgassist.ai.embeddings_remote import GigaChatEmbedder, OpenAIEmbedder
from tgassist.ai.llm import BaseLLM, build_llm, extract_json
from tgassist.ai.llm_gigachat import GigaChatLLM
from tgassist.ai.llm_openai import OpenAICompatibleLLM
from tgassist.ai.translate import BatchTranslator, TranslationResult, build_translator
from tgassist.ai.vision import (
    OCRUnavailable,
    TesseractOCR,
    VisionDescription,
    build_ocr,
    describe_image,
)

__all__ = [
    "AIError",
    "BaseLLM",
    "BatchTranslator",
    "BudgetExceeded",
    "BudgetUsage",
    "ChatMessage",
    "DailyBudget",
    "E5Embedder",
    "Embedder",
    "GigaChatEmbedder",
    "GigaChatLLM",
    "LLM",
    "LLMResult",
    "OCRUnavailable",
    "OpenAICompatibleLLM",
    "OpenAIEmbedder",
    "TesseractOCR",
    "TranslationResult",
    "UseEmbedder",
    "VisionDescription",
    "build_embedder",
    "build_llm",
    "build_ocr",
    "build_translator",
    "describe_image",
    "extract_json",
]
