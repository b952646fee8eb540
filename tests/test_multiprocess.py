"""Several processes, one truth: two `hotline-bot run` processes on one PostgreSQL database send each message
once and keep every group's pace; `kill -9` in the middle of a burst of taps loses none and doubles none;
a day's tickets for ten groups draw no 429 from a server that enforces Telegram's limits."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import build_application
from bot.calendar import WorkCalendar
from bot.organisation import apply_config
from bot.rules import load_rules
from bot.sandbox.localapi import SENDS, Limits, LocalBotApi
from bot.services import Services
from bot.workflow import AskReturn, CreateTicket, Dispatch, EvidenceIn, RecordFirstContact
from storage import queries
from storage.db import Database
from storage.models import InboxUpdate, Outbox, TicketEvent
from tests.helpers.db import PG_URL
from tests.helpers.org import GROUPS, ORGANISATION, PEOPLE, actor_of
from tests.helpers.processes import Bots, organisation_toml, pg_schema, wait_until

RUN_SECONDS = 120  # each of these tests ends well within this, or fails


def prepare(url: str, api: LocalBotApi, folder: Path, organisation: dict, groups: list) -> tuple[Database, Path]:
    """The database migrated, the organisation loaded and its groups bound; the chats known to the server."""
    db = Database(url)
    db.upgrade()
    with db.session() as session:
        apply_config(session, organisation)
        for title, chat_id, code in groups:
            department = queries.department_by_code(session, code)
            queries.bind_chat(session, chat_id, department.id, title, None, now())
            api.group(chat_id, title)
    for member in organisation["members"]:
        user = api.user(member["telegram_id"], member["name"])
        api.private(user)
        api.started_private.add(user["id"])
    config = folder / "hotline.toml"
    config.write_text(organisation_toml(organisation), encoding="utf-8")
    return db, config


def now() -> datetime:
    return datetime.now(UTC)


def register(hotline: Services, office, number: str, department_id: int, channel: str = "12345") -> int:
    kind = "ordinary" if channel == "12345" else None
    outcome = hotline.workflow.do(office, CreateTicket(channel, number, now(), f"{number} 反映低保问题",
                                                       kind, phone=f"139{abs(hash(number)) % 10**8:08d}"))
    assert outcome.ok, outcome.refusal
    if channel != "962200":
        hotline.workflow.do(office, RecordFirstContact(outcome.ticket_id, "contacted"))
    assert hotline.workflow.do(office, Dispatch(outcome.ticket_id, department_id)).ok
    return outcome.ticket_id


def delivered(api: LocalBotApi) -> list:
    return [s for s in api.sent if s.method in SENDS and s.error is None]


def duplicates(api: LocalBotApi) -> dict:
    """The same message twice in one chat: text, or a file by name."""
    def key(s):
        document = s.params.get("document")
        return (s.chat_id, s.method, s.text or (document.get("filename") if isinstance(document, dict) else ""))
    return {k: n for k, n in Counter(key(s) for s in delivered(api)).items() if n > 1}


def most_in_a_minute(api: LocalBotApi, chat_id: int) -> int:
    times = sorted(s.at for s in delivered(api) if s.chat_id == chat_id)
    return max((sum(1 for t in times if start <= t < start + 60) for start in times), default=0)


def cards_of(api: LocalBotApi, user_id: int, button: str) -> dict[str, dict]:
    """The latest card per ticket number in a private chat that has the button."""
    out = {}
    for s in delivered(api):
        if s.chat_id == user_id and any(b["text"] == button for row in s.buttons for b in row):
            out[s.text.split("<b>")[1].split("</b>")[0] if "<b>SJMZ" in s.text else s.text[:40]] = s.result
    return out


def answers(api: LocalBotApi) -> Counter:
    return Counter(s.params.get("callback_query_id") for s in api.sent
                   if s.method == "answerCallbackQuery" and s.error is None)


def pending(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (session.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "pending")),
                session.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None))))


def processed(db: Database) -> int:
    """Presses the inbox has marked done."""
    with db.session() as session:
        return sum("callback_query" in payload for payload in session.scalars(
            select(InboxUpdate.payload).where(InboxUpdate.done_at.is_not(None))))


def accepted(db: Database) -> Counter:
    with db.session() as session:
        return Counter(session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.action == "accept")))


def ask_for_cards(api: LocalBotApi, who: str, numbers: list[str]) -> dict[str, dict]:
    """One /ticket after another, as a person types them (about one a second where the chat's pace is
    enforced)."""
    user = api.user(PEOPLE[who], who)
    for count, number in enumerate(numbers, 1):
        api.send_text(user, f"/ticket_{number.replace('-', '_')}")
        assert wait_until(lambda n=count: len(cards_of(api, PEOPLE[who], "受理")) >= n, 30), f"{number} not shown"
        time.sleep(1.0 if api.limits else 0)
    return cards_of(api, PEOPLE[who], "受理")


@pytest.mark.skipif(not PG_URL, reason="HOTLINE_TEST_POSTGRES_URL not set")
def test_two_processes_send_each_message_once_and_keep_every_groups_pace(tmp_path):
    with LocalBotApi(limits=Limits()) as api, pg_schema(PG_URL) as url:
        db, config = prepare(url, api, tmp_path, ORGANISATION, GROUPS)
        hotline = Services(db, load_rules(), WorkCalendar(), files_dir=tmp_path / "forms")
        office = actor_of(db, PEOPLE["王芳"])
        with db.session() as session:
            departments = {code: queries.department_by_code(session, code).id for code in ("jiuzhu", "yanglao")}
        bots = Bots(api, url, config, tmp_path)
        try:
            bots.start("a")
            bots.start("b")
            assert wait_until(lambda: sum(s.method == "setMyCommands" for s in api.sent) == 2, 30), bots.logs()
            numbers = {code: [] for code in departments}
            for n in range(16):  # registered while both processes deliver
                code = ("jiuzhu", "yanglao")[n % 2]
                register(hotline, office, f"MP-{n:02d}", departments[code])
                numbers[code].append(f"SJMZ-2026-{n + 1:06d}")
            taps = []
            for who, code in (("李强", "jiuzhu"), ("周丽", "yanglao")):
                cards = ask_for_cards(api, who, numbers[code])
                user = api.user(PEOPLE[who], who)
                for card in cards.values():
                    data = next(b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row
                                if b["text"] == "受理")
                    taps += [api.press(user, card, data)["callback_query"]["id"] for _ in range(2)]
            assert wait_until(lambda: all(answers(api)[t] for t in taps) and pending(db) == (0, 0), RUN_SECONDS), \
                bots.logs()
        finally:
            bots.stop_all()
        sent, twice = delivered(api), duplicates(api)
        paces = {title: most_in_a_minute(api, chat_id) for title, chat_id, _ in GROUPS}
        print(f"\ntwo processes: {len(sent)} messages, {len(twice)} duplicates, {api.too_many} × 429, "
              f"{len(taps)} taps, most in a minute per group {paces}")
        assert twice == {} and api.too_many == 0
        assert max(paces.values()) <= 20
        assert sorted(accepted(db).values()) == [1] * 16  # each ticket accepted once, whoever processed it
        assert "Traceback" not in bots.logs()


def test_kill_9_mid_burst_loses_no_tap_and_doubles_none(tmp_path):
    """The bot is killed four times while taps arrive; every tap is then applied once or refused with an
    answer; a tap too old to answer when it is processed still takes effect and edits its card."""
    with LocalBotApi(callback_ttl=15.0) as api:
        url = f"sqlite:///{tmp_path}/kill.db"
        db, config = prepare(url, api, tmp_path, ORGANISATION, GROUPS)
        hotline = Services(db, load_rules(), WorkCalendar(), files_dir=tmp_path / "forms")
        office = actor_of(db, PEOPLE["王芳"])
        with db.session() as session:
            jiuzhu = queries.department_by_code(session, "jiuzhu").id
        numbers = [f"SJMZ-2026-{register(hotline, office, f'K-{n:02d}', jiuzhu, '962200'):06d}" for n in range(20)]
        bots = Bots(api, url, config, tmp_path)
        kills, taps, rng = 0, [], random.Random(12)
        try:
            bots.start("k")
            cards = ask_for_cards(api, "李强", numbers)
            user = api.user(PEOPLE["李强"], "李强")
            presses = []
            for card in cards.values():
                data = next(b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row
                            if b["text"] == "受理")
                presses += [(card, data), (card, data)]  # every button tapped twice
            for chunk in range(4):
                for card, data in presses[chunk * 10:(chunk + 1) * 10]:
                    taps.append(api.press(user, card, data)["callback_query"]["id"])
                # killed in the middle: once the process has begun on this chunk, before it is through
                begun = len(taps) - 10
                wait_until(lambda n=begun: processed(db) > n, 20)
                time.sleep(rng.uniform(0.0, 0.3))
                bots.kill("k")
                kills += 1
                bots.start("k")
            assert wait_until(lambda: pending(db) == (0, 0) and api.delivered_offset > max(map(int, taps)), 90), \
                bots.logs()
        finally:
            bots.stop_all()
        told = answers(api)
        too_old = [t for t in taps if t in api.too_old and not told[t]]
        done = Counter(s.params.get("text") for s in api.sent
                       if s.method == "answerCallbackQuery" and s.error is None and s.params.get("callback_query_id") in taps)
        still_open = [n for n, card in cards.items()
                      if "受理" in str(api.message(card["chat"]["id"], card["message_id"]).get("reply_markup"))]
        print(f"\nkill -9 ×{kills} ({processed(db)} presses done in the inbox): {len(taps)} taps, {sum(accepted(db).values())} transitions for {len(numbers)} "
              f"tickets, answers {dict(done)}, {len(too_old)} too old to answer, {len(still_open)} cards still open")
        assert sorted(accepted(db).values()) == [1] * len(numbers)  # each ticket accepted exactly once
        assert all(told[t] or t in api.too_old for t in taps)  # each tap answered, or past answering
        assert still_open == []  # every card shows the step taken, buttons gone


def ten_groups() -> tuple[dict, list]:
    departments = [{"code": "office", "name": "局办公室", "office": True}]
    members = [{"name": "王芳", "telegram_id": 1001, "roles": ["office"]}]
    groups = [("局办公室群", -1001, "office")]
    for n in range(10):
        departments.append({"code": f"d{n}", "name": f"第{n}科"})
        members += [{"name": f"办理{n}", "telegram_id": 2000 + n, "department": f"d{n}", "roles": ["handler"]},
                    {"name": f"分管{n}", "telegram_id": 3000 + n, "department": f"d{n}",
                     "roles": ["business_leader"]}]
        groups.append((f"第{n}科群", -2000 - n, f"d{n}"))
    return {"departments": departments, "members": members}, groups


async def test_five_hundred_tickets_for_ten_groups_draw_no_429(tmp_path, db):
    """Imported, dispatched, fifty returns asked of the departments' leaders (a photo and a card each): every group and every
    leader's private chat within Telegram's limits, the overall pace too."""
    organisation, groups = ten_groups()
    with LocalBotApi(limits=Limits()) as api:
        with db.session() as session:
            apply_config(session, organisation)
            for title, chat_id, code in groups:
                queries.bind_chat(session, chat_id, queries.department_by_code(session, code).id, title, None,
                                  now())
                api.group(chat_id, title)
        for member in organisation["members"]:
            api.private(api.user(member["telegram_id"], member["name"]))
            api.started_private.add(member["telegram_id"])
        hotline = Services(db, load_rules(), WorkCalendar(), files_dir=tmp_path / "forms")
        office = actor_of(db, 1001)
        with db.session() as session:
            ids = [queries.department_by_code(session, f"d{n}").id for n in range(10)]
        handlers = [actor_of(db, 2000 + n) for n in range(10)]
        photo = (EvidenceIn("photo", api.send_photo(api.user(2000, "办理0"))["message"]["photo"][0]["file_id"]),)
        api.take_updates()
        for n in range(500):
            ticket_id = register(hotline, office, f"I-{n:03d}", ids[n % 10], "962200")
            if n < 50:  # five of each department's the department asks to return: its leader asked in private
                assert hotline.workflow.do(handlers[n % 10], AskReturn(ticket_id, "不属本科职责", photo)).ok
        app = build_application(hotline, api.token, api.base_url, api.base_file_url, jobs=False)
        await app.initialize()
        try:
            deliverer = app.bot_data["deliverer"]
            started = time.monotonic()
            deadline = started + RUN_SECONDS
            while pending(db)[0] and time.monotonic() < deadline:
                await deliverer.flush()
                await asyncio.sleep(0.2)
        finally:
            await app.shutdown()
        sent = delivered(api)
        private = sum(1 for s in sent if s.chat_id > 0)
        print(f"\n500 tickets for 10 groups: {len(sent)} messages ({private} private), {api.too_many} × 429, "
              f"{pending(db)[0]} left, {time.monotonic() - started:.1f} s")
        assert pending(db)[0] == 0
        assert api.too_many == 0


def test_a_webhook_update_is_stored_then_processed_and_a_forged_one_refused(tmp_path):
    import hashlib
    import json
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LocalBotApi() as api:
        url = f"sqlite:///{tmp_path}/hook.db"
        db, config = prepare(url, api, tmp_path, ORGANISATION, GROUPS)
        bots = Bots(api, url, config, tmp_path)
        bots.env = {"HOTLINE_WEBHOOK_URL": "https://bot.example.org/hook", "HOTLINE_WEBHOOK_PORT": str(port)}
        try:
            bots.start("w")
            assert wait_until(lambda: any(s.method == "setWebhook" for s in api.sent), 30), bots.logs()
            hook = next(s for s in api.sent if s.method == "setWebhook")
            secret = hashlib.sha256(api.token.encode()).hexdigest()[:32]
            assert hook.params["secret_token"] == secret and hook.params["url"] == "https://bot.example.org/hook"
            update = api.send_text(api.user(PEOPLE["王芳"], "王芳"), "/whoami")
            api.take_updates()  # Telegram gives it to the webhook, not to getUpdates

            def post(token: str) -> int:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=json.dumps(update).encode(),
                                                 headers={"Content-Type": "application/json",
                                                          "X-Telegram-Bot-Api-Secret-Token": token})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        return response.status
                except urllib.error.HTTPError as err:
                    return err.code

            assert post("forged") == 403
            assert post(secret) == 200
            assert post(secret) == 200  # Telegram sent it twice: stored once, answered once
            assert wait_until(lambda: any("角色：局办公室" in s.text for s in delivered(api)), 30), bots.logs()
            assert wait_until(lambda: pending(db)[1] == 0, 10)
        finally:
            bots.stop_all()
        assert sum("角色：局办公室" in s.text for s in delivered(api)) == 1
