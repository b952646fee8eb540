"""Transcripts of the timing rules: 退单 within the 处置时限 and one working day (规程 三(一)), dissatisfaction at
the reply and the evidence of 不属实 / 诉求过高 (规程 三(三)1、2)."""

from __future__ import annotations

import hashlib

from bot import forms
from bot.workflow import (
    Accept,
    ApproveReply,
    CreateTicket,
    Dispatch,
    RecordFirstContact,
    SaveReply,
    SubmitReply,
)
from storage import queries
from tests.helpers.bot import last_with, register_12345
from tests.helpers.clock import local
from tests.helpers.desk import FULL_REPLY
from tests.helpers.org import actor_of as actor


async def dispatched_12345(chat):
    """Registered and handed to 社会救助科 on Tue 2026-09-29 10:00; the group's card."""
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    return chat.last_in("社会救助科群")


async def ask_return(chat, group_card):
    await chat.tap("李强", group_card, "申请退单")
    await chat.say("李强", "属法院已受理的诉讼事项，依法不予受理")
    await chat.send_photo("李强")
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")


async def tick(chat, clock, moment: str):
    clock.moment = local(moment)
    hotline = chat.app.bot_data["services"]
    await hotline.run(hotline.clock.tick)
    await chat.app.bot_data["deliverer"].flush()


async def test_return_refused_after_the_departments_deadline(chat, clock):
    group_card = await dispatched_12345(chat)
    # 12345 普通工单, dispatched Tue 09-29: 6 working days (规程 二(二)2) are 09-30, 10-08, 10-09, 10-10 (Saturday,
    # a make-up day), 10-12, 10-13 — the 处置时限 ends Tue 10-13 23:59:59
    # a form opened before the deadline and finished after it: refused when submitted
    clock.moment = local("2026-10-13T23:50")
    await chat.tap("李强", group_card, "申请退单")
    await chat.say("李强", "属法院已受理的诉讼事项，依法不予受理")
    await chat.send_photo("李强")
    clock.moment = local("2026-10-14T00:05")
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    told = chat.last_in("李强").text
    assert "已超过处置时限（10月13日（周二）），不能再申请退单" in told, told
    assert not chat.api.in_chat(chat.people["陈刚"])  # nothing for the leader to decide
    # pressed after it: refused at once, before anything is typed
    await chat.tap("李强", group_card, "申请退单")
    assert "已超过处置时限（10月13日（周二））" in chat.answer()["text"]
    hotline = chat.app.bot_data["services"]
    assert hotline.tickets.get(1).status == "dispatched"


async def test_return_asked_on_the_last_day_of_the_deadline(chat, clock):
    group_card = await dispatched_12345(chat)
    clock.moment = local("2026-10-13T23:00")
    await ask_return(chat, group_card)
    assert "退单申请已提交" in chat.last_in("李强").text


async def test_return_decision_is_timed_and_the_path_warned(chat, clock, db):
    group_card = await dispatched_12345(chat)
    await ask_return(chat, group_card)
    request = chat.last_in("陈刚")
    # 规程 三(一) 退单流程应于1个工作日内完成: asked Tue 09-29, the one working day is Wed 09-30
    assert "请于 9月30日（周三） 前审批" in request.text
    # Thu 10-01 to Wed 10-07 are the National Day holiday: the warnings come on Thu 10-08 at working hours
    await tick(chat, clock, "2026-10-08T09:00")
    for leader in ("陈刚", "钱进"):
        warning = chat.last_in(leader).text
        assert "已超期" in warning and "审批退单申请 期限 9月30日（周三）" in warning, warning
    office = next(m.text for m in chat.api.in_chat(-1001) if m.text.startswith("🔴"))
    assert "退单流程（1个工作日） 期限 9月30日（周三）" in office and "审批退单申请" in office
    await chat.tap("陈刚", request, "同意退单")
    approved = chat.last_in("局办公室群")
    assert "请按原渠道退回（9月30日（周三） 前）" in approved.text  # still the path's one day
    await chat.tap("王芳", approved, "已按原渠道退回")
    with db.session() as session:
        assert queries.open_stages(session, 1) == []


def _ticket_at_reply(chat, db, number: str, **reply) -> int:
    h = chat.app.bot_data["services"]
    office, handler = actor(db, 1001), actor(db, 2001)
    t = h.workflow.do(office, CreateTicket("12345", number, local("2026-09-29T08:00"), "反映低保待遇", "ordinary",
                                           citizen_name="钱七", phone="13500004444")).ticket_id
    h.workflow.do(office, RecordFirstContact(t, "contacted"))
    with db.session() as session:
        jiuzhu = queries.department_by_code(session, "jiuzhu").id
    assert h.workflow.do(office, Dispatch(t, jiuzhu)).ok
    assert h.workflow.do(handler, Accept(t)).ok
    assert h.workflow.do(handler, SaveReply(t, {**FULL_REPLY, "contact_time": h.clock.now(), **reply})).ok
    return t


async def test_fact_finding_not_true_and_demand_too_high_need_evidence(chat, db):
    _ticket_at_reply(chat, db, "H-NT", fact_finding="not_true", result="explained", summary="")
    await chat.say("李强", "/start r1")
    await chat.tap("李强", chat.last_in("李强"), "提交审批")
    assert "缺少：开展工作过程及情况（办结汇报）、佐证材料" in chat.last_in("李强").text

    _ticket_at_reply(chat, db, "H-TH", demand_assessment="too_high", result="explained")
    await chat.say("李强", "/start r2")
    await chat.tap("李强", chat.last_in("李强"), "提交审批")
    assert "缺少：佐证材料" in chat.last_in("李强").text


async def test_dissatisfied_at_the_reply_opens_the_report(chat, db):
    t = _ticket_at_reply(chat, db, "H-DS", satisfaction="dissatisfied")
    await chat.say("李强", "/start r1")
    await chat.tap("李强", chat.last_in("李强"), "提交审批")
    await chat.tap("陈刚", chat.last_in("陈刚"), "同意")
    request = chat.last_in("社会救助科群")
    assert "市民对答复<b>不满意</b>" in request.text and "规程 三(三)1" in request.text
    assert chat.buttons(request) == ["提交情况报告"]
    h = chat.app.bot_data["services"]
    with db.session() as session:
        assert queries.open_problem(session, t).kind == "dissatisfied"
    # a satisfied reply opens none
    other = _ticket_at_reply(chat, db, "H-OK")
    assert h.workflow.do(actor(db, 2001), SubmitReply(other)).ok
    assert h.workflow.do(actor(db, 2002), ApproveReply(other)).ok
    with db.session() as session:
        assert queries.open_problem(session, other) is None


PHOTO = b"\x89PNG\r\n\x1a\n" + b"a photo of the court's notice" * 40
LETTER = b"%PDF-1.4 the court's letter of acceptance"


async def test_evidence_kept_by_the_bureau_and_opened_after_telegram_lost_it(chat, db, tmp_path):
    group_card = await dispatched_12345(chat)
    await chat.tap("李强", group_card, "申请退单")
    await chat.say("李强", "属法院已受理的诉讼事项，依法不予受理")
    chat.api.send_photo(chat.user("李强"), data=PHOTO)
    chat.api.send_document(chat.user("李强"), "受理通知书.pdf", LETTER, mime_type="application/pdf")
    await chat.deliver()
    assert "已收到文件（共 2 件）" in chat.last_in("李强").text
    # larger than the Bot API lets a bot download (getFile: 20 MB): a clear answer, nothing kept
    chat.api.send_document(chat.user("李强"), "录像.mp4", b"\0" * (20 * 1024 * 1024 + 1), mime_type="video/mp4")
    await chat.deliver()
    assert "该文件超过 20 MB，机器人无法下载保存为佐证" in chat.last_in("李强").text
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    assert "退单申请已提交" in chat.last_in("李强").text

    with db.session() as session:
        kept = queries.attachments_of(session, 1)
    assert [(a.kind, a.file_size, a.sha256) for a in kept] == [
        ("photo", len(PHOTO), hashlib.sha256(PHOTO).hexdigest()),
        ("document", len(LETTER), hashlib.sha256(LETTER).hexdigest())]
    assert kept[1].mime_type == "application/pdf" and kept[1].stored_path.endswith(".pdf")  # the type kept too
    store = tmp_path / "forms" / "evidence"
    for a in kept:
        assert (store / a.stored_path).read_bytes() in (PHOTO, LETTER)
        chat.api.forget_file(a.file_id)  # the chat is gone: Telegram no longer has either file

    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    detail = chat.last_in("王芳")
    assert "📎 佐证材料（2）" in detail.text and "受理通知书.pdf SHA-256 " + hashlib.sha256(LETTER).hexdigest()[:16] \
        in detail.text
    await chat.tap("王芳", detail, "查看佐证")
    sent = chat.api.in_chat(chat.people["王芳"])[-3:]
    assert [s.method for s in sent] == ["sendMessage", "sendPhoto", "sendDocument"]
    assert "佐证材料 2 件" in sent[0].text and "退单证明" in sent[1].text
    photo_id = sent[1].result["photo"][-1]["file_id"]
    letter = sent[2].result["document"]
    assert chat.api.files[photo_id][1] == PHOTO and chat.api.files[letter["file_id"]][1] == LETTER
    assert letter["file_name"] == "受理通知书.pdf"
    # a department's handler of another section may not open them
    chat.api.press(chat.user("周丽"), detail, "ev:1")
    await chat.deliver()
    assert not [s for s in chat.api.in_chat(chat.people["周丽"]) if s.method == "sendPhoto"]


async def test_the_forms_list_the_evidence(chat, db):
    group_card = await dispatched_12345(chat)
    await ask_return(chat, group_card)
    with db.session() as session:
        ticket = queries.ticket(session, 1)
        data = forms.form_data(session, ticket, chat.app.bot_data["services"].tickets.calc)
    assert [e["name"] for e in data["evidence"]] == ["照片1.jpg"]
    assert data["evidence"][0]["sha256"] == hashlib.sha256(b"\x89PNG").hexdigest()


async def test_call_time_apart_from_the_receipt_in_the_chat_form_and_form1(chat, db):
    """SPEC §9.1: the citizen called Monday evening, the bureau received it Tuesday 10:00; the 12345 普通工单's 7
    working days count from the receipt: 09-30, 10-08, 10-09, 10-10 (Saturday, a make-up day), 10-12, 10-13, 10-14."""
    await chat.say("王芳", "/new")
    for value in ("12345市民服务热线", "普通工单", "完成", "社会救助"):
        await chat.tap("王芳", chat.last_in("王芳"), value)
    await chat.say("王芳", "2026092900777")
    assert "来电/来访时间" in chat.last_in("王芳").text
    await chat.say("王芳", "9月28日 18:30")
    assert "局收到时间（期限起算）" in chat.last_in("王芳").text
    await chat.tap("王芳", chat.last_in("王芳"), "刚刚")
    await chat.tap("王芳", chat.last_in("王芳"), "来电")  # 工单来源
    for value in ("张三", "13812345678", "岳阳街道人民路100弄5号101室", "来电反映低保待遇问题"):
        await chat.say("王芳", value)
    confirm = chat.last_in("王芳").text
    assert "来电/来访时间：2026-09-28 18:30" in confirm and "局收到时间（期限起算）：2026-09-29 10:00" in confirm
    await chat.tap("王芳", chat.last_in("王芳"), "确认登记")
    card = chat.last_in("王芳").text
    assert "来电/来访：9月28日（周一）18:30" in card and "局收到：9月29日（周二）10:00（期限起算）" in card
    assert "办结时效：10月14日（周三）" in card  # from the receipt; from the call it would be 10-13
    await chat.say("王芳", "/form SJMZ-2026-000001 1")
    form1 = [m for m in chat.api.in_chat(chat.people["王芳"]) if m.method == "sendMessage"][-1].text
    assert "2026年9月28日 18:30" in form1 and "2026年9月29日" not in form1, form1


async def test_import_and_paste_keep_the_two_times(chat, db):
    csv = ("渠道,工单号,来电时间,收到时间,工单类型,联系电话,内容描述\n"
           "12345,H-A,2026-09-28 18:30,2026-09-29 09:00,普通工单,13800000001,反映养老补贴\n"
           "12345,H-B,2026-09-28 18:40,,普通工单,13800000002,反映低保\n").encode()
    await chat.send_file("王芳", "tickets.csv", csv)
    assert "导入 2 件" in chat.last_in("王芳").text
    await chat.say("王芳", "渠道：12345\n工单号：H-C\n工单类型：普通工单\n来电时间：2026-09-28 19:00\n"
                         "收到时间：2026-09-29 09:30\n内容描述：反映婚姻登记预约")
    await chat.tap("王芳", chat.last_in("王芳"), "确认登记")
    with db.session() as session:
        times = {t.external_no: (t.called_at, t.received_at) for t in (queries.ticket(session, i) for i in (1, 2, 3))}
    assert times == {
        "H-A": (local("2026-09-28T18:30"), local("2026-09-29T09:00")),
        "H-B": (local("2026-09-28T18:40"), local("2026-09-28T18:40")),  # no receipt column value: the call's
        "H-C": (local("2026-09-28T19:00"), local("2026-09-29T09:30")),
    }


def _registered(chat, db, number: str, received: str, kind: str = "ordinary", dispatch=True, **flags) -> int:
    h = chat.app.bot_data["services"]
    office = actor(db, 1001)
    t = h.workflow.do(office, CreateTicket("12345", number, local(received), "反映低保待遇", kind,
                                           phone=f"1350000{len(number):04d}{number[-1]}"[:11], **flags)).ticket_id
    if dispatch:
        assert h.workflow.do(office, RecordFirstContact(t, "contacted")).ok
        with db.session() as session:
            jiuzhu = queries.department_by_code(session, "jiuzhu").id
        assert h.workflow.do(office, Dispatch(t, jiuzhu)).ok
    return t


def _order(message: str, numbers: list[str]) -> list[str]:
    return sorted(numbers, key=message.index)


async def test_city_urged_and_threat_first_everywhere(chat, db, clock):
    clock.moment = local("2026-09-29T09:00")
    _registered(chat, db, "H-1", "2026-09-29T07:00", dispatch=False)  # registered first, nothing special
    _registered(chat, db, "H-2", "2026-09-29T08:00", dispatch=False, city_urged=True)  # 「请优先办理」
    _registered(chat, db, "H-3", "2026-09-29T08:30", kind="consultation", dispatch=False)
    _registered(chat, db, "H-4", "2026-09-29T08:40", dispatch=False, major_threat=True)  # 重大扬言, registered last
    numbers = ["SJMZ_2026_000001", "SJMZ_2026_000002", "SJMZ_2026_000003", "SJMZ_2026_000004"]
    first = {"SJMZ_2026_000002", "SJMZ_2026_000004"}
    await chat.say("王芳", "/todo")
    assert set(_order(chat.last_in("王芳").text, numbers)[:2]) == first  # all due 09-30; urged and threat first
    await chat.say("王芳", "/search 低保")
    assert set(_order(chat.last_in("王芳").text, numbers)[:2]) == first
    # Wed 09-30 08:30: the office's four hand-overs (1 working day from Tue) are all due today, 市级催办 and 扬言
    # first in the morning digest and in the warning
    await tick(chat, clock, "2026-09-30T08:30")
    expected = ["SJMZ_2026_000002", "SJMZ_2026_000004", "SJMZ_2026_000001", "SJMZ_2026_000003"]
    digest = next(m.text for m in reversed(chat.api.in_chat(-1001)) if "今日工单提要" in m.text)
    assert _order(digest, numbers) == expected and "SJMZ_2026_000002 先行联系并转交 9月30日（周三） 市级催办" in digest
    warning = next(m.text for m in reversed(chat.api.in_chat(-1001)) if m.text.startswith("🟠"))
    assert _order(warning, numbers) == expected


async def test_calming_call_timed_escalated_and_recorded(chat, db, clock):
    """规程 二(二)3(2) 扬言工单 即接即电话安抚: dispatched Tue 10:00, the call is due within 2 hours (rules.toml
    [stage.calming_call], the bureau's choice for 「即」): 12:00. Reminded at 11:05 (less than half the span left),
    escalated to the business leaders once it is overdue."""
    _registered(chat, db, "H-T", "2026-09-29T09:30", kind="threat")
    _registered(chat, db, "H-O", "2026-09-29T09:40")
    await chat.app.bot_data["deliverer"].flush()
    ask = next(m for m in chat.api.in_chat(-1002) if "即接即电话安抚" in m.text and "请于" in m.text)
    assert "9月29日（周二）12:00 前电话安抚" in ask.text
    await tick(chat, clock, "2026-09-29T11:05")
    soon = next(m.text for m in reversed(chat.api.in_chat(-1002)) if "即将到期" in m.text)
    assert "即将到期" in soon and "电话安抚市民 期限 9月29日（周二）12:00 ☎️" in soon
    assert not chat.api.in_chat(chat.people["陈刚"])  # not yet the leader's
    await tick(chat, clock, "2026-09-29T12:05")
    for leader in ("陈刚", "钱进"):
        assert "已超期" in chat.last_in(leader).text and "电话安抚市民" in chat.last_in(leader).text
    clock.moment = local("2026-09-29T12:10")
    await chat.tap("李强", ask, "已电话安抚")
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    assert "☎️ 已电话安抚：李强 9月29日（周二）12:10" in chat.last_in("王芳").text
    with db.session() as session:
        ticket = queries.ticket(session, 1)
        assert ticket.calmed_at == local("2026-09-29T12:10") and ticket.calmed_by_id is not None
        assert not queries.open_stages(session, 1, ["calming_call"])
