"""AI providers behind small protocols, each with an offline default where one exists."""

from tgassist.ai.base import LLM, AIError, BudgetExceeded, ChatMessage, Embedder, LLMResult

__all__ = ["AIError", "BudgetExceeded", "ChatMessage", "Embedder", "LLM", "LLMResult"]
