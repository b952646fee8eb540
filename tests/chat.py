"""A transcript driver: people type and tap; the real Application answers over HTTP through the local server."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.localapi import LocalBotApi, Sent

OFFICE_GROUP, JIUZHU_GROUP, YANGLAO_GROUP, QUHUA_GROUP = -1001, -1002, -1003, -1004


class Chat:
    def __init__(self, api: LocalBotApi, app: Application, people: dict[str, int]):
        self.api = api
        self.app = app
        self.people = people  # name -> telegram user id
        self.groups = {
            "局办公室群": api.group(OFFICE_GROUP, "局办公室"),
            "社会救助科群": api.group(JIUZHU_GROUP, "社会救助科"),
            "养老服务科群": api.group(YANGLAO_GROUP, "养老服务科"),
            "区划地名科群": api.group(QUHUA_GROUP, "区划地名科"),
        }
        self.seen = 0

    def user(self, name: str) -> dict:
        return self.api.user(self.people[name], name)

    async def deliver(self) -> list[Sent]:
        """Hand every pending update to the Application; return what the bot sent meanwhile."""
        start = len(self.api.sent)
        while self.api.pending_updates():
            for raw in self.api.take_updates():
                await self.app.process_update(Update.de_json(raw, self.app.bot))
        return [s for s in self.api.sent[start:] if s.error is None]

    async def say(self, name: str, text: str, group: str | None = None) -> list[Sent]:
        chat = self.groups[group] if group else None
        self.api.send_text(self.user(name), text, chat)
        return await self.deliver()

    async def send_file(self, name: str, filename: str, data: bytes) -> list[Sent]:
        self.api.send_document(self.user(name), filename, data)
        return await self.deliver()

    async def send_photo(self, name: str) -> list[Sent]:
        self.api.send_photo(self.user(name))
        return await self.deliver()

    async def tap(self, name: str, message: Sent | dict, shown: str) -> list[Sent]:
        """Tap the button whose text is `shown` on a message the bot sent."""
        result = message.result if isinstance(message, Sent) else message
        current = self.api.message(result["chat"]["id"], result["message_id"])
        for row in (current.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == shown and "callback_data" in button:
                    return await self.press(name, message, button["callback_data"])
        raise AssertionError(f"no button {shown!r} on: {current.get('text', '')[:200]} "
                             f"{[b['text'] for r in current.get('reply_markup', {}).get('inline_keyboard', []) for b in r]}")

    async def press(self, name: str, message: Sent | dict, data: str) -> list[Sent]:
        """Send any callback data for a message (what a forged or stale button does)."""
        self.api.press(self.user(name), message, data)
        return await self.deliver()

    def answer(self) -> dict:
        """The bot's answer to the latest button press."""
        return self.api.callback_answers[max(self.api.callback_answers, key=int)]

    def last_in(self, where: str | int) -> Sent:
        chat_id = self.groups[where]["id"] if isinstance(where, str) and where in self.groups else (
            self.people[where] if isinstance(where, str) else where)
        messages = [s for s in self.api.in_chat(chat_id) if s.method in ("sendMessage", "sendDocument")]
        assert messages, f"nothing sent to {where}"
        return messages[-1]

    def buttons(self, message: Sent) -> list[str]:
        current = self.api.message(message.result["chat"]["id"], message.result["message_id"])
        return [b["text"] for row in (current.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]

    def current_text(self, message: Sent) -> str:
        return self.api.message(message.result["chat"]["id"], message.result["message_id"]).get("text", "")

    def group_texts(self) -> list[str]:
        """Every text the bot put into a group, including edits."""
        out = []
        for s in self.api.sent:
            if s.error is None and s.chat_type in ("group", "supergroup") and s.text:
                out.append(s.text)
        return out

    def transcript(self) -> str:
        names = {v: k for k, v in self.people.items()}
        titles = {g["id"]: k for k, g in self.groups.items()}
        lines = []
        for s in self.api.sent:
            if s.error or s.method not in ("sendMessage", "editMessageText", "sendDocument"):
                continue
            where = titles.get(s.chat_id) or f"私聊:{names.get(s.chat_id, s.chat_id)}"
            buttons = " ".join(f"[{b['text']}]" for row in s.buttons for b in row)
            lines.append(f"{where} {s.method}: {s.text} {buttons}")
        return "\n".join(lines)
