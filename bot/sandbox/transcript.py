"""A transcript driver: people type and tap; the real Application answers over HTTP through the local server.

Used by the end-to-end tests and by `hotline-bot demo`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.sandbox.localapi import ApiError, LocalBotApi, Sent, check_html


class Chat:
    def __init__(self, api: LocalBotApi, app: Application, people: dict[str, int], groups: dict[str, int],
                 clock=None):
        self.api = api
        self.app = app
        self.people = people  # name -> telegram user id
        # "社会救助科群" -> the group chat (titled "社会救助科" in Telegram)
        self.groups = {name: api.group(chat_id, name.removesuffix("群")) for name, chat_id in groups.items()}
        self.clock = clock
        self.log: list[tuple[int, str]] = []  # (index into api.sent when it happened, what a person did)

    def user(self, name: str) -> dict:
        return self.api.user(self.people[name], name)

    async def deliver(self) -> list[Sent]:
        """Hand every pending update to the Application; return what the bot sent meanwhile."""
        start = len(self.api.sent)
        while self.api.pending_updates():
            for raw in self.api.take_updates():
                await self.app.process_update(Update.de_json(raw, self.app.bot))
        return [s for s in self.api.sent[start:] if s.error is None]

    def _note(self, line: str) -> None:
        when = f"[{self.clock.now():%H:%M}] " if self.clock is not None and hasattr(self.clock, "now") else ""
        self.log.append((len(self.api.sent), when + line))

    async def say(self, name: str, text: str, group: str | None = None) -> list[Sent]:
        self._note(f"👤 {name} → {group or '私聊'}：{text}")
        chat = self.groups[group] if group else None
        self.api.send_text(self.user(name), text, chat)
        return await self.deliver()

    async def send_file(self, name: str, filename: str, data: bytes) -> list[Sent]:
        self._note(f"👤 {name} → 私聊：📎 {filename}")
        self.api.send_document(self.user(name), filename, data)
        return await self.deliver()

    async def send_photo(self, name: str) -> list[Sent]:
        self._note(f"👤 {name} → 私聊：🖼 照片")
        self.api.send_photo(self.user(name))
        return await self.deliver()

    async def tap(self, name: str, message: Sent | dict, shown: str) -> list[Sent]:
        """Tap the button whose text is `shown` on a message the bot sent."""
        result = message.result if isinstance(message, Sent) else message
        current = self.api.message(result["chat"]["id"], result["message_id"])
        for row in (current.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == shown and "callback_data" in button:
                    self._note(f"👆 {name} 点 [{shown}]")
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
        """What people did and what each of them saw, in order, as plain text."""
        names = {v: k for k, v in self.people.items()}
        titles = {g["id"]: k for k, g in self.groups.items()}
        notes = dict(self.log)
        lines = []
        shown = {"sendMessage": "", "editMessageText": "（更新）", "sendDocument": "📎 "}
        media = {"sendPhoto": "🖼 照片", "sendVoice": "🎙 录音", "sendAudio": "🎵 音频", "sendVideo": "🎬 视频"}
        shown.update(dict.fromkeys(media, ""))
        for index, s in enumerate(self.api.sent):
            if index in notes:
                lines.append(notes[index])
            if s.error or s.method not in shown:
                continue
            where = titles.get(s.chat_id) or f"私聊·{names.get(s.chat_id, s.chat_id)}"
            try:
                body = check_html(s.text)
            except ApiError:
                body = s.text
            if s.method == "sendDocument":
                body = (s.result or {}).get("document", {}).get("file_name", "") + (f" {body}" if body else "")
            elif s.method in media:
                body = media[s.method] + (f" {body}" if body else "")
            buttons = " ".join(f"[{b['text']}]" for row in s.buttons for b in row)
            text = "\n    ".join(body.strip().splitlines())
            lines.append(f"  🤖 → {where}{shown[s.method]}：{text}" + (f"\n    {buttons}" if buttons else ""))
        for index, note in self.log:
            if index >= len(self.api.sent):
                lines.append(note)
        return "\n".join(line.rstrip() for line in "\n".join(lines).splitlines())  # no trailing blanks
