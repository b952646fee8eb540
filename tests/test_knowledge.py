"""The knowledge base: import with versions, Chinese-aware ranked search, citing a policy in a reply."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from bot import knowledge
from storage import queries
from tests.helpers.desk import Desk

KB = Path(__file__).resolve().parent.parent / "examples" / "kb"


@pytest.fixture
def kb(db, clock):
    with db.session() as session:
        for path in sorted(KB.iterdir()):
            knowledge.save(session, knowledge.parse_file(path.name, path.read_bytes()), None, clock())
    return db


def search(db, query, limit=5):
    with db.session() as session:
        return knowledge.search(session, query, limit)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("低保 申请条件", "上海市城乡居民最低生活保障申请条件"),
        ("高龄津贴 多少钱", "高龄老人综合津贴"),
        ("婚姻登记 预约不上", "婚姻登记预约办理"),
        ("低保审批太慢", "最低生活保障审批时限"),
        ("父亲优抚待遇没发", "优抚对象待遇什么时候发放？"),
        ("殡葬费用减免", "惠民殡葬基本服务补贴"),
    ],
)
def test_real_sounding_queries(kb, query, first):
    hits = search(kb, query)
    assert hits and hits[0].title == first, [(h.title, h.score) for h in hits]


def test_ranking_snippet_and_nothing_found(kb):
    hits = search(kb, "低保 申请条件")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "低保" in hits[0].snippet and hits[0].source == "上海市民政局"
    assert search(kb, "量子计算") == []
    assert search(kb, "   ") == []


def test_an_update_keeps_the_old_version(kb, clock):
    text = ("# 高龄老人综合津贴\n来源：上海市民政局\n日期：2026-01-01\n类别：养老服务\n"
            "年满65周岁的本市户籍老年人按月领取，100周岁及以上每人每月650元。\n")
    with kb.session() as session:
        assert knowledge.save(session, knowledge.parse_markdown(text), None, clock()) == (0, 1)
        assert knowledge.save(session, knowledge.parse_markdown(text), None, clock()) == (0, 0)  # unchanged
        versions = queries.knowledge_versions(session, "上海市民政局|高龄老人综合津贴")
    assert [(v.version, v.current) for v in versions] == [(1, False), (2, True)]
    assert search(kb, "高龄津贴")[0].id == versions[1].id  # search sees the current version only


def test_docx_and_bad_files(tmp_path):
    document = Document()
    for line in ("困难群众临时救助", "来源：松江区民政局", "日期：2025-06-01", "类别：社会救助", "遭遇突发事件的家庭可申请临时救助。"):
        document.add_paragraph(line)
    path = tmp_path / "entry.docx"
    document.save(path)
    (draft,) = knowledge.parse_file(path.name, path.read_bytes())
    assert (draft.title, draft.source, draft.category, str(draft.published)) == (
        "困难群众临时救助", "松江区民政局", "社会救助", "2025-06-01")
    assert draft.body == "遭遇突发事件的家庭可申请临时救助。"
    with pytest.raises(knowledge.KnowledgeError):
        knowledge.parse_file("x.pdf", b"%PDF")
    with pytest.raises(knowledge.KnowledgeError):
        knowledge.parse_file("x.md", "没有标题的文字".encode())
    with pytest.raises(knowledge.KnowledgeError, match="第2行"):
        knowledge.parse_file("x.csv", "问题,答案\n只有问题,\n".encode())
    with pytest.raises(knowledge.KnowledgeError, match="日期"):
        knowledge.parse_markdown("# 标题\n日期：某天\n正文")


def test_dispatch_suggestion_uses_the_knowledge_base(kb, workflow, org):
    desk = Desk(kb, workflow, org)
    t = desk.new("12345", "ordinary", content="老人想申请高龄津贴，不知道需要什么材料")  # no category given
    with kb.session() as session:
        from bot.suggest import suggest_departments

        ranked = suggest_departments(session, queries.ticket(session, t))
    assert ranked[0][0].name == "养老服务科" and ranked[0][1] > 0


async def test_kb_in_chat_and_cited_in_a_reply(chat, db):
    await chat.send_file("王芳", "policies.md", (KB / "policies.md").read_bytes())
    assert "新增 6 条" in chat.last_in("王芳").text
    await chat.send_file("王芳", "faq.csv", (KB / "faq.csv").read_bytes())
    assert "新增 3 条" in chat.last_in("王芳").text
    await chat.send_file("李强", "policies.md", (KB / "policies.md").read_bytes())
    assert "只有局办公室" in chat.last_in("李强").text
    await chat.say("李强", "/kb 低保 申请条件")
    found = chat.last_in("李强")
    assert "1. <b>上海市城乡居民最低生活保障申请条件</b>（上海市民政局，2024-07-01） · 社会救助" in found.text

    from tests.helpers.bot import register_12345

    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    await chat.tap("李强", chat.last_in("社会救助科群"), "受理")
    await chat.say("李强", "/start r1")
    for value in ("求助类或投诉类办结报告（附件3一）", "刚刚", "电话", "跳过", "跳过", "属实", "跳过", "跳过", "跳过"):
        await chat.tap("李强", chat.last_in("李强"), value)
    basis = chat.last_in("李强")
    assert "处置依据" in basis.text
    options = [b for b in chat.buttons(basis) if b.startswith("📚")]
    assert len(options) == 3 and "📚 上海市城乡居民最低生活保障申请条件" in options  # found from the content
    await chat.tap("李强", basis, "📚 上海市城乡居民最低生活保障申请条件")
    with db.session() as session:
        reply = queries.current_reply(session, 1)
    assert reply.basis == "《上海市城乡居民最低生活保障申请条件》（上海市民政局，2024-07-01）"
    assert reply.knowledge_ref == "上海市民政局|上海市城乡居民最低生活保障申请条件@1"
    assert "依据（政策、法规）" not in chat.last_in("李强").text  # moved on to the next step


def test_dispatch_suggestion_follows_similar_tickets(db, workflow, org):
    desk = Desk(db, workflow, org)
    for n in range(2):
        earlier = desk.new("12345", "ordinary", external_no=f"E{n}", phone=f"1390000000{n}",
                           content="小区门牌号码与地图标注的路名不一致，要求更正路名")
        desk.to_department(earlier, "quhua")
    t = desk.new("12345", "ordinary", external_no="NEW", phone="13900000009",
                 content="我家门牌上的路名和地图不一致，希望更正")
    with db.session() as session:
        from bot.suggest import suggest_departments

        ranked = suggest_departments(session, queries.ticket(session, t))
    assert ranked[0][0].name == "区划地名科" and ranked[0][1] > 0
