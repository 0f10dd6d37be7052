"""The operator dashboard (admin auth; server-rendered HTML, SVG charts, SSE task progress)."""

from tgassist.api.dashboard.pages import public, router

__all__ = ["public", "router"]
