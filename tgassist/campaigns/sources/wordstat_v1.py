"""The legacy Wordstat API v1: `POST /v1/topRequests` with an OAuth Bearer token."""

from __future__ import annotations

from typing import Any

from tgassist.campaigns.exceptions import WordstatError
from tgassist.campaigns.sources.wordstat import BaseWordstat, WordstatAnswer, candidates, to_int


class LegacyWordstat(BaseWordstat):
    """Wordstat API v1 (api.wordstat.yandex.net)."""

    api = "v1"

    def request(
        self, phrase: str, regions: list[int]
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {
            "phrase": phrase,
            "numPhrases": self.config.num_phrases,
            "regions": regions,
            "devices": [self.config.devices],
        }
        headers = {"Authorization": f"Bearer {self.config.token}"}
        return f"{self.config.base_url.rstrip('/')}/v1/topRequests", headers, body

    def parse(self, phrase: str, payload: dict[str, Any]) -> WordstatAnswer:
        if "topRequests" not in payload:
            raise WordstatError(
                "campaigns.wordstat.missing_field",
                api=self.api,
                field="topRequests",
                body=str(payload)[:160],
            )
        return WordstatAnswer(
            phrase,
            to_int(payload.get("totalCount")),
            candidates(payload.get("topRequests"), "wordstat_v1"),
            candidates(payload.get("associations"), "wordstat_v1"),
        )
