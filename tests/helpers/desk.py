"""A small driver for the workflow core: who does what, and what the database then holds."""

from __future__ import annotations

from datetime import datetime

from bot.workflow import Accept, CreateTicket, Dispatch, RecordFirstContact, SaveReply, SubmitReply, Workflow
from storage import queries
from tests.helpers.clock import local

PETITION_LETTER = {"facts": "其母亲低保申请两个月未获审批", "requests": "尽快审批",
                   "judgement": "对您尽快审批的请求予以支持"}
FULL_REPLY = {
    "contact_manner": "phone",
    "verified_by": "岳阳街道",
    "site_visit": "yes",
    "fact_finding": "true",
    "demand_assessment": "reasonable",
    "basis": "《上海市社会救助办法》",
    "points": ["已说明低保申请条件", "已协调街道上门核查"],
    "summary": "经核实，来电人反映情况属实，已协调解决。",
    "result": "solved",
    "acceptance": "accepts",
    "satisfaction": "satisfied",
}


class Desk:
    def __init__(self, db, workflow: Workflow, org: dict):
        self.db = db
        self.workflow = workflow
        self.actors = org["actors"]
        self.departments = org["departments"]

    def do(self, who: str | None, command):
        actor = self.actors[who] if who else None
        return self.workflow.handle(self.db, actor, command)

    def ok(self, who: str, command):
        outcome = self.do(who, command)
        assert outcome.ok, (command, outcome.refusal and outcome.refusal.message)
        return outcome

    def new(self, channel: str, kind: str | None = None, received: str = "2026-09-29T09:00", **kw) -> int:
        values = {"external_no": f"{channel}-{received}-{kind}-{len(kw)}", "content": "反映低保申请问题",
                  "citizen_name": "张三", "phone": "13812345678", "address": "岳阳街道人民路100弄5号101室"}
        values.update(kw)
        outcome = self.ok("王芳", CreateTicket(channel=channel, kind=kind, received_at=local(received), **values))
        return outcome.ticket_id

    def to_department(self, ticket_id: int, department: str = "jiuzhu", contact: bool = True):
        if contact:
            self.ok("王芳", RecordFirstContact(ticket_id, "contacted"))
        return self.ok("王芳", Dispatch(ticket_id, self.departments[department]))

    def accepted_with_reply(self, ticket_id: int, handler: str = "李强", **reply) -> None:
        self.ok(handler, Accept(ticket_id))
        values = {**FULL_REPLY, "contact_time": self.now(), **reply}
        if self.ticket(ticket_id).channel == "petition":  # 附件2 needs its sentences (规程 二(一)2)
            values.setdefault("letter", PETITION_LETTER)
        self.ok(handler, SaveReply(ticket_id, values))
        self.ok(handler, SubmitReply(ticket_id))

    def now(self) -> datetime:
        return self.workflow.now()

    def ticket(self, ticket_id: int):
        with self.db.session() as session:
            return queries.ticket(session, ticket_id)

    def status(self, ticket_id: int) -> str:
        return self.ticket(ticket_id).status

    def stages(self, ticket_id: int) -> dict:
        """stage -> the latest row of it."""
        with self.db.session() as session:
            return {row.stage: row for row in queries.stages_of(session, ticket_id)}

    def open_stages(self, ticket_id: int) -> set[str]:
        with self.db.session() as session:
            return {row.stage for row in queries.open_stages(session, ticket_id)}

    def events(self, ticket_id: int):
        with self.db.session() as session:
            return queries.events_of(session, ticket_id)

    def outbox(self, ticket_id: int | None = None):
        with self.db.session() as session:
            return queries.outbox_of(session, ticket_id)

    def due(self, ticket_id: int, stage: str) -> str:
        row = self.stages(ticket_id)[stage]
        return self.workflow.calc.local(row.due_at).isoformat()
