"""Forms the demo's day does not print, for render_forms.py to render next to the demo's: every channel and
result that fills a form differently, in the demo's bureau, on a database of their own.

- a 12345 复核工单, not reached at first contact (未联·始终关机), found 不属实, 未解决 on 附件4, no 工单来源 recorded;
- a 962200 ticket whose result is 其他 (with its text), 市民反馈 其他, and a 备注;
- a petition with every section of the letter (附件2) and its 受理告知书;
- a 12345 ticket the city's 回访 finds 不满意: report, signature, the office's check, and the 核查 report;
- a repeat found 不属实 with three pieces of evidence, one with a long file name, on 申请结单.

Their day is 2026-11-16, so the letters carry a date of another width than the demo's 9月29日.

    from form_variants import write_variants
    for title, path in write_variants(out_dir): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from bot.calendar import WorkCalendar
from bot.organisation import apply_config
from bot.rules import load_rules
from bot.sandbox.demo import DemoClock, load_bureau
from bot.services import Services
from bot.workflow import (
    Accept,
    Actor,
    ApproveReply,
    ApproveSignoff,
    CreateTicket,
    Dispatch,
    EvidenceIn,
    PassReview,
    RecordFirstContact,
    RecordFollowUp,
    RecordPlatformReply,
    RequestRepeatClosure,
    SaveReply,
    SendAcceptanceNotice,
    SignProblemReport,
    SubmitApprovalForm,
    SubmitFinalReply,
    SubmitProblemReport,
    SubmitReply,
    VerifyProblemReport,
)
from storage import queries
from storage.db import Database

START = "2026-11-16T09:00"  # a Monday


class Bureau:
    """The demo's bureau on its own database, each person acting by name through the services."""

    def __init__(self, out: Path):
        rules = load_rules()
        self.clock = DemoClock(datetime.fromisoformat(START).replace(tzinfo=rules.tz))
        out.mkdir(parents=True, exist_ok=True)
        (out / "variants.db").unlink(missing_ok=True)
        self.db = Database(f"sqlite:///{out / 'variants.db'}")
        self.db.upgrade()
        with self.db.session() as session:
            ids = apply_config(session, load_bureau().organisation)
            self.actors = {name: Actor.load(session, member_id) for name, member_id in ids.items()}
            self.departments = {d.code: d.id for d in queries.departments(session)}
        self.services = Services(self.db, rules, WorkCalendar(), self.clock, files_dir=out / "forms",
                                 evidence_dir=out / "evidence")

    def do(self, who: str, command) -> int | None:
        self.clock.tick(5)
        outcome = self.services.workflow.do(self.actors[who], command)
        if not outcome.ok:
            raise RuntimeError(f"{type(command).__name__} by {who}: {outcome.refusal.message}")
        return outcome.ticket_id

    def kept(self, kind: str, size: int, name: str | None = None, mime: str | None = None) -> EvidenceIn:
        """A file sent as evidence and kept in the bureau's store (made-up bytes of the given size)."""
        data = (name or kind).encode() * (size // len((name or kind).encode()) + 1)
        item = EvidenceIn(kind=kind, file_id=f"variant-{kind}-{size}", file_name=name, mime_type=mime)
        return self.services.evidence.keep(item, data[:size])

    def form(self, ticket_id: int, number: int) -> Path:
        return self.services.documents.form_file(ticket_id, number, True)

    def now(self) -> datetime:
        return self.clock()


def review_not_factual(b: Bureau) -> Iterator[tuple[str, Path]]:
    t = b.do("王芳", CreateTicket(channel="12345", kind="review", external_no="2026111600231", received_at=b.now(),
                                 citizen_name="钱美华", phone="13761234567", address="中山街道中山中路88弄3号602室",
                                 content="复核：来电称其子低保被无故取消，街道未告知原因，要求恢复低保待遇。",
                                 business_category="社会救助"))
    b.do("王芳", RecordFirstContact(t, "not_contacted", "switched_off"))
    b.do("王芳", Dispatch(t, b.departments["jiuzhu"], opinion="复核工单，请三个工作日内核实并答复。"))
    b.do("李强", Accept(t))
    b.do("李强", SaveReply(t, {
        "template": "help_complaint", "contact_time": b.now(), "contact_manner": "phone",
        "verified_by": "中山街道、低保业务系统", "site_visit": "yes", "fact_finding": "not_true",
        "fact_note": "其子2026年9月起有稳定工资收入，家庭人均收入超过本市低保标准，街道已于10月书面告知",
        "demand_assessment": "no_policy_basis", "demand_note": "家庭收入超过低保标准，恢复待遇无政策依据",
        "basis": "《上海市社会救助办法》第十条",
        "points": ["低保停发系因家庭收入变化，经街道入户核查并书面告知", "如收入再有变化，可重新向街道提出申请"],
        "summary": "经核实，来电人反映“无故取消、未告知原因”不属实，已向来电人说明停发依据及重新申请途径",
        "result": "not_true", "acceptance": "rejects", "satisfaction": "not_rated",
    }, evidence=(b.kept("photo", 182_000), b.kept("document", 96_000, "低保停发告知书.pdf", "application/pdf"))))
    b.do("李强", SubmitReply(t))
    b.do("陈刚", ApproveReply(t))
    b.do("王芳", PassReview(t))
    b.do("王芳", SubmitApprovalForm(t, {"resolved": "unsolved"}))
    b.do("孙伟", ApproveSignoff(t, comment="同意按不属实办结，请科室做好解释工作。"))
    for number in (1, 3, 4):
        yield "12345 复核工单 未联·始终关机 不属实 未解决（未登记工单来源）", b.form(t, number)


def other_result(b: Bureau) -> Iterator[tuple[str, Path]]:
    t = b.do("王芳", CreateTicket(channel="962200", external_no="962200-20261116-042", received_at=b.now(),
                                 source="来电", citizen_name="孙建国", phone="13524446666",
                                 address="永丰街道玉树路300弄12号", service_category="community_life",
                                 content="反映小区助餐点11月起停止供餐，老人用餐不便，希望恢复。",
                                 business_category="养老服务"))
    b.do("王芳", RecordFirstContact(t, "contacted"))
    b.do("王芳", Dispatch(t, b.departments["yanglao"]))
    b.do("周丽", Accept(t))
    b.do("周丽", SaveReply(t, {
        "template": "consult_suggestion", "contact_time": b.now(), "contact_manner": "meeting",
        "verified_by": "永丰街道社区事务受理服务中心", "site_visit": "yes", "fact_finding": "partly_true",
        "fact_note": "助餐点因场地改造暂停供餐，改由相邻的玉树社区长者食堂供餐", "demand_assessment": "other",
        "basis": "《上海市养老服务条例》第三十七条", "points": ["已告知临时供餐点的位置和时间", "场地改造预计12月底完成"],
        "summary": "已面谈说明暂停原因和临时安排", "result": "other", "result_other": "已转交街道社区服务中心跟进",
        "acceptance": "accepts", "satisfaction": "other", "note": "市民要求书面答复，已于11月16日寄出",
    }))
    b.do("周丽", SubmitReply(t))
    b.do("吴军", ApproveReply(t))
    b.do("王芳", PassReview(t))
    b.do("王芳", RecordPlatformReply(t))
    for number in (1, 3):
        yield "962200 处理结果其他 市民反馈其他 备注", b.form(t, number)


def petition_letter(b: Bureau) -> Iterator[tuple[str, Path]]:
    t = b.do("王芳", CreateTicket(channel="petition", external_no="XF2026-1116", received_at=b.now(), source="来信",
                                 citizen_name="周秀英", phone="13900007777", address="方松街道文诚路500弄7号",
                                 content="来信反映其丈夫去世后丧葬补助金至今未发放，要求尽快发放并说明原因。",
                                 business_category="社会救助"))
    b.do("王芳", RecordFirstContact(t, "contacted"))
    b.do("王芳", Dispatch(t, b.departments["jiuzhu"]))
    b.do("李强", Accept(t))
    b.do("王芳", SendAcceptanceNotice(t, "mail"))
    b.do("李强", SaveReply(t, {
        "contact_time": b.now(), "contact_manner": "meeting", "verified_by": "方松街道", "site_visit": "none",
        "fact_finding": "partly_true", "demand_assessment": "reasonable",
        "basis": "《上海市社会救助办法》第三十二条", "points": ["已补齐死亡证明材料", "补助金于11月20日前发放"],
        "summary": "经核实，补助金因缺少死亡证明暂缓发放，材料已补齐",
        "letter": {"facts": "您丈夫去世后，丧葬补助金至今未发放",
                   "reasons": "您已于9月向街道提交申请，两个月无人答复",
                   "requests": "尽快发放丧葬补助金并说明延迟原因",
                   "findings": "您于9月12日向方松街道提交申请，因缺少医院出具的死亡证明，街道于9月20日电话告知补交，"
                               "未留书面记录；您于11月10日补交后，街道已于11月13日审核通过",
                   "judgement": "对您发放丧葬补助金的请求予以支持，补助金将于11月20日前发放至您的银行账户；"
                                "对街道未书面告知补交材料一事，已责成街道改进",
                   "review_body": "松江区人民政府"},
        "result": "solved", "acceptance": "accepts", "satisfaction": "acknowledged",
    }))
    b.do("李强", SubmitReply(t))
    b.do("陈刚", ApproveReply(t))
    b.do("王芳", PassReview(t))
    b.do("王芳", SubmitFinalReply(t))
    b.do("孙伟", ApproveSignoff(t))
    for number in (1, 2, 6):
        yield "信访 答复信（附件2）与受理告知书", b.form(t, number)


def follow_up_dissatisfied(b: Bureau) -> Iterator[tuple[str, Path]]:
    t = b.do("王芳", CreateTicket(channel="12345", kind="ordinary", external_no="2026111600318", received_at=b.now(),
                                 source="网上留言", citizen_name="李建华", phone="13611118888",
                                 address="九亭镇沪亭北路99弄21号", business_category="社会救助",
                                 content="反映临时救助申请被拒，认为街道审核不公。"))
    b.do("王芳", RecordFirstContact(t, "contacted"))
    b.do("王芳", Dispatch(t, b.departments["jiuzhu"]))
    b.do("李强", Accept(t))
    b.do("李强", SaveReply(t, {
        "template": "help_complaint", "contact_time": b.now(), "contact_manner": "phone", "verified_by": "九亭镇",
        "site_visit": "no", "fact_finding": "true", "demand_assessment": "too_high",
        "basis": "《上海市临时救助实施办法》第八条", "points": ["已说明临时救助的条件", "已告知可申请其他帮扶"],
        "summary": "经核实，申请不符合临时救助条件，已解释说明", "result": "explained", "acceptance": "rejects",
        "satisfaction": "not_rated",
    }, evidence=(b.kept("photo", 150_000),)))  # 诉求过高 goes with its evidence (规程 三(三)2)
    b.do("李强", SubmitReply(t))
    b.do("陈刚", ApproveReply(t))
    b.do("王芳", PassReview(t))
    b.do("王芳", SubmitApprovalForm(t, {"resolved": "explained"}))
    b.do("孙伟", ApproveSignoff(t))
    b.do("王芳", RecordPlatformReply(t))
    b.do("王芳", RecordFollowUp(t, "city", "dissatisfied"))
    b.do("李强", SubmitProblemReport(t, "市民认为应予救助，申请不符合临时救助条件", "两次电话解释政策，并告知其他帮扶途径",
                                     (b.kept("document", 240_000, "临时救助审核表.pdf", "application/pdf"),
                                      b.kept("voice", 61_000))))
    b.do("陈刚", SignProblemReport(t))
    b.do("王芳", VerifyProblemReport(t, "审核材料齐全，科室已履职到位"))
    for number in (1, 4):
        yield "12345 市级回访不满意", b.form(t, number)


def repeat_with_evidence(b: Bureau) -> Iterator[tuple[str, Path]]:
    t = b.do("王芳", CreateTicket(channel="12345", kind="ordinary", external_no="2026111600402", received_at=b.now(),
                                 source="来电", citizen_name="钱美华", phone="13761234567", repeat=True,
                                 address="中山街道中山中路88弄3号602室", business_category="社会救助",
                                 content="再次来电反映其子低保被无故取消。"))
    b.do("王芳", RecordFirstContact(t, "contacted"))
    b.do("王芳", Dispatch(t, b.departments["jiuzhu"]))
    b.do("李强", Accept(t))
    b.do("王芳", RequestRepeatClosure(t))
    b.do("李强", SubmitProblemReport(t, "停发系因家庭收入超过低保标准，街道已书面告知，“无故取消”不属实",
                                     "调取低保系统记录和街道书面告知回执，电话再次说明",
                                     (b.kept("photo", 182_000),
                                      b.kept("voice", 61_000),
                                      b.kept("document", 1_450_000,
                                             "松江区低保业务系统停发记录及街道书面告知回执（2026年10月）.pdf",
                                             "application/pdf"))))
    b.do("陈刚", SignProblemReport(t))
    b.do("王芳", VerifyProblemReport(t, "系统记录与书面告知回执与科室所述一致"))
    for number in (1, 5):
        yield "重复件不属实 申请结单（三件佐证）", b.form(t, number)


VARIANTS = (review_not_factual, other_result, petition_letter, follow_up_dissatisfied, repeat_with_evidence)


def write_variants(out: Path) -> list[tuple[str, Path]]:
    """Every variant's forms, and the office's 核查 report of the problem tickets among them: (what, .docx)."""
    bureau = Bureau(out)
    produced = [item for variant in VARIANTS for item in variant(bureau)]
    documents = bureau.services.documents
    produced.append(("不满意及未回复工单核查情况报告", documents.summary_file(documents.problem_rows())))
    return produced
