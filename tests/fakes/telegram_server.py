"""A fake Telegram Bot API server (aiohttp) the real bot talks to over HTTP.

Point the bot at it with `TGASSIST_BOT_API_URL=server.url` (aiogram's `TelegramAPIServer`): the
bot's own client code, polling loop, middlewares and handlers run unchanged; only Telegram is fake.

    async with FakeTelegram() as server:               # 127.0.0.1, random port, this event loop
        settings = settings_factory(bot_token=server.token, bot_api_url=server.url)
        ...                                            # start the bot role against it
        user = server.user(1001, language_code="ru")   # a private chat with a scripted user
        await user.send("/start")
        menu = await user.reply(timeout=5)             # the next message (or edit) in that chat
        assert "Каналы" in menu.button_texts
        await user.press("Settings")                   # by button text or by callback_data
        await user.send_document(b"phrase;count\\n", "keys.csv")
        await user.send_location(55.75, 37.61)
        await user.send_sticker(); await user.send_photo(); await user.send_voice()
        await user.forward_from_channel(-1001234, "durov", 42, text="a post")

Methods served (POST or GET, JSON, urlencoded or multipart bodies, as aiogram sends them):
getMe, getUpdates (long-polled; a second concurrent poller gets 409 Conflict, as in Telegram),
setMyCommands / getMyCommands / deleteMyCommands (kept per scope + language_code in
`server.commands[(scope_key, lang)]`, scope_key like "default", "chat:123", "all_private_chats"),
setWebhook / deleteWebhook / getWebhookInfo (with a webhook set, updates are POSTed to it with
the `X-Telegram-Bot-Api-Secret-Token` header and getUpdates answers 409), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, deleteMessage, sendChatAction,
sendDocument (the bytes are kept), sendPhoto, sendLocation, getFile and file download
(`GET /file/bot<token>/<file_path>`), for the bot's files and the user's uploads alike.

Telegram's rules are enforced: text and captions are parsed as HTML when `parse_mode=HTML`
(unsupported or unbalanced tags → 400 "can't parse entities"), then limited to 4,096 characters
(captions 1,024); empty text → 400; callback_data over 64 bytes → 400 BUTTON_DATA_INVALID;
an edit that changes nothing → 400 "message is not modified"; edits/deletes of unknown messages →
400; sends to a chat the server does not know → 400 "chat not found".

On demand: `server.fail_next("sendMessage", status=429, retry_after=1, times=1)` (also 500,
or any status/description), `server.block(user)` / `server.unblock(user)` → 403 "Forbidden: bot
was blocked by the user" for every send to that chat.

Inspection: `user.reply(timeout=5)` → a `Reply` snapshot of the next new or edited message in the
chat (`.text`, `.buttons` rows of `Button`, `.button_texts`, `.document` bytes, `.filename`,
`.photo`, `.location`, `.is_edit`, `.at` the `time.monotonic()` the server recorded it,
`.message` the live `FakeMessage`); `user.no_reply(within=0.5)`
asserts silence; `user.messages` every bot message in the chat (`.history` = earlier texts of
an edited message, `.deleted`); `await user.callback_answer()` the answer to the last press;
`server.calls` (method, params) in order, `server.count(method)`, `server.sent_at` send
timestamps for pacing checks, `server.chat_actions`, `server.documents`, `server.deleted_user_messages[chat]` (ids of the user's own messages the bot deleted).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.fakes.telegram_chat import (
    MAX_CAPTION,
    MAX_TEXT,
    Button,
    FakeMessage,
    FakeUser,
    Reply,
    TelegramError,
    parse_buttons,
    visible_text,
)

__all__ = ["Button", "FakeMessage", "FakeTelegram", "FakeUser", "Reply", "TelegramError"]

BOT_USERNAME = "tgassist_test_bot"
# Fields aiogram sends as JSON strings inside form bodies.
_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
    "reply_parameters",
    "media",
}


class FakeTelegram:
    """The fake Bot API; see the module docstring."""

    def __init__(self, token: str = "123456:TEST-token", host: str = "127.0.0.1") -> None:
        self.token, self.host = token, host
        self.bot_id = int(token.split(":")[0])
        self.port = 0
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, list[FakeMessage]] = defaultdict(list)
        self.events: dict[int, list[Reply]] = defaultdict(list)
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.documents: list[FakeMessage] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent_at: list[tuple[float, int]] = []  # (monotonic time, chat id) of every send
        self.blocked: set[int] = set()
        self.webhook: dict[str, Any] | None = None
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self.user_messages: dict[int, set[int]] = defaultdict(set)  # chat -> ids the user sent
        self.deleted_user_messages: dict[int, set[int]] = defaultdict(set)
        self.webhook_statuses: list[int] = []
        self._failures: dict[str, list[TelegramError]] = defaultdict(list)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._changed = asyncio.Condition()
        # Futures of users waiting for the next message in their chat: a reply wakes that chat's
        # waiters only (one condition for all made every message wake every waiting user).
        self._chat_waiters: dict[int, set[asyncio.Future[None]]] = defaultdict(set)
        self._poll_gen = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        async with self._changed:  # release long polls still waiting
            self._closing = True
            self._changed.notify_all()
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- scripting ----------------------------------------------------------------------------
    def user(
        self,
        telegram_id: int,
        language_code: str | None = "ru",
        first_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        if telegram_id not in self.users:
            self.users[telegram_id] = FakeUser(
                self, telegram_id, language_code, first_name or f"User{telegram_id}", username
            )
        return self.users[telegram_id]

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
            }.get(status, "Internal Server Error" if status >= 500 else "Bad Request")
        err = TelegramError(status, description, retry_after if status == 429 else None)
        self._failures[method.lower()].extend([err] * times)

    def block(self, user: FakeUser | int) -> None:
        self.blocked.add(user.id if isinstance(user, FakeUser) else user)

    def unblock(self, user: FakeUser | int) -> None:
        self.blocked.discard(user.id if isinstance(user, FakeUser) else user)

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method.lower())

    async def push_update(self, update: dict[str, Any]) -> None:
        update = {"update_id": next(self._update_ids), **update}
        if self.webhook:
            await self._deliver_webhook(update)
            return
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    # -- internals ----------------------------------------------------------------------------
    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _store_file(self, data: bytes, path: str) -> dict[str, Any]:
        n = next(self._ids)
        file_id, file_path = (
            f"file-{n}",
            f"{path.rsplit('/', 1)[0]}/file_{n}_{path.rsplit('/', 1)[-1]}",
        )
        self.files[file_id] = (file_path, data)
        return {"file_id": file_id, "file_unique_id": f"u{n}", "file_size": len(data)}

    def _bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "tgassist",
            "username": BOT_USERNAME,
        }

    def _message_json(self, msg: FakeMessage) -> dict[str, Any]:
        user = self.users.get(msg.chat_id)
        chat: dict[str, Any] = {"id": msg.chat_id, "type": "private"}
        chat["first_name"] = user.first_name if user else "User"
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": chat,
            "from": self._bot_json(),
        }
        if msg.kind == "text":
            out["text"] = msg.text
        elif msg.kind == "document":
            out["document"] = {"file_id": f"doc-{msg.chat_id}-{msg.message_id}", "file_unique_id": "d",
                               "file_name": msg.filename or "file"}  # fmt: skip
        elif msg.kind == "photo":
            out["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        elif msg.kind == "location" and msg.location:
            out["location"] = {"latitude": msg.location[0], "longitude": msg.location[1]}
        if msg.kind in ("document", "photo") and msg.text:
            out["caption"] = msg.text
        if msg.markup and "inline_keyboard" in msg.markup:
            # as Telegram: a Message carries only an inline keyboard; a reply keyboard (or its
            # removal, or force_reply) belongs to the chat, not to the message, and is not echoed
            out["reply_markup"] = msg.markup
        return out

    async def _record(self, chat_id: int, msg: FakeMessage, is_edit: bool) -> None:
        snap = Reply(msg, msg.text, [list(r) for r in msg.buttons], is_edit)
        self.events[chat_id].append(snap)
        for waiter in self._chat_waiters.pop(chat_id, ()):
            if not waiter.done():
                waiter.set_result(None)

    async def wait_chat(self, chat_id: int, timeout: float) -> None:  # noqa: ASYNC109
        """Until the next message or edit in `chat_id` is recorded, or `timeout` seconds."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._chat_waiters[chat_id].add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self._chat_waiters.get(chat_id, set()).discard(waiter)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json() if request.can_read_body else {}
            params.update(body or {})
            return params
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.filename:  # type: ignore[union-attr]
                    params[part.name or ""] = (part.filename, await part.read())  # type: ignore[union-attr]
                else:
                    params[part.name or ""] = await part.text()  # type: ignore[union-attr]
        elif request.can_read_body:
            params.update(dict(await request.post()))
        for key in _JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if request.match_info["token"] != self.token:
            return web.json_response(TelegramError(401, "Unauthorized").body(), status=401)
        try:
            params = await self._params(request)
        except (ValueError, json.JSONDecodeError):
            return web.json_response(TelegramError(400, "Bad Request: bad body").body(), status=400)
        self.calls.append((method, params))
        try:
            if self._failures.get(method):
                raise self._failures[method].pop(0)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise TelegramError(404, "Not Found: method not found")
            result = await handler(params)
        except TelegramError as err:
            return web.json_response(err.body(), status=err.code)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for file_path, data in self.files.values():
            if file_path == path:
                return web.Response(body=data)
        return web.Response(status=404)

    def _chat(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            raise TelegramError(400, "Bad Request: chat not found") from None
        if chat_id not in self.users:
            raise TelegramError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _find(self, params: dict[str, Any], what: str) -> FakeMessage:
        chat_id = self._chat(params)
        mid = int(params.get("message_id", 0))
        for msg in self.chats[chat_id]:
            if msg.message_id == mid and not msg.deleted:
                return msg
        raise TelegramError(400, f"Bad Request: message to {what} not found")

    async def _new(self, params: dict[str, Any], kind: str, **fields: Any) -> dict[str, Any]:
        chat_id = self._chat(params)
        markup = params.get("reply_markup")
        msg = FakeMessage(
            self._next_message_id(chat_id),
            chat_id,
            kind,
            buttons=parse_buttons(markup),
            markup=markup,
            **fields,
        )
        self.chats[chat_id].append(msg)
        self.sent_at.append((time.monotonic(), chat_id))
        await self._record(chat_id, msg, is_edit=False)
        return self._message_json(msg)

    @staticmethod
    def _text(params: dict[str, Any], key: str, limit: int, required: bool) -> str:
        raw = str(params.get(key) or "")
        text = visible_text(raw, params.get("parse_mode"))
        if required and not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        if len(text) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise TelegramError(400, f"Bad Request: {what}")
        return text

    @staticmethod
    def _upload(params: dict[str, Any], key: str) -> tuple[str, bytes]:
        value = params.get(key)
        if isinstance(value, tuple):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            attached = params.get(value.removeprefix("attach://"))
            if isinstance(attached, tuple):
                return attached
        raise TelegramError(400, f"Bad Request: there is no {key} in the request")

    # -- methods ------------------------------------------------------------------------------
    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_json(), "can_join_groups": True, "supports_inline_queries": False}

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise TelegramError(
                409, "Conflict: can't use getUpdates method while webhook is active"
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        # As in Telegram, a newer getUpdates terminates an older one still waiting (409 to it).
        self._poll_gen += 1
        gen = self._poll_gen
        async with self._changed:
            self._changed.notify_all()
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(
                            lambda: bool(self._updates) or self._closing or self._poll_gen != gen
                        ),
                        timeout,
                    )
                except TimeoutError:
                    pass
            if self._poll_gen != gen:
                raise TelegramError(409, "Conflict: terminated by other getUpdates request")
            return self._updates[:limit]

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        self.webhook = {"url": url, "secret_token": params.get("secret_token")} if url else None
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}  # fmt: skip

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        key = scope["type"]
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        if "user_id" in scope:
            key += f":{scope['user_id']}"
        return key, str(params.get("language_code") or "")

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for c in commands:
            if not (1 <= len(c["command"]) <= 32) or not (1 <= len(c["description"]) <= 256):
                raise TelegramError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._scope_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands.get(self._scope_key(params), [])

    async def _m_deletemycommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = self._text(params, "text", MAX_TEXT, required=True)
        return await self._new(params, "text", text=text)

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        filename, data = self._upload(params, "document")
        out = await self._new(params, "document", text=caption, document=data, filename=filename)
        self.documents.append(self.chats[int(params["chat_id"])][-1])
        self._store_file(data, f"documents/{filename}")
        return out

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        _, data = self._upload(params, "photo")
        return await self._new(params, "photo", text=caption, photo=data)

    async def _m_sendlocation(self, params: dict[str, Any]) -> dict[str, Any]:
        loc = (float(params["latitude"]), float(params["longitude"]))
        return await self._new(params, "location", location=loc)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params, "edit")
        text = self._text(params, "text", MAX_TEXT, required=True)
        markup = params.get("reply_markup")
        if msg.kind != "text":
            raise TelegramError(400, "Bad Request: there is no text in the message to edit")
        if text == msg.text and markup == msg.markup:
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        msg.history.append(msg.text)
        msg.text, msg.markup, msg.buttons = text, markup, parse_buttons(markup)
        self.sent_at.append((time.monotonic(), msg.chat_id))
        await self._record(msg.chat_id, msg, is_edit=True)
        return self._message_json(msg)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params, "edit")
        markup = params.get("reply_markup")
        if markup == msg.markup or (not markup and not msg.markup):
            raise TelegramError(400, "Bad Request: message is not modified")
        msg.markup, msg.buttons = markup, parse_buttons(markup)
        await self._record(msg.chat_id, msg, is_edit=True)
        return self._message_json(msg)

    async def _m_deletemessage(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        mid = int(params.get("message_id", 0))
        for msg in self.chats[chat_id]:
            if msg.message_id == mid and not msg.deleted:
                msg.deleted = True
                return True
        # The user's own messages (e.g. one holding a token) are deletable too.
        if mid in self.user_messages[chat_id] - self.deleted_user_messages[chat_id]:
            self.deleted_user_messages[chat_id].add(mid)
            return True
        raise TelegramError(400, "Bad Request: message to delete not found")

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        qid = str(params.get("callback_query_id"))
        if qid in self.callback_answers:
            raise TelegramError(400, "Bad Request: query is too old and response timeout expired")
        self.callback_answers[qid] = params
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        self.chat_actions.append((self._chat(params), str(params.get("action"))))
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise TelegramError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(data),
            "file_path": path,
        }

    async def _deliver_webhook(self, update: dict[str, Any]) -> None:
        assert self.webhook is not None
        if self._client is None:
            self._client = ClientSession(timeout=ClientTimeout(total=30))
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with self._client.post(self.webhook["url"], json=update, headers=headers) as resp:
            self.webhook_statuses.append(resp.status)
            if resp.status == 200 and resp.content_type == "application/json":
                body = await resp.json()
                if isinstance(body, dict) and body.get("method"):
                    method = str(body.pop("method")).lower()
                    handler = getattr(self, f"_m_{method}", None)
                    if handler:
                        self.calls.append((method, body))
                        try:
                            await handler(body)
                        except TelegramError:
                            pass
