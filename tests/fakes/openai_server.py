"""A local fake of an OpenAI-compatible API (and GigaChat's OAuth endpoint), over real HTTP.

Use it from tests and benchmarks wherever code talks to an LLM or an embeddings API::

    from tests.fakes.openai_server import FakeOpenAI, FakeResponse, translation_responder

    with FakeOpenAI() as fake:                      # 127.0.0.1, random port, background thread
        settings = settings_factory(llm_provider="openai", llm_base_url=fake.url, llm_api_key="k")
        ...
        assert fake.count("/chat/completions") == 3

It also works as `async with FakeOpenAI() as fake:` (same object; the server runs in a thread, so
it never blocks the event loop) and with explicit `start()` / `stop()`.

Routes (matched by the path's ending, so any prefix works: `/v1/chat/completions`, `/api/v1/...`):
- `POST …/chat/completions` → `{id, object: "chat.completion", created, model,
  choices: [{index, message: {role: "assistant", content}, finish_reason}],
  usage: {prompt_tokens, completion_tokens, total_tokens}}` (the real API's shape; GigaChat's too).
- `POST …/embeddings` → `{object: "list", data: [{object: "embedding", index, embedding: [...],
  usage: {prompt_tokens}}], model, usage}`; default vectors are deterministic per text (`embedding_dim`).
- `POST …/oauth` → GigaChat's token answer `{access_token, expires_at}` (ms); point the SDK's
  `auth_url` at `fake.oauth_url`.
- `GET …/models` → `{object: "list", data: [{id, object: "model", owned_by}]}`.

Scripting, checked in this order for every request except OAuth:
1. `fake.queue(r1, r2, …)`: answers used once each, in order (a FakeResponse, a str = chat content,
   a dict = whole JSON body).
2. `responder(request) -> FakeResponse | str | dict | None`: called with a `RecordedRequest`;
   None falls through to the default answer. Set at construction or as `fake.responder = fn`.
3. Default: chat content `default_content` ("ok"), embeddings as above.

`FakeResponse(status=200, content=None, body=None, raw=None, delay=0.0, headers=None,
prompt_tokens=None, completion_tokens=None)`: `content` is the chat message text; `body` a whole JSON
body; `raw` bytes sent as is (invalid JSON); `delay` seconds slept before answering (timeouts).
Shortcuts: `FakeResponse.error(429)`, `FakeResponse.invalid_json()`, `FakeResponse.slow(5.0)`.

Inspection: `fake.calls` (all requests but OAuth), `fake.count(suffix)`, `fake.requests`
(RecordedRequest: method, path, headers, json, body), `fake.chat_requests` (JSON bodies),
`fake.oauth_calls`, `fake.reset()`.

`translation_responder(translate=transliterate)` answers a batch translator's JSON id→text request
with id→translated text (Cyrillic transliterated to Latin), so tests of translation need no real model.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeOpenAI",
    "FakeResponse",
    "RecordedRequest",
    "translation_responder",
    "transliterate",
]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None

    def last_user_content(self) -> str:
        """Text of the last user message of a chat request ('' if none)."""
        for message in reversed((self.json or {}).get("messages", [])):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    return "".join(p.get("text", "") for p in content if isinstance(p, dict))
                return str(content or "")
        return ""


@dataclass
class FakeResponse:
    status: int = 200
    content: str | None = None
    body: dict[str, Any] | None = None
    raw: bytes | None = None
    delay: float = 0.0
    headers: dict[str, str] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def error(cls, status: int, message: str = "fake error", **kw: Any) -> FakeResponse:
        return cls(
            status=status,
            body={"error": {"message": message, "type": "fake", "code": status}},
            **kw,
        )

    @classmethod
    def invalid_json(cls) -> FakeResponse:
        return cls(raw=b'{"id": "broken", "choices": [')

    @classmethod
    def slow(cls, delay: float, content: str = "ok") -> FakeResponse:
        return cls(content=content, delay=delay)


Responder = Callable[[RecordedRequest], "FakeResponse | str | dict[str, Any] | None"]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _vector(text: str, dim: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    values = [(digest[i % len(digest)] - 127.5) / 127.5 + 0.01 for i in range(dim)]
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


@dataclass
class FakeOpenAI:
    """The server; see the module docstring for the routes and scripting."""

    responder: Responder | None = None
    model: str = "fake-model"
    embedding_dim: int = 8
    default_content: str = "ok"
    requests: list[RecordedRequest] = field(default_factory=list)
    oauth_calls: int = 0
    _queue: deque[Any] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True, name="fake-openai"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeOpenAI:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses and inspection ------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server, "FakeOpenAI is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL to configure as the API base (`…/v1`)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def oauth_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2/oauth"

    @property
    def calls(self) -> int:
        return len(self.requests)

    def count(self, suffix: str) -> int:
        return sum(1 for r in self.requests if r.path.endswith(suffix))

    @property
    def chat_requests(self) -> list[Any]:
        return [r.json for r in self.requests if r.path.endswith("/chat/completions")]

    def queue(self, *responses: FakeResponse | str | dict[str, Any]) -> None:
        with self._lock:
            self._queue.extend(responses)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self.oauth_calls = 0

    # --- request handling --------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = handler.path.split("?", 1)[0].rstrip("/")
        try:
            parsed = (
                json.loads(body)
                if body and "json" in (handler.headers.get("Content-Type") or "")
                else None
            )
        except ValueError:
            parsed = None
        request = RecordedRequest(method, path, dict(handler.headers.items()), body, parsed)
        if path.endswith("/oauth"):
            with self._lock:
                self.oauth_calls += 1
            token = {
                "access_token": f"fake-token-{uuid.uuid4().hex[:8]}",
                "expires_at": int(time.time() * 1000) + 1_800_000,
            }
            self._send(handler, FakeResponse(body=token))
            return
        with self._lock:
            self.requests.append(request)
            scripted = self._queue.popleft() if self._queue else None
        if scripted is None and self.responder is not None:
            scripted = self.responder(request)
        response = self._as_response(scripted, request)
        if response.delay:
            time.sleep(response.delay)
        self._send(handler, response)

    def _as_response(self, scripted: Any, request: RecordedRequest) -> FakeResponse:
        if isinstance(scripted, FakeResponse):
            response = scripted
        elif isinstance(scripted, str):
            response = FakeResponse(content=scripted)
        elif isinstance(scripted, dict):
            response = FakeResponse(body=scripted)
        else:
            response = FakeResponse()
        if response.body is not None or response.raw is not None or response.status >= 400:
            return response
        if request.path.endswith("/embeddings"):
            response.body = self._embeddings_body(request)
        elif request.path.endswith("/models"):
            response.body = {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "owned_by": "fake"}],
            }
        else:
            response.body = self._chat_body(request, response)
        return response

    def _chat_body(self, request: RecordedRequest, response: FakeResponse) -> dict[str, Any]:
        content = self.default_content if response.content is None else response.content
        messages = (request.json or {}).get("messages", [])
        prompt = (
            response.prompt_tokens
            if response.prompt_tokens is not None
            else sum(_tokens(json.dumps(m.get("content"), ensure_ascii=False)) for m in messages)
        )
        completion = (
            response.completion_tokens
            if response.completion_tokens is not None
            else _tokens(content)
        )
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": (request.json or {}).get("model") or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def _embeddings_body(self, request: RecordedRequest) -> dict[str, Any]:
        texts = (request.json or {}).get("input", [])
        texts = [texts] if isinstance(texts, str) else list(texts)
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": _vector(t, self.embedding_dim),
                "usage": {"prompt_tokens": _tokens(t)},
            }
            for i, t in enumerate(texts)
        ]
        used = sum(_tokens(t) for t in texts)
        return {
            "object": "list",
            "data": data,
            "model": (request.json or {}).get("model") or self.model,
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, response: FakeResponse) -> None:
        payload = (
            response.raw
            if response.raw is not None
            else json.dumps(response.body, ensure_ascii=False).encode()
        )
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in (response.headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)


def transliterate(text: str) -> str:
    """Cyrillic → Latin letters (a stand-in for translation in tests)."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _TRANSLIT:
            lat = _TRANSLIT[low].replace("_", "")
            out.append(lat.capitalize() if ch != low else lat)
        else:
            out.append(ch)
    return "".join(out)


def translation_responder(translate: Callable[[str], str] = transliterate) -> Responder:
    """Answer a JSON id→text chat request with id→translate(text); other requests fall through."""

    def respond(request: RecordedRequest) -> str | None:
        if not request.path.endswith("/chat/completions"):
            return None
        try:
            items = json.loads(request.last_user_content())
        except ValueError:
            return None
        if not isinstance(items, dict):
            return None
        return json.dumps({k: translate(str(v)) for k, v in items.items()}, ensure_ascii=False)

    return respond
