"""Write the shipped Word templates of the bureau's forms (templates/forms/*.docx).

Run once when the shipped layout changes; afterwards the .docx files are what the office
edits in Word (an administrator's copy in HOTLINE_FORM_TEMPLATES overrides them). Each
template is a docxtpl (jinja2) document: `{{ f.field }}` is a value of bot.forms.form_data,
`{{ f.x | checks('group') }}` the choices of a group with the chosen one ticked.

Print layout (GB/T 9704-2012 党政机关公文格式, 5.2 and 7.2): A4, margins top 37 mm, bottom 35 mm,
left 28 mm, right 26 mm (text block 156 × 225 mm); letters in 仿宋_GB2312 三号 (16 pt) with the
title in 小标宋/黑体 二号; the tables of 附件1, 附件4 and 申请结单 in 宋体 (小四 / 五号) as the
seed's forms are printed.

    python tools/build_form_templates.py [DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

OUT = Path(__file__).resolve().parent.parent / "templates" / "forms"

SONG, FANGSONG, HEI = "宋体", "仿宋_GB2312", "黑体"
SIZE_2, SIZE_XIAO2, SIZE_3, SIZE_4, SIZE_XIAO4, SIZE_5 = 22, 18, 16, 14, 12, 10.5


def set_fonts(style_or_run, east_asia: str, size: float | None = None, latin: str = "Times New Roman") -> None:
    """python-docx's font.name sets only the Latin font: set w:eastAsia too, and the language."""
    font = style_or_run.font
    font.name = latin
    if size:
        font.size = Pt(size)
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def new_document(body_font: str, body_size: float, line: float | None = None, landscape: bool = False):
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    normal = document.styles["Normal"]
    set_fonts(normal, body_font, body_size)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if line:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    else:
        fmt.line_spacing = 1.15
    return document


def title(document, text: str, font: str = HEI, size: float = SIZE_XIAO2, after: float = 12) -> None:
    para = document.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.paragraph_format.space_after = Pt(after)
    para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    set_fonts(para.add_run(text), font, size)


def line(document, text: str, align=None, indent_chars: float = 0, size: float | None = None,
         font: str | None = None, after: float = 0, right_chars: float = 0):
    para = document.add_paragraph()
    if align is not None:
        para.alignment = align
    if indent_chars:
        para.paragraph_format.first_line_indent = Pt(indent_chars * (size or SIZE_3))
    if right_chars:
        para.paragraph_format.right_indent = Pt(right_chars * (size or SIZE_3))
    para.paragraph_format.space_after = Pt(after)
    run = para.add_run(text)
    if font or size:
        set_fonts(run, font or FANGSONG, size)
    return para


# the space Word and LibreOffice put between Chinese and digits (autoSpaceDN, on by default and ignored when
# switched off by LibreOffice): in characters, at each change; LibreOffice's 0.2, Word's about a quarter
AUTOSPACE = 0.2


def signoff(document, name: str, date: str) -> None:
    """发文机关署名 over 成文日期 (GB/T 9704-2012 7.3.5.1): the date 右空四字, the name centred over the date.

    The date's width depends on its digits (「2026年1月5日」 to 「2026年12月31日」: Arabic digits half a
    character wide, and a little space wherever digits meet 年月日), and a paragraph cannot be centred on the
    next one: the name is written once per width, each with the right indent that puts its centre over the
    date's, and jinja keeps the one that fits the date (`date`, an expression giving form_date text:
    7 characters and 2 to 4 digits, five changes between digits and characters).
    """
    widths = {2: "<= 9", 3: "== 10", 4: ">= 11"}  # month and day digits -> the length of the date's text
    for n, (digits, test) in enumerate(widths.items()):
        line(document, f"{{%p {'if' if n == 0 else 'elif'} ({date}) | length {test} %}}")
        date_chars = 2 + 3 + digits / 2 + 5 * AUTOSPACE  # the year, 年月日, the month and day, the spaces
        line(document, name, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4 + (date_chars - len(name)) / 2)
    line(document, "{%p endif %}")
    line(document, f"{{{{ {date} }}}}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)


# --- tables ---------------------------------------------------------------


# the elements that follow w:tblW and w:tblCellMar in w:tblPr (ECMA-376 sequence: Word wants them in order)
AFTER_TBL_W = ("w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar",
               "w:tblLook", "w:tblCaption", "w:tblDescription")
AFTER_TBL_CELL_MAR = ("w:tblLook", "w:tblCaption", "w:tblDescription")


def _grid(table, widths_cm: list[float], pad_cm: float | None = None) -> None:
    """Fixed layout and column widths Word and LibreOffice both honour (w:tblGrid and each w:tcW);
    pad_cm: the cells' left and right margins, when narrower than Word's 0.19 cm."""
    table.autofit = False  # w:tblLayout fixed
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(int(sum(widths_cm) * 567)))
    width.set(qn("w:type"), "dxa")
    tbl_pr.insert_element_before(width, *AFTER_TBL_W)
    if pad_cm is not None:
        margins = OxmlElement("w:tblCellMar")
        for side in ("w:left", "w:right"):
            margin = OxmlElement(side)
            margin.set(qn("w:w"), str(int(pad_cm * 567)))
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
        tbl_pr.insert_element_before(margins, *AFTER_TBL_CELL_MAR)
    for col, w in zip(table.columns, widths_cm, strict=True):
        col.width = Cm(w)
        for cell in col.cells:
            cell.width = Cm(w)


def table(document, widths_cm: list[float], rows: list[dict], pad_cm: float | None = None):
    """rows: {"cells": [(text, span), ...], "height": cm, "vmerge": {col: "start"|"cont"}, "top": bool}.

    A cell's text may hold several lines; a line starting with ">" is right-aligned (a signature)."""
    t = document.add_table(rows=len(rows), cols=len(widths_cm))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    _grid(t, widths_cm, pad_cm)
    starts: dict[int, object] = {}
    for r, spec in enumerate(rows):
        row = t.rows[r]
        # a row is never cut at a page break: a signature or a value stays in one piece
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        if spec.get("height"):
            row.height = Cm(spec["height"])
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        col = 0
        for text, span in spec["cells"]:
            cell = row.cells[col]
            if span > 1:
                cell = cell.merge(row.cells[col + span - 1])
            if text is None:  # continues the vertical merge above
                starts[col] = starts[col].merge(cell)
                col += span
                continue
            starts[col] = cell
            cell.vertical_alignment = (WD_CELL_VERTICAL_ALIGNMENT.TOP if spec.get("top")
                                       else WD_CELL_VERTICAL_ALIGNMENT.CENTER)
            lines = text.split("\n")
            for i, part in enumerate(lines):
                para = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
                if part.startswith(">"):
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    part = part[1:]
                elif part.startswith("^"):
                    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    part = part[1:]
                para.add_run(part)
            col += span
    return t


def c(text: str | None, span: int = 1) -> tuple[str | None, int]:
    return (text, span)


# --- the forms --------------------------------------------------------------


def form1(out: Path) -> None:
    """附件1 信访、市民热线处理表 (规程 附件1; 市民反馈 其他 and 处理结果 其他 text: SPEC §9.8)."""
    d = new_document(SONG, SIZE_XIAO4)
    title(d, "信访、市民热线处理表")
    line(d, "编号：{{ f.internal_no }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=SIZE_XIAO4, font=SONG, after=4)
    # on one line each: an address of a street, a lane and a room, a 962200 工单号, 「流转时间：2026年9月29日 9:06」
    table(d, [1.95, 7.2, 2.0, 4.45], [
        {"cells": [c("来访人"), c("{{ f.citizen }}"), c("电话"), c("{{ f.phone }}")], "height": 1.0},
        {"cells": [c("联系地址"), c("{{ f.address }}"), c("来电/\n来访时间"), c("{{ f.received_at }}")],
         "height": 1.0},
        {"cells": [c("工单来源"), c("{{ f.source }}"), c("工单号"), c("{{ f.external_no }}")], "height": 1.0},
        {"cells": [c("承办科室：{{ f.department }}", 2), c("流转时间：{{ f.dispatched_at }}", 2)], "height": 1.0},
        {"cells": [c("承办科室处理意见：（可附页）\n{{ f.opinion }}", 4)], "height": 7.5, "top": True},
        {"cells": [c("处理结果：{{ f.result | checks('result') }}{% if f.result == 'other' %}"
                     "（{{ f.result_other }}）{% endif %}", 4)], "height": 1.6},
        {"cells": [c("市民反馈：{{ f.satisfaction | checks('feedback') }}", 4)], "height": 1.2},
        {"cells": [c("分管领导签字：{{ f.leader }}\n\n>日期：{{ f.leader_date or '　　年　　月　　日' }}", 4)],
         "height": 2.6, "top": True},
        {"cells": [c("备注：{{ f.note }}", 4)], "height": 2.0, "top": True},
    ], pad_cm=0.12)
    d.save(out / "form1.docx")


def form2(out: Path) -> None:
    """附件2 信访答复 (规程 附件2): a letter, 仿宋 三号, 28 pt lines (GB/T 9704 7.2)."""
    d = new_document(FANGSONG, SIZE_3, line=28)
    title(d, "信访答复", font="方正小标宋简体", size=SIZE_2, after=0)
    line(d, "信访件编号：{{ f.external_no }}", align=WD_ALIGN_PARAGRAPH.CENTER, after=16)
    line(d, "{{ f.citizen }}：")
    line(d, "您反映的信访事项已受理。经研究，现答复如下：", indent_chars=2)
    line(d, "您反映{{ f.letter.facts }}。{% if f.letter.reasons %}您认为，{{ f.letter.reasons }}。{% endif %}"
            "{% if f.letter.requests %}您要求{{ f.letter.requests }}。{% endif %}", indent_chars=2)
    line(d, "{%p if f.letter.findings %}")
    line(d, "经查，{{ f.letter.findings }}。", indent_chars=2)
    line(d, "{%p endif %}")
    line(d, "本机关认为，根据{{ f.basis }}{% if f.basis_cites %}规定{% endif %}，{{ f.letter.judgement }}。",
         indent_chars=2)
    line(d, "如不服本意见，您可自收到本处理意见之日起30日内向{{ f.letter.review_body or '上一级行政机关' }}"
            "提出复查申请。如逾期不提出复查申请，本意见即为最终意见。", indent_chars=2)
    line(d, "")
    line(d, "")
    signoff(d, "上海市松江区民政局", "f.today")
    d.save(out / "form2.docx")


def form3(out: Path) -> None:
    """附件3 市民热线答复 (规程 附件3): 一、求助类或投诉类 / 二、咨询类或意见建议类 办结报告."""
    d = new_document(FANGSONG, SIZE_3, line=28)
    title(d, "{% if f.template == 'consult_suggestion' %}咨询类或意见建议类{% else %}求助类或投诉类{% endif %}办结报告",
          font="方正小标宋简体", size=SIZE_2, after=8)
    table(d, [2.4, 5.4, 2.4, 5.4], [
        {"cells": [c("工单号"), c("{{ f.external_no }}"), c("编号"), c("{{ f.internal_no }}")]},
        {"cells": [c("承办科室"), c("{{ f.department }}"), c("承办人"), c("{{ f.handler }}")]},
    ])
    line(d, "", after=6)
    opening = ("{{ f.contact_when }}左右，{{ f.department }}工作人员与来电人{{ f.citizen }}进行了{{ f.contact_way }}。")
    verified = "{% if f.verified_by %}经{{ f.verified_by }}核实，{% else %}经核实，{% endif %}"
    basis = "{% if f.basis %}根据{{ f.basis }}{% if f.basis_cites %}规定{% endif %}，{% endif %}"
    line(d, "{%p if f.template == 'consult_suggestion' %}")
    line(d, opening + "{% if f.fact_note %}" + verified + "来电人{{ f.citizen }}的情况如下：{{ f.fact_note }}。{% endif %}"
         + basis + "{% if f.demand_fits %}来电人{{ f.citizen }}的诉求{{ f.demand_fits }}规定及具体要求，{% endif %}"
         "与来电人进行了沟通解释{% if f.points %}：{{ f.points_inline }}{% endif %}。"
         "来电人{{ f.citizen }}表示{{ f.acceptance }}。", indent_chars=2)
    line(d, "{%p else %}")
    line(d, opening + "{% if f.truth %}" + verified + "来电人{{ f.citizen }}{{ f.complaint_word }}的情况{{ f.truth }}。"
         "{% endif %}针对来电人{{ f.complaint_word }}的情况，" + basis
         + "{% if f.result == 'solved' %}通过以下几方面进行改进{% else %}答复如下{% endif %}：{{ f.points_inline }}。"
         "来电人{{ f.citizen }}表示{{ f.acceptance }}。", indent_chars=2)
    line(d, "{%p endif %}")
    line(d, "")
    line(d, "{{ f.department }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    line(d, "{{ f.report_date }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    for tbl in d.tables:
        for row in tbl.rows:
            for cell in row.cells:
                for para in cell.paragraphs:
                    para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                    for run in para.runs:
                        set_fonts(run, SONG, SIZE_XIAO4)
    d.save(out / "form3.docx")


def form4(out: Path) -> None:
    """附件4 “12345”市民服务热线工单办理领导签批表 (规程 附件4), with its side headers 派单 / 处置 / 结案."""
    d = new_document(SONG, SIZE_5, line=14)
    title(d, "“12345”市民服务热线工单办理领导签批表", size=SIZE_XIAO2, after=2)
    line(d, "“12345”市民服务热线管理办公室", align=WD_ALIGN_PARAGRAPH.CENTER, font=SONG, size=SIZE_XIAO4, after=2)
    line(d, "编号：{{ f.internal_no }}", align=WD_ALIGN_PARAGRAPH.RIGHT, font=SONG, size=SIZE_5, after=2)
    side = 0.7
    checks = "{{ f.%s | checks('%s') }}"
    full = 3  # the value spans columns 2-4
    rows = [
        {"cells": [c("工单编号", 2), c("{{ f.external_no }}"), c("转交日期"), c("{{ f.dispatched_date }}")]},
        {"cells": [c("工单类型", 2), c("{{ f.kind }}"), c("工单来源"), c("{{ f.source }}")]},
        {"cells": [c("热线12345工单\n是否重复", 2), c("{{ f.repeat }}"), c("是否回访复核单"), c("{{ f.review }}")]},
        {"cells": [c("联系人", 2), c("{{ f.citizen }}"), c("联系电话"), c("{{ f.phone }}")]},
        {"cells": [c("联系地址", 2), c("{{ f.address }}", full)]},
        {"cells": [c("内容描述：\n{{ f.content }}", 5)], "height": 1.5, "top": True},
        {"cells": [c("^派\n^单"), c("建议派单部门\n（科室）"), c("部门名称：{{ f.department }}", full)]},
        {"cells": [c(None), c("科室负责人或分管领导交办意见"),
                   c("{{ f.dispatch_opinion }}\n>签字：{{ f.dispatch_by or '　　　　　' }}　　"
                     "日期：{{ f.dispatch_date or '　　年　　月　　日' }}", full)], "height": 1.3},
        {"cells": [c("^处\n^置"), c("先行联系"), c(checks % ("contact_status", "contact_status")), c("未联原因"),
                   c(checks % ("not_contacted_reason", "not_contacted_reason"))]},
        {"cells": [c(None), c("先行联系人"), c("{{ f.contacted_by }}"), c("联系时间"), c("{{ f.contacted_at }}")]},
        {"cells": [c(None), c("*现场查看"), c(checks % ("site_visit", "site_visit"), full)]},
        # the seed's ten choices of 事实认定 on two lines, each line ending between two choices
        {"cells": [c(None), c("*事实认定"), c("{{ f.fact_finding_code | checks('fact_finding', 5) }}", full)]},
        {"cells": [c(None), c("*诉求认定"), c(checks % ("demand_assessment", "demand_assessment"), full)]},
        {"cells": [c(None), c("事实认定说明"), c("{{ f.fact_note }}", full)]},
        {"cells": [c(None), c("诉求认定说明"), c("{{ f.demand_note }}", full)]},
        {"cells": [c(None), c("*办结汇报\n（办理依据、\n结果及结论）"), c("{{ f.summary }}", full)], "height": 1.2},
        {"cells": [c(None), c("*答复市民要点\n（热线话务员\n在接电中回复\n市民的参考依据）"),
                   c("{{ f.points_text }}", full)], "height": 1.2},
        {"cells": [c(None), c("*市民答复时间"), c("{{ f.contact_time }}"), c("*答复方式"),
                   c(checks % ("contact_manner_code", "answer_manner"))]},
        {"cells": [c(None), c("*是否解决"), c(checks % ("resolved", "resolved"), full)]},
        {"cells": [c(None), c("*是否满意"), c(checks % ("satisfaction", "satisfaction"), full)]},
        {"cells": [c("^结\n^案"), c("分管领导审核意见"),
                   c("{{ f.signoff_comment }}\n>签字：{{ f.signoff_leader or '　　　　　' }}　　"
                     "日期：{{ f.signoff_date or '　　年　　月　　日' }}\n填报单位：{{ f.filed_by }}", full)],
         "height": 2.0},  # room to write an opinion by hand above the signature
    ]
    for row in rows:
        row.setdefault("height", 0.55)
    # on one line each: 是否回访复核单, 「2026年12月31日 16:30」, 「☐始终关机 ☐始终未接」
    table(d, [side, 3.5, 4.2, 2.9, 4.3], rows, pad_cm=0.12)
    d.save(out / "form4.docx")


def form5(out: Path) -> None:
    """申请结单 (规程 三(三)5): the office applies to close a repeat ticket found not factual."""
    d = new_document(SONG, SIZE_XIAO4)
    title(d, "重复件申请结单表")
    line(d, "编号：{{ f.internal_no }}", align=WD_ALIGN_PARAGRAPH.RIGHT, font=SONG, size=SIZE_XIAO4, after=4)
    table(d, [2.8, 4.8, 3.0, 5.0], [
        {"cells": [c("工单号"), c("{{ f.external_no }}"), c("渠道"), c("{{ f.channel }}")], "height": 0.9},
        {"cells": [c("联系人"), c("{{ f.citizen }}"), c("联系电话"), c("{{ f.phone }}")], "height": 0.9},
        {"cells": [c("联系地址"), c("{{ f.address }}", 3)], "height": 0.9},
        {"cells": [c("内容描述：\n{{ f.content }}", 4)], "height": 2.0, "top": True},
        {"cells": [c("历次反映：\n{{ f.history_text }}", 4)], "height": 1.8, "top": True},
        {"cells": [c("承办科室"), c("{{ f.department }}"), c("承办人"), c("{{ f.problem_author }}")],
         "height": 0.9},
        {"cells": [c("不属实的事实与依据：\n{{ f.problem_reasons }}", 4)], "height": 2.6, "top": True},
        {"cells": [c("履职情况（开展工作过程）：\n{{ f.problem_work_done }}", 4)], "height": 2.6, "top": True},
        # 规程 三(三)5 「提供材料证明履职到位」: what the bureau keeps, one file a line, its SHA-256 to match the copy
        {"cells": [c("佐证材料（{{ f.evidence | length }}件）：{% if not f.evidence %}无{% endif %}\n"
                     "{%p for e in f.evidence %}\n"
                     "{{ loop.index }}. {{ e.kind_name }}　{{ e.name }}　{{ e.size_text }}　"
                     "{% if e.kept %}SHA-256 {{ e.sha_short }}{% else %}未存局存档{% endif %}　{{ e.date }}\n"
                     "{%p endfor %}", 4)], "height": 1.6, "top": True},
        {"cells": [c("业务分管\n领导签字"), c("{{ f.problem_leader }}"), c("日期"),
                   c("{{ f.problem_signed or '　　年　　月　　日' }}")], "height": 1.4},
        {"cells": [c("局办公室意见：经核查，{% if f.problem_verification %}{{ f.problem_verification }}，{% endif %}"
                     "承办科室已履职到位，现申请结单。"
                     "\n\n>上海市松江区民政局办公室　　{{ f.today }}", 4)], "height": 2.6, "top": True},
    ])
    d.save(out / "form5.docx")


def form6(out: Path) -> None:
    """信访事项受理告知书 (规程 二(一)1 「局办公室寄出受理告知书，完成信访受理告知」): a letter, 仿宋 三号."""
    d = new_document(FANGSONG, SIZE_3, line=28)
    title(d, "信访事项受理告知书", font="方正小标宋简体", size=SIZE_2, after=0)
    line(d, "信访件编号：{{ f.external_no }}　　编号：{{ f.internal_no }}", align=WD_ALIGN_PARAGRAPH.CENTER, after=16)
    line(d, "{{ f.citizen }}：")
    line(d, "您于{{ f.received_date }}反映的信访事项，本机关已于{{ f.accepted_date }}受理，"
            "交由{{ f.department }}办理。办理结果将以书面形式答复您。", indent_chars=2)
    line(d, "特此告知。", indent_chars=2)
    line(d, "")
    line(d, "")
    signoff(d, "上海市松江区民政局", "f.notice_date")
    d.save(out / "form6.docx")


def summary(out: Path) -> None:
    """The office's report on dissatisfied and unreplied tickets (规程 三(三)4)."""
    d = new_document(SONG, SIZE_5, landscape=True)  # eight columns: 编号 and 工单号 on one line each
    title(d, "不满意及未回复工单核查情况报告", size=SIZE_XIAO2, after=4)
    line(d, "报送单位：上海市松江区民政局办公室　　报送：信访条线分管领导、局主要领导",
         font=SONG, size=SIZE_5)
    line(d, "报送日期：{{ today }}　　共{{ rows | length }}件", font=SONG, size=SIZE_5, after=6)
    # 佐证: how many files of evidence the bureau keeps for the ticket (规程 三(三)1 「提供…证明」)
    t = table(d, [3.6, 3.9, 3.0, 1.6, 1.6, 1.4, 4.6, 4.6], [
        {"cells": [c("编号"), c("工单号"), c("承办科室"), c("类型"), c("状态"), c("佐证"), c("原因"), c("核查意见")]},
        {"cells": [c("{%tr for r in rows %}", 8)]},
        {"cells": [c("{{ r.internal_no }}"), c("{{ r.external_no }}"), c("{{ r.department }}"), c("{{ r.kind }}"),
                   c("{{ r.status }}"), c("{% if r.evidence is not none %}{{ r.evidence }}件{% endif %}"), c("{{ r.reasons }}"), c("{{ r.verification }}")]},
        {"cells": [c("{%tr endfor %}", 8)]},
    ])
    # the header row repeats on every page
    tr_pr = t.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)
    d.save(out / "summary.docx")


BUILDERS = (form1, form2, form3, form4, form5, form6, summary)


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS:
        build(out)
        print(out / (build.__name__ + ".docx"))


if __name__ == "__main__":
    main(sys.argv)
