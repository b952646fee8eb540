"""`hotline-bot demo`: a scripted day of the bureau, through the real bot and the local Bot API server.

One ticket of each channel goes from intake to closing through every role
(the 12345 one with an extension, and a knowledge-base search), one is
returned, the 962200 one comes back dissatisfied from the follow-up, and the
same citizen calls again (a repeat); the conversation is printed as the users
see it, with the Word forms it produced. No token and no network are needed.
"""

from __future__ import annotations

import tempfile
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from bot.app import build_application
from bot.calendar import WorkCalendar
from bot.organisation import apply_config
from bot.rules import load_rules
from bot.sandbox.localapi import LocalBotApi
from bot.sandbox.transcript import Chat
from bot.services import Services
from storage import queries
from storage.db import Database

START = "2026-09-29T08:50"  # a Tuesday, the day before the National Day holiday
CSV_962200 = (
    "渠道,工单号,来电时间,工单来源,联系人,联系电话,联系地址,内容描述,服务类别,业务类别\n"
    "962200,962200-20260929-017,2026-09-29 08:40,962200,钱七,13500004444,永丰街道玉树路300号,"
    "咨询高龄老人综合津贴申请条件及所需材料。,咨询类,养老服务\n"
)
# The knowledge base the office keeps, from the repository's examples (absent from an installed wheel).
POLICIES = Path(__file__).resolve().parents[2] / "examples" / "kb" / "policies.md"
PETITION = """渠道：信访
信访件编号：XF2026-0931
来访时间：2026-09-28 16:30
工单来源：来信
来访人：赵六
联系电话：13600003333
联系地址：中山街道中山中路1号
业务类别：优抚安置
内容描述：来信反映其父亲优抚待遇10月起未按时发放，要求补发。"""


@dataclass(frozen=True)
class Group:
    name: str  # as the transcript and the script call it: "社会救助科群"
    chat_id: int
    department: str  # the code of the department bound to it

    @property
    def title(self) -> str:
        """The group's title in Telegram."""
        return self.name.removesuffix("群")


@dataclass(frozen=True)
class Bureau:
    organisation: dict  # departments and members, as an administrator's configuration has them
    people: dict[str, int]  # name -> Telegram user id
    groups: list[Group]


def load_bureau() -> Bureau:
    """The demo's bureau, from demo.toml next to this module."""
    with resources.files(__package__).joinpath("demo.toml").open("rb") as fh:
        config = tomllib.load(fh)
    groups = [Group(**group) for group in config.pop("groups")]
    people = {member["name"]: member["telegram_id"] for member in config["members"]}
    return Bureau(config, people, groups)


class DemoClock:
    def __init__(self, start: datetime):
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def now(self) -> datetime:
        return self.moment

    def tick(self, minutes: int = 7) -> None:
        self.moment += timedelta(minutes=minutes)


async def steps(chat: Chat, clock: DemoClock, name: str, actions: list[tuple[str, str]]) -> None:
    """A person answering a form: ("tap", button) or ("say", text), a minute apart."""
    for how, value in actions:
        clock.tick(1)
        if how == "tap":
            await chat.tap(name, last_with_buttons(chat, name), value)
        elif how == "say":
            await chat.say(name, value)
        else:
            await chat.send_photo(name)


def last_with_buttons(chat: Chat, name: str):
    for sent in reversed(chat.api.in_chat(chat.people[name])):
        if sent.method == "sendMessage" and chat.buttons(sent):
            return sent
    raise LookupError(f"no message with buttons for {name}")


HOTLINE_REPLY = [("tap", "刚刚"), ("tap", "电话"), ("say", "岳阳街道、低保业务系统"), ("tap", "否"), ("tap", "属实"),
                 ("say", "申请材料已齐全，因街道审核积压未及时审批"), ("tap", "诉求合理"), ("tap", "跳过"),
                 ("say", "《上海市社会救助办法》第十二条"), ("say", "已督促街道三日内完成审核\n已告知后续发放时间"),
                 ("tap", "完成"), ("say", "经核实情况属实，已督促办理，市民表示接受"), ("tap", "实际解决"),
                 ("tap", "接受"), ("tap", "满意"), ("photo", ""), ("tap", "完成")]


async def day(chat: Chat, clock: DemoClock) -> None:
    office, group = "王芳", "社会救助科群"
    # 1. 12345, by the guided form
    await chat.say(office, "/new")
    await steps(chat, clock, office, [("tap", "12345市民服务热线"), ("tap", "普通工单"), ("tap", "☐市级催办"),
                                      ("tap", "完成"), ("tap", "社会救助"), ("say", "2026092900123"),
                                      ("say", "今天 8:45"), ("tap", "刚刚"), ("tap", "来电"), ("say", "张三"),
                                      ("say", "13812345678"),
                                      ("say", "岳阳街道人民路100弄5号101室"),
                                      ("say", "来电反映其母亲低保申请已提交两个月仍无结果，要求尽快办理。"),
                                      ("tap", "确认登记"), ("tap", "已联"), ("tap", "⭐社会救助科")])
    clock.tick(20)
    await chat.tap("李强", chat.last_in(group), "受理")
    await chat.tap("李强", chat.last_in(group), "申请延期")
    await steps(chat, clock, "李强", [("say", "2"), ("say", "需等待街道入户核查结果")])
    clock.tick(10)
    await chat.tap("陈刚", last_with_buttons(chat, "陈刚"), "同意延期")
    await chat.say("李强", "/kb 低保 审批时限")
    await chat.say("李强", "/start r1")
    await steps(chat, clock, "李强", [("tap", "求助类或投诉类办结报告（附件3一）"), *HOTLINE_REPLY, ("tap", "提交审批")])
    clock.tick(30)
    await chat.tap("陈刚", last_with_buttons(chat, "陈刚"), "同意")
    clock.tick(10)
    await chat.tap(office, chat.last_in("局办公室群"), "审核通过")
    await chat.tap(office, chat.last_in("局办公室群"), "生成签批表并报审")
    await steps(chat, clock, office, [("tap", "交办意见"), ("say", "请社会救助科督促街道三日内完成审核，并答复市民。"),
                                      ("tap", "确认无误，报审")])
    clock.tick(25)
    await chat.tap("孙伟", last_with_buttons(chat, "孙伟"), "同意")
    clock.tick(5)
    await chat.tap(office, chat.last_in("局办公室群"), "已完成系统答复")

    # 2. a petition, pasted from the city system
    clock.tick(15)
    await chat.say(office, PETITION)
    await steps(chat, clock, office, [("tap", "确认登记"), ("tap", "未联·始终未接"), ("tap", "⭐社会救助科")])
    clock.tick(15)
    await chat.tap("李强", chat.last_in(group), "受理")
    await chat.tap(office, chat.last_in("局办公室群"), "已寄出受理告知书")
    await chat.say("李强", "/start r2")
    await steps(chat, clock, "李强", [
        ("tap", "刚刚"), ("tap", "面谈"), ("tap", "跳过"), ("tap", "无实际现场"), ("tap", "部分属实"),
        ("say", "9月待遇已发放，10月因户籍信息变更暂缓"), ("tap", "跳过"), ("tap", "跳过"),
        ("say", "父亲的优抚待遇10月起未按时发放"), ("tap", "跳过"), ("say", "补发待遇"),
        ("say", "10月待遇因户籍信息变更暂缓发放，变更已办结"), ("say", "《军人抚恤优待条例》第二十条"),
        ("say", "已为其父办理户籍信息变更"), ("tap", "完成"), ("tap", "跳过"), ("say", "支持补发10月待遇"),
        ("say", "松江区人民政府"), ("tap", "实际解决"), ("tap", "接受"), ("tap", "认可"), ("tap", "完成"),
        ("tap", "提交审批")])
    clock.tick(20)
    await chat.tap("陈刚", last_with_buttons(chat, "陈刚"), "同意")
    await chat.tap(office, chat.last_in("局办公室群"), "审核通过")
    await chat.tap(office, chat.last_in("局办公室群"), "提交答复报审")
    await steps(chat, clock, office, [("tap", "查明的情况"),
                                      ("say", "您父亲9月待遇已发放，10月待遇因户籍信息变更暂缓发放"),
                                      ("tap", "确认无误，报审")])
    clock.tick(40)
    await chat.tap("孙伟", last_with_buttons(chat, "孙伟"), "同意")
    await chat.tap(office, chat.last_in("局办公室群"), "录入上海分系统")
    await chat.say(office, "SH-XF-2026-0931-01")
    await chat.tap(office, chat.last_in("局办公室群"), "登记挂号信号码")
    await chat.say(office, "XA123456789CN")

    # 3. 962200, from an exported file
    clock.tick(10)
    await chat.send_file(office, "962200-0929.csv", CSV_962200.encode())
    await chat.say(office, "/ticket_SJMZ_2026_000003")
    await steps(chat, clock, office, [("tap", "⭐养老服务科")])
    clock.tick(10)
    await chat.tap("周丽", chat.last_in("养老服务科群"), "受理")
    await chat.say("周丽", "/start r3")
    await steps(chat, clock, "周丽", [
        ("tap", "咨询类或意见建议类办结报告（附件3二）"), ("tap", "刚刚"), ("tap", "电话"), ("say", "永丰街道"),
        ("tap", "无实际现场"), ("tap", "有政策信息"), ("say", "来电人父亲年满80周岁，户籍在本区"), ("tap", "诉求合理"),
        ("tap", "跳过"), ("say", "《上海市老年综合津贴实施办法》"), ("say", "已告知申请条件与所需材料"), ("tap", "完成"),
        ("tap", "跳过"), ("tap", "解释说明"), ("tap", "接受"), ("tap", "满意"), ("tap", "完成"), ("tap", "提交审批")])
    clock.tick(15)
    await chat.tap("吴军", last_with_buttons(chat, "吴军"), "同意")
    await chat.tap(office, chat.last_in("局办公室群"), "审核通过")
    await chat.tap(office, chat.last_in("局办公室群"), "已完成系统答复")

    # the district's follow-up finds the citizen dissatisfied: report, signature, verification, the leaders told
    clock.tick(30)
    await chat.say(office, "/ticket SJMZ-2026-000003")
    await steps(chat, clock, office, [("tap", "区级回访"), ("tap", "区级回访·不满意")])
    await chat.tap("周丽", chat.last_in("养老服务科群"), "提交情况报告")
    await steps(chat, clock, "周丽", [("say", "市民希望当场办理，津贴须本人提交申请材料"),
                                      ("say", "电话两次说明申请流程，并告知可通过一网通办在线申请"),
                                      ("photo", ""), ("tap", "完成")])
    clock.tick(15)
    await chat.tap("吴军", last_with_buttons(chat, "吴军"), "签字确认")
    await chat.tap(office, chat.last_in("局办公室群"), "核查通过")
    await chat.say(office, "科室已履职到位，已向市民再次解释")
    await chat.say(office, "/problems")

    # 4. a return: the department asks, the leader agrees, the office returns it
    clock.tick(20)
    await chat.say(office, "/new")
    await steps(chat, clock, office, [("tap", "12345市民服务热线"), ("tap", "普通工单"), ("tap", "完成"),
                                      ("tap", "社会救助"), ("say", "2026092900456"), ("tap", "刚刚"), ("tap", "刚刚"),
                                      ("tap", "来电"), ("say", "李四"), ("say", "13900001111"), ("say", "九亭镇涞寅路88号"),
                                      ("say", "来电要求撤销法院已判决的赡养费纠纷结果。"), ("tap", "确认登记"),
                                      ("tap", "已联"), ("tap", "⭐社会救助科")])
    clock.tick(15)
    await chat.tap("李强", chat.last_in(group), "申请退单")
    await steps(chat, clock, "李强", [("say", "属法院已判决的民事纠纷，依《信访工作条例》第三十一条不予受理"),
                                      ("photo", ""), ("tap", "完成")])
    clock.tick(20)
    await chat.tap("陈刚", last_with_buttons(chat, "陈刚"), "同意退单")
    clock.tick(10)
    await chat.tap(office, chat.last_in("局办公室群"), "已按原渠道退回")

    # 5. the same citizen calls again: the new ticket is linked to the earlier one and shows its history
    clock.tick(20)
    await chat.say(office, "/new")
    await steps(chat, clock, office, [("tap", "12345市民服务热线"), ("tap", "普通工单"), ("tap", "完成"),
                                      ("tap", "社会救助"), ("say", "2026092900789"), ("tap", "跳过"), ("tap", "刚刚"),
                                      ("tap", "来电"), ("say", "张三"), ("say", "13812345678"),
                                      ("say", "岳阳街道人民路100弄5号101室"),
                                      ("say", "再次来电询问其母亲低保审批进度。"), ("tap", "确认登记"),
                                      ("tap", "已联"), ("tap", "⭐社会救助科")])
    clock.tick(10)
    await chat.tap("李强", chat.last_in(group), "受理")
    # 规程 三(三)5: the repeat is not factual; the department proves it, the leader signs, the office applies
    await chat.say(office, "/ticket SJMZ-2026-000005")
    await chat.tap(office, chat.last_in(office), "要求提供不属实材料")
    clock.tick(30)
    await chat.tap("李强", chat.last_in(group), "提交情况报告")
    await steps(chat, clock, "李强", [("say", "其母亲低保已于9月29日审批通过，10月起发放，市民所称“两个月无结果”不属实"),
                                      ("say", "调取低保系统审批记录，电话告知市民审批结果及发放时间"),
                                      ("photo", ""), ("tap", "完成")])
    clock.tick(15)
    await chat.tap("陈刚", last_with_buttons(chat, "陈刚"), "签字确认")
    await chat.tap(office, chat.last_in("局办公室群"), "核查通过")
    await chat.say(office, "低保系统审批记录与科室所述一致")


async def run_demo(out_dir: Path | None = None, echo=print) -> int:
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="hotline-demo-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    rules = load_rules()
    clock = DemoClock(datetime.fromisoformat(START).replace(tzinfo=rules.tz))
    db = Database(f"sqlite:///{out_dir / 'demo.db'}")
    db.upgrade()
    bureau = load_bureau()
    with db.session() as session:
        apply_config(session, bureau.organisation)
        for group in bureau.groups:
            department = queries.department_by_code(session, group.department)
            queries.bind_chat(session, group.chat_id, department.id, group.title, None, clock())
    api = LocalBotApi().start()
    hotline = Services(db, rules, WorkCalendar(), clock, files_dir=out_dir / "forms")
    app = build_application(hotline, api.token, api.base_url, api.base_file_url, group_rate=0, jobs=False,
                            second_pace=False)
    await app.initialize()
    chat = Chat(api, app, bureau.people, {group.name: group.chat_id for group in bureau.groups}, clock)
    for name, user_id in bureau.people.items():
        api.started_private.add(user_id)
        api.private(api.user(user_id, name))
    try:
        if POLICIES.exists():
            await chat.send_file("王芳", "policies.md", POLICIES.read_bytes())
        await day(chat, clock)
        produced = []
        for ticket_id, numbers in ((1, (1, 3, 4)), (2, (1, 2, 6)), (3, (1, 3)), (5, (1, 5))):
            for number in numbers:
                produced.append(await hotline.run(hotline.documents.form_file, ticket_id, number, True))
    finally:
        await app.shutdown()
        api.stop()
    echo(chat.transcript())
    echo("")
    with db.session() as session:
        for ticket_id in (1, 2, 3, 4, 5):
            ticket = queries.ticket(session, ticket_id)
            echo(f"{ticket.internal_no} {ticket.channel:8} {ticket.status}")
    echo("")
    echo("Word 表单：")
    for path in sorted(set(produced) | set((out_dir / "forms").glob("*.docx"))):
        echo(f"  {path}")
    echo(f"数据库：{out_dir / 'demo.db'}")
    return 0
