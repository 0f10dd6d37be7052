"""Yandex Search API v2 Wordstat: `POST /v2/wordstat/topRequests` with `Api-Key` auth, counts as strings."""

from __future__ import annotations

from typing import Any

from tgassist.campaigns.exceptions import WordstatError
from tgassist.campaigns.sources.wordstat import BaseWordstat, WordstatAnswer, candidates, to_int

DEVICES = {
    "all": "DEVICE_ALL",
    "desktop": "DEVICE_DESKTOP",
    "phone": "DEVICE_PHONE",
    "tablet": "DEVICE_TABLET",
}


class SearchApiWordstat(BaseWordstat):
    """Wordstat through the Yandex Cloud Search API (API key + folder id)."""

    api = "v2"

    def request(
        self, phrase: str, regions: list[int]
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {
            "phrase": phrase,
            "numPhrases": str(self.config.num_phrases),
            "regions": [str(r) for r in regions],
            "devices": [DEVICES.get(self.config.devices, "DEVICE_ALL")],
            "folderId": self.config.folder_id or "",
        }
        headers = {"Authorization": f"Api-Key {self.config.token}"}
        return f"{self.config.base_url.rstrip('/')}/v2/wordstat/topRequests", headers, body

    def parse(self, phrase: str, payload: dict[str, Any]) -> WordstatAnswer:
        if "results" not in payload and "totalCount" not in payload:
            raise WordstatError(
                "campaigns.wordstat.missing_field",
                api=self.api,
                field="results/totalCount",
                body=str(payload)[:160],
            )
        return WordstatAnswer(
            phrase,
            to_int(payload.get("totalCount")),
            candidates(payload.get("results"), "wordstat_v2"),
            candidates(payload.get("associations"), "wordstat_v2"),
        )
