"""A local Bot API server: the part of Telegram's HTTP API that the bot uses.

The real python-telegram-bot Application talks to it over HTTP (base_url /
base_file_url). It records what the bot sent, lets a test or the demo inject
updates from any user, keeps the messages so edits can be checked, and can
answer 429 with retry_after, 5xx, or 403 for a chat that removed the bot.
It checks what Telegram checks and a bot most often gets wrong: text length,
HTML entities, callback data length, editing a message to the same content.
On option it enforces Telegram's limits (`Limits`: about 30 messages a second
overall, 20 a minute into one group, about one a second into one private chat,
each answered 429 with retry_after) and injects faults into a share of the
sends, edits and answers (429, 502, a connection reset, a slow answer).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlparse

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_GET_FILE = 20 * 1024 * 1024  # getFile: a bot downloads files of up to 20 MB
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                "span", "blockquote", "tg-emoji"}
STRING_KEYS = {"text", "caption", "parse_mode", "callback_query_id", "url", "file_id", "language_code",
               "description", "short_description", "name", "title", "inline_message_id", "secret_token"}


SENDS = {"sendMessage", "sendDocument", "sendPhoto", "sendVoice", "sendAudio", "sendVideo"}
FAULTY = SENDS | {"editMessageText", "editMessageReplyMarkup", "answerCallbackQuery"}


@dataclass(frozen=True)
class Limits:
    """Telegram's limits on sending, as its Bot FAQ gives them."""

    overall_per_second: int = 30
    group_per_minute: int = 20
    private_per_second: float = 1
    private_burst: int = 5  # a short burst, then about one a second


class Reset(Exception):  # noqa: N818 - the connection is dropped, nothing is answered
    """The connection is closed without an answer."""


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class Sent:
    """One call the bot made."""

    method: str
    params: dict
    result: object = None
    error: str | None = None
    chat_type: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self):
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def buttons(self) -> list[list[dict]]:
        markup = self.params.get("reply_markup") or {}
        return markup.get("inline_keyboard", [])


@dataclass
class Failure:
    methods: set[str] | None
    status: int
    description: str
    retry_after: int | None
    remaining: int


class _EntityChecker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.plain: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f"Can't find end tag corresponding to start tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.plain.append(data)


def check_html(text: str) -> str:
    """Raise like Telegram on bad HTML; return the text as the user sees it."""
    if re.search(r"<(?![a-zA-Z/])", text):
        raise ApiError(400, "Bad Request: can't parse entities: unexpected character")
    checker = _EntityChecker()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        raise ApiError(400, f"Bad Request: can't parse entities: {checker.error or 'unclosed tag'}")
    return "".join(checker.plain)


class LocalBotApi:
    def __init__(self, token: str = "123456:LOCAL-TEST-TOKEN", host: str = "127.0.0.1", port: int = 0,
                 bot_username: str = "hotline_local_bot", limits: Limits | None = None, faults: float = 0.0,
                 seed: int = 0, slow_seconds: float = 1.5, callback_ttl: float | None = None):
        self.token = token
        self.host = host
        self.bot = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "工单助手",
                    "username": bot_username, "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        self._lock = threading.Condition()
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.sent: list[Sent] = []
        self.chats: dict[int, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.started_private: set[int] = set()
        self.blocked_chats: set[int] = set()
        self.failures: list[Failure] = []
        self.commands: list[dict] = []
        self.callback_answers: dict[str, dict] = {}
        self.delivered_offset = 0
        self.limits = limits  # None: no limits enforced
        self.faults, self.slow_seconds, self._random = faults, slow_seconds, random.Random(seed)
        self.too_many = 0  # 429s for sending over a limit
        self.injected: dict[str, int] = {}  # faults injected, by kind
        self._windows: dict[object, deque] = {}
        self.callback_ttl = callback_ttl  # a press older than this can no longer be answered (Telegram: ~15 s)
        self._pressed_at: dict[str, float] = {}
        self.too_old: set[str] = set()  # presses answered too late
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def start(self) -> LocalBotApi:
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-bot-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- what a test or the demo does --

    @staticmethod
    def user(user_id: int, first_name: str, username: str | None = None) -> dict:
        out = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}
        if username:
            out["username"] = username
        return out

    def group(self, chat_id: int, title: str) -> dict:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.chats[chat_id] = chat
        return chat

    def private(self, user: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.chats[user["id"]] = chat
        return chat

    def _push(self, update: dict) -> dict:
        with self._lock:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self._lock.notify_all()
        return update

    def _incoming(self, user: dict, chat: dict, **content) -> dict:
        with self._lock:
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user,
                       **content}
            self.messages[(chat["id"], message["message_id"])] = message
        if chat["type"] == "private":
            self.started_private.add(user["id"])
        return message

    def send_text(self, user: dict, text: str, chat: dict | None = None) -> dict:
        chat = chat or self.private(user)
        content = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": self._incoming(user, chat, **content)})

    def send_document(self, user: dict, name: str, data: bytes, chat: dict | None = None,
                      mime_type: str = "application/octet-stream", caption: str | None = None) -> dict:
        chat = chat or self.private(user)
        file_id = self._store_file(name, data)
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name, "mime_type": mime_type,
                    "file_size": len(data)}
        extra = {"caption": caption} if caption else {}
        return self._push({"message": self._incoming(user, chat, document=document, **extra)})

    def send_photo(self, user: dict, chat: dict | None = None, data: bytes = b"\x89PNG", caption: str | None = None):
        chat = chat or self.private(user)
        file_id = self._store_file("photo.jpg", data)
        sizes = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600,
                  "file_size": len(data)}]
        extra = {"caption": caption} if caption else {}
        return self._push({"message": self._incoming(user, chat, photo=sizes, **extra)})

    def send_voice(self, user: dict, chat: dict | None = None, data: bytes = b"OggS"):
        chat = chat or self.private(user)
        file_id = self._store_file("voice.ogg", data)
        voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 5, "mime_type": "audio/ogg"}
        return self._push({"message": self._incoming(user, chat, voice=voice)})

    def forget_file(self, file_id: str) -> None:
        """Telegram no longer has the file (a deleted chat, an expired id): getFile and sending it fail."""
        with self._lock:
            self.files.pop(file_id, None)

    def press(self, user: dict, message: dict | Sent, data: str) -> dict:
        """Tap an inline button (or forge one: any data can be sent)."""
        if isinstance(message, Sent):
            message = message.result
        query = {"id": str(next(self._callback_ids)), "from": user, "chat_instance": "1", "data": data,
                 "message": self.messages.get((message["chat"]["id"], message["message_id"]), message)}
        self._pressed_at[query["id"]] = time.monotonic()
        return self._push({"callback_query": query})

    def take_updates(self) -> list[dict]:
        """Hand the pending updates to a caller that processes them itself."""
        with self._lock:
            out, self._updates = self._updates, []
            return out

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    def fail_next(self, count: int = 1, status: int = 429, retry_after: int | None = 1,
                  methods: set[str] | None = None, description: str | None = None) -> None:
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if status == 429
                           else "Internal Server Error")
        with self._lock:
            self.failures.append(Failure(methods, status, description, retry_after if status == 429 else None, count))

    def remove_bot_from(self, chat_id: int) -> None:
        self.blocked_chats.add(chat_id)

    def in_chat(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id and s.error is None]

    def message(self, chat_id: int, message_id: int) -> dict:
        return self.messages[(chat_id, message_id)]

    # -- the HTTP side --

    def _store_file(self, name: str, data: bytes) -> str:
        with self._lock:
            file_id = f"F{next(self._file_ids):06d}"
            self.files[file_id] = (name, data)
        return file_id

    def _handler_class(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one small response must not wait for a delayed ACK

            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, body: bytes, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = unquote(urlparse(self.path).path)
                prefix = f"/file/bot{api.token}/"
                if path.startswith(prefix):
                    file_id = path[len(prefix):].split("/")[-1]
                    if file_id in api.files:
                        self._reply(200, api.files[file_id][1], "application/octet-stream")
                        return
                    self._reply(404, b"not found", "text/plain")
                    return
                self._handle(path, {})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                self._handle(urlparse(self.path).path, api._parse_body(self.headers.get("Content-Type", ""), raw))

            def _handle(self, path: str, params: dict):
                prefix = f"/bot{api.token}/"
                if not path.startswith(prefix):
                    body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    self._reply(401, json.dumps(body).encode())
                    return
                method = path[len(prefix):]
                try:
                    try:
                        result = api._call(method, params)
                    except Reset:
                        self.close_connection = True
                        self.connection.close()
                        return
                    body, status = {"ok": True, "result": result}, 200
                except ApiError as err:
                    body = {"ok": False, "error_code": err.code, "description": err.description}
                    if err.retry_after is not None:
                        body["parameters"] = {"retry_after": err.retry_after}
                    status = err.code
                self._reply(status, json.dumps(body, ensure_ascii=False).encode())

        return Handler

    @staticmethod
    def _decode(key: str, value: str):
        if key in STRING_KEYS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    def _parse_body(self, content_type: str, raw: bytes) -> dict:
        if content_type.startswith("application/json"):
            return json.loads(raw or b"{}")
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
            params = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename:
                    params[name] = {"filename": filename, "data": payload}
                else:
                    params[name] = self._decode(name, payload.decode("utf-8"))
            return params
        return {k: self._decode(k, v) for k, v in parse_qsl(raw.decode("utf-8"), keep_blank_values=True)}

    def _call(self, method: str, params: dict):
        if method == "getUpdates":
            return self._get_updates(params)
        record = Sent(method, params)
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self.chats:
            record.chat_type = self.chats[chat_id]["type"]
        try:
            self._maybe_fail(method)
            self._maybe_fault(method)
            if method in SENDS:
                self._within_limits(chat_id)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            record.result = handler(params)
            return record.result
        except ApiError as err:
            record.error = err.description
            raise
        finally:
            if method not in ("getMe", "deleteWebhook", "getWebhookInfo"):
                with self._lock:
                    self.sent.append(record)

    def _maybe_fail(self, method: str) -> None:
        with self._lock:
            for failure in self.failures:
                if failure.remaining > 0 and (failure.methods is None or method in failure.methods):
                    failure.remaining -= 1
                    raise ApiError(failure.status, failure.description, failure.retry_after)

    def _maybe_fault(self, method: str) -> None:
        """A share of the sends, edits and answers meets a 429, a 502, a reset or a slow answer."""
        if method not in FAULTY or not self.faults:
            return
        with self._lock:
            if self._random.random() >= self.faults:
                return
            kind = self._random.choice(["429", "502", "reset", "slow"])
            self.injected[kind] = self.injected.get(kind, 0) + 1
        if kind == "429":
            raise ApiError(429, "Too Many Requests: retry after 1", 1)
        if kind == "502":
            raise ApiError(502, "Bad Gateway")
        if kind == "reset":
            raise Reset
        time.sleep(self.slow_seconds)

    def _within_limits(self, chat_id) -> None:
        """Telegram's limits, counted over sliding windows; over one: 429 with the seconds until it frees."""
        if self.limits is None:
            return
        lim = self.limits
        if isinstance(chat_id, int) and chat_id < 0:
            chat_window = (chat_id, lim.group_per_minute, 60.0)
        else:
            chat_window = (chat_id, lim.private_burst, lim.private_burst / lim.private_per_second)
        now = time.monotonic()
        with self._lock:
            for key, capacity, seconds in (("all", lim.overall_per_second, 1.0), chat_window):
                window = self._windows.setdefault(key, deque())
                while window and window[0] <= now - seconds:
                    window.popleft()
                if len(window) >= capacity:
                    self.too_many += 1
                    wait = max(1, math.ceil(window[0] + seconds - now))
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
            for key in ("all", chat_window[0]):
                self._windows[key].append(now)

    # -- methods --

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._lock:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self.delivered_offset = max(self.delivered_offset, offset)
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(timeout=min(0.05, max(0.0, deadline - time.monotonic())))
            return self._updates[:limit]

    def _m_getMe(self, params):
        return self.bot

    def _m_deleteWebhook(self, params):
        return True

    def _m_setWebhook(self, params):
        return True

    def _m_getWebhookInfo(self, params):
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _m_setMyCommands(self, params):
        self.commands = params.get("commands") or []
        return True

    def _m_deleteMyCommands(self, params):
        self.commands = []
        return True

    def _m_close(self, params):
        return True

    def _m_logOut(self, params):
        return True

    def _chat(self, params) -> dict:
        chat_id = params.get("chat_id")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
        chat = self.chats.get(chat_id)
        if isinstance(chat_id, int) and chat_id > 0 and chat_id not in self.started_private:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat["type"] == "private" and chat_id not in self.started_private:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    @staticmethod
    def _check_markup(params) -> None:
        markup = params.get("reply_markup")
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")

    def _check_text(self, params, key="text", limit=MAX_TEXT) -> str:
        text = params.get(key) or ""
        if key == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        shown = check_html(text) if params.get("parse_mode") == "HTML" else text
        if len(shown) > limit:
            raise ApiError(400, "Bad Request: message is too long" if key == "text"
                           else "Bad Request: message caption is too long")
        return shown

    def _new_message(self, chat: dict, **content) -> dict:
        with self._lock:
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                       "from": self.bot, **content}
            self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _m_sendMessage(self, params):
        chat = self._chat(params)
        self._check_text(params)
        self._check_markup(params)
        extra = {"reply_markup": params["reply_markup"]} if params.get("reply_markup") else {}
        return self._new_message(chat, text=params["text"], **extra)

    def _media(self, params, key: str, name: str) -> dict:
        chat = self._chat(params)
        self._check_markup(params)
        if params.get("caption"):
            self._check_text(params, "caption", MAX_CAPTION)
        value = params.get(key)
        if isinstance(value, dict) and "data" in value:
            file_id = self._store_file(value.get("filename") or name, value["data"])
            filename, size = value.get("filename"), len(value["data"])
        elif isinstance(value, str) and value in self.files:
            file_id, filename, size = value, self.files[value][0], len(self.files[value][1])
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        content = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size}
        if key == "photo":
            content = [{**content, "width": 800, "height": 600}]
        elif key == "voice":
            content["duration"] = 1
        else:
            content["file_name"] = filename
            if key in ("audio", "video"):
                content["duration"] = 1
            if key == "video":
                content.update(width=640, height=480)
        extra = {k: params[k] for k in ("caption", "reply_markup") if params.get(k)}
        return self._new_message(chat, **{key: content}, **extra)

    def _m_sendDocument(self, params):
        return self._media(params, "document", "document")

    def _m_sendPhoto(self, params):
        return self._media(params, "photo", "photo.jpg")

    def _m_sendVoice(self, params):
        return self._media(params, "voice", "voice.ogg")

    def _m_sendAudio(self, params):
        return self._media(params, "audio", "audio.mp3")

    def _m_sendVideo(self, params):
        return self._media(params, "video", "video.mp4")

    def _edit_target(self, params) -> dict:
        key = (params.get("chat_id"), params.get("message_id"))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        if key[0] in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
        return self.messages[key]

    def _m_editMessageText(self, params):
        message = self._edit_target(params)
        self._check_text(params)
        self._check_markup(params)
        markup = params.get("reply_markup")
        if message.get("text") == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = params["text"]
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        return message

    def _m_editMessageReplyMarkup(self, params):
        message = self._edit_target(params)
        self._check_markup(params)
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup or (not markup and "reply_markup" not in message):
            raise ApiError(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _m_answerCallbackQuery(self, params):
        query_id = params.get("callback_query_id")
        if not query_id:
            raise ApiError(400, "Bad Request: QUERY_ID_INVALID")
        if self.callback_ttl is not None and time.monotonic() - self._pressed_at.get(query_id, 0) > self.callback_ttl:
            self.too_old.add(query_id)
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        text = params.get("text") or ""
        if len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    def _m_getFile(self, params):
        file_id = params.get("file_id")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        name, data = self.files[file_id]
        if len(data) > MAX_GET_FILE:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data),
                "file_path": f"documents/{file_id}"}

    def _m_getChat(self, params):
        chat = self.chats.get(params.get("chat_id"))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat
