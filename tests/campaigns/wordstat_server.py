"""A local HTTP server answering like Wordstat (Search API v2 and legacy v1), scriptable per request."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def v2_answer(phrase: str, n: int = 5) -> dict[str, Any]:
    """The documented v2 shape: counts are strings (int64 in JSON)."""
    return {
        "totalCount": str(1000 * n),
        "results": [{"phrase": phrase, "count": str(1000 * n)}]
        + [
            {"phrase": f"{phrase} {w}", "count": str(900 - i * 100)}
            for i, w in enumerate(
                ["цена", "недорого", "москва", "отзывы", "своими руками"][: n - 1]
            )
        ],
        "associations": [{"phrase": f"{phrase} аналог", "count": "50"}],
    }


def v1_answer(phrase: str) -> dict[str, Any]:
    return {
        "requestPhrase": phrase,
        "totalCount": 4000,
        "topRequests": [
            {"phrase": phrase, "count": 4000},
            {"phrase": f"{phrase} цена", "count": 700},
            {"phrase": f"купить {phrase}", "count": 600},
        ],
        "associations": [{"phrase": f"{phrase} аналог", "count": 30}],
    }


class WordstatServer:
    """127.0.0.1 on a random port; `queue` scripted replies, else the default answer for the API."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: deque[Reply] = deque()
        self.always: Reply | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(
                    self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"
                )
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": body}
                )
                reply = server.replies.popleft() if server.replies else server.always
                if reply is None:
                    answer = (
                        v2_answer(body["phrase"])
                        if self.path.startswith("/v2/")
                        else v1_answer(body["phrase"])
                    )
                    reply = Reply(200, answer)
                data = (
                    json.dumps(reply.body, ensure_ascii=False).encode()
                    if not isinstance(reply.body, bytes)
                    else reply.body
                )
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def __enter__(self) -> WordstatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
