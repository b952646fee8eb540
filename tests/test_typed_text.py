"""Control characters people paste (NUL above all, which PostgreSQL refuses) never reach the database."""

from __future__ import annotations

from bot.workflow import AskReturn, EvidenceIn, RejectReturn, clean
from tests.helpers.bot import register_12345


def test_clean_keeps_line_ends_and_drops_control_characters():
    assert clean("甲\x00乙\x07\n丙\t丁\x7f") == "甲乙\n丙\t丁"
    assert clean({"a": ["x\x00", ("y\x1b",)]}) == {"a": ["x", ("y",)]}


def test_a_command_with_nul_is_carried_out_without_it(desk):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    desk.ok("李强", AskReturn(t, "不属\x00本科", evidence=(EvidenceIn("photo", "f1"),)))
    outcome = desk.do("陈刚", RejectReturn(t, "请\x00办理"))
    assert outcome.ok
    assert desk.events(t)[-1].payload["comment"] == "请办理"


async def test_typed_text_with_nul_gets_an_answer(chat):
    await register_12345(chat)
    await chat.say("王芳", "/search 低保\x00申请")
    answer = chat.last_in("王芳").text
    assert "SJMZ_2026_000001" in answer and "\x00" not in answer
    await chat.say("王芳", "/kb 低保\x00")
    assert chat.last_in("王芳").text
