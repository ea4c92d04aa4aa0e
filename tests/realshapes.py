"""Department templates shaped the way real ones come, each with what a careful person
reads from it: the header block, the layout kind and the element of every column.

Each shape reproduces a trait of the real county and township templates the issue
measured (vertical header text, column-number rows, full-width spaces, placeholder rows,
fill instructions inside header cells, 256 formatted empty columns, a totals row right
under the header, org-unit and household-code columns, long questionnaire cards, labels
split across merged cells, macros). They are built here rather than committed: the real
files are not ours to redistribute. `tests/test_real_templates.py` checks each one;
`bench/bench_layout.py` scores the reader over all of them.

`gold` maps a column letter (list/aggregate) or a value cell (card) to the element a
person would choose, or None where no core element fits (the column is new, or a count:
aggregate indicators are scored by their own benchmark).
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import get_column_letter

from tests.sheetfactory import rewrite_member, write_xls

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass
class Shape:
    name: str
    build: Callable[[Path], Path]
    layout: str
    header_rows: tuple[int, int]
    data_start_row: int
    gold: dict[str, str | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    refused: str | None = None  # the SheetError code when the file must stay refused


def _book(rows: list[list[object]], merges: list[str] = (), *, rotate_row: int | None = None,
          ruled: tuple[int, int, int, int] | None = None, sheet: str = "Sheet1") -> Workbook:
    """rows from row 1; `ruled` (r1, c1, r2, c2) gets borders on every cell, empty or not."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(row=r, column=c, value=v)
    for m in merges:
        ws.merge_cells(m)
    if rotate_row:
        for cell in ws[rotate_row]:
            cell.alignment = Alignment(text_rotation=255, wrap_text=True, vertical="center")
    if ruled:
        r1, c1, r2, c2 = ruled
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                ws.cell(row=r, column=c).border = BOX
    return wb


def _save(wb: Workbook, path: Path) -> Path:
    wb.save(path)
    return path


# --- lists ------------------------------------------------------------------------------

def vertical_header(d: Path) -> Path:
    """Narrow columns whose header reads top to bottom: one character a line, rotated."""
    rows = [["独居老人基本情况登记表", None, None, None, None, None],
            ["序\n号", "姓\n名", "性\n别", "公\n民\n身\n份\n号\n码", "联\n系\n电\n话", "备\n注"],
            [None] * 6]
    return _save(_book(rows, ["A1:F1"], rotate_row=2, ruled=(2, 1, 12, 6)), d / "竖排表头.xlsx")


def fullwidth_spaces(d: Path) -> Path:
    rows = [["低保对象花名册", None, None, None, None],
            ["序　号", "姓　　名", "性　别", "身份证号码　", "家 庭 住 址"],
            [1, "张三", "男", "430104195001010011", "红星社区1栋"]]
    return _save(_book(rows, ["A1:E1"], ruled=(2, 1, 8, 5)), d / "全角空格.xlsx")


def placeholder_braces(d: Path) -> Path:
    """A mail-merge style template: one row of {{field}} placeholders under the header."""
    rows = [["序号", "姓名", "身份证号", "联系电话", "出生日期"],
            ["{{seq}}", "{{name}}", "{{id_number}}", "{{phone}}", "{{birth_date}}"]]
    return _save(_book(rows, ruled=(1, 1, 2, 5)), d / "占位符.xlsx")


def placeholder_n(d: Path) -> Path:
    """Numbered empty rows ending in a row whose 序号 is N: 'and so on'."""
    rows = [["残疾人基本情况表", None, None, None, None],
            ["填报单位：", None, None, "填报日期：  年  月  日", None],
            ["序号", "姓名", "身份证号", "残疾类别", "残疾等级"],
            [1, None, None, None, None], [2, None, None, None, None], ["…", None, None, None, None],
            ["N", None, None, None, None]]
    return _save(_book(rows, ["A1:E1"], ruled=(3, 1, 7, 5)), d / "占位行N.xlsx")


def instructions_in_header(d: Path) -> Path:
    rows = [["退役军人信息采集表", None, None, None, None],
            ["序号",
             "姓名\n填写说明：与身份证上的姓名一致，不得使用简称",
             "身份证号码\n填写说明：\n1. 18位，末位X大写；\n2. 不要输入空格",
             "联系电话\n（填写说明：11位手机号码）",
             "入伍时间\n填写说明：格式如1990.03\n例：2001.12"],
            [None] * 5]
    return _save(_book(rows, ["A1:E1"], ruled=(2, 1, 10, 5)), d / "表头内填写说明.xlsx")


def formatted_256(d: Path) -> Path:
    """Five columns of table, and borders on every cell out to column IV (256), 300 rows."""
    rows = [["出租房屋登记表", None, None, None, None],
            ["序号", "房屋地址", "房主姓名", "房主联系电话", "承租人数"]]
    wb = _book(rows, ["A1:E1"], ruled=(2, 1, 300, 256))
    return _save(wb, d / "256列带格式.xlsx")


def merged_to_bottom(d: Path) -> Path:
    """A 备注 column merged down to Excel's last row, as Excel writes it: one mergeCell."""
    rows = [["序号", "姓名", "身份证号", "备注"]]
    path = _save(_book(rows, ruled=(1, 1, 5, 4)), d / "备注列合并到底.xlsx")
    return rewrite_member(path, "xl/worksheets/sheet1.xml", lambda b: b.replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="D2:D1048576"/></mergeCells>'))


def org_columns(d: Path) -> Path:
    """A poverty-alleviation household list: the row's township, village and household code."""
    rows = [["脱贫户信息采集表", None, None, None, None, None],
            ["序号", "镇名称", "村名称", "户码", "户主姓名", "家庭人口数"],
            [1, "莲花镇", "东塘村", "430104001001001", "张三", 4]]
    return _save(_book(rows, ["A1:F1"], ruled=(2, 1, 8, 6)), d / "行政村户码.xlsx")


def org_columns_poor_village(d: Path) -> Path:
    rows = [["序号", "贫困村", "姓名", "身份证号码", "与户主关系"]]
    return _save(_book(rows, ruled=(1, 1, 6, 5)), d / "贫困村名单.xlsx")


def org_columns_community(d: Path) -> Path:
    rows = [["序号", "所属社区", "农户编码", "户主姓名", "身份证号码", "联系电话"]]
    return _save(_book(rows, ruled=(1, 1, 6, 6)), d / "所属社区农户编码.xlsx")


# --- aggregates ---------------------------------------------------------------------------

AGG_HEAD = [["各社区人口基本情况统计表", None, None, None, None, None],
            ["填报单位（盖章）：", None, None, None, "统计时间：  年  月", None],
            ["社区（村）", "户籍情况", None, "人口情况", None, None],
            [None, "总户数", "总人口", "其中：男", "其中：女", "60周岁以上"]]
AGG_MERGES = ["A1:F1", "A3:A4", "B3:C3", "D3:F3"]


def agg_bracket_numbers(d: Path) -> Path:
    rows = [*AGG_HEAD, [None, "（1）", "（2）", "（3）", "（4）", "（5）"],
            ["红星社区", None, None, None, None, None], ["合计", None, None, None, None, None]]
    return _save(_book(rows, AGG_MERGES, ruled=(3, 1, 7, 6)), d / "栏次括号.xlsx")


def agg_jiayi_xls(d: Path) -> Path:
    """甲/乙 then 1, 2, 3 as text under the header, in a legacy .xls."""
    rows = [["各村残疾人情况统计表", None, None, None, None],
            ["村名称", "代码", "残疾人数", "持证人数", "享受补贴人数"],
            ["甲", "乙", "1", "2", "3"],
            ["东塘村", None, None, None, None], ["合计", None, None, None, None]]
    return write_xls(d / "栏次甲乙.xls", rows, merges=["A1:E1"])


def agg_totals_under_header(d: Path) -> Path:
    rows = [*AGG_HEAD, ["总合计", None, None, None, None, None],
            ["红星社区", None, None, None, None, None], ["东风社区", None, None, None, None, None]]
    return _save(_book(rows, AGG_MERGES, ruled=(3, 1, 7, 6)), d / "合计在表头下.xlsx")


def agg_totals_merged(d: Path) -> Path:
    """合计 merged over the first two columns right under a one-row header."""
    rows = [["乡镇", "村", "户数", "人数", "低保户数", "低保人数"],
            ["合    计", None, None, None, None, None],
            ["莲花镇", "东塘村", None, None, None, None]]
    return _save(_book(rows, ["A2:B2"], ruled=(1, 1, 3, 6)), d / "合计合并.xlsx")


# --- cards ----------------------------------------------------------------------------------

def _card_rows(n_sections: int) -> tuple[list[list[object]], list[str], dict[str, str | None]]:
    rows: list[list[object]] = [["农村留守老人关爱服务登记表"] + [None] * 5,
                                ["姓名", None, "性别", None, "出生日期", None],
                                ["身份证号", None, None, None, "联系电话", None],
                                ["家庭住址", None, None, None, None, None],
                                ["所属村（社区）", None, "户码", None, "民族", None]]
    merges = ["A1:F1", "B3:D3", "B4:F4"]
    gold: dict[str, str | None] = {"B2": "person.name", "D2": "person.sex", "F2": "person.birth_date",
                                   "B3": "person.id_number", "F3": "person.phone",
                                   "B4": "person.residence_address", "B5": "org.community",
                                   "D5": "household.number", "F5": "person.ethnicity"}
    for s in range(n_sections):
        rows.append([f"{s + 1}. 第{s + 1}次走访情况"] + [None] * 5)
        merges.append(f"A{len(rows)}:F{len(rows)}")
        for q in range(3):
            r = len(rows) + 1
            rows.append([f"走访问题{s + 1}-{q + 1}", None, None, None, None, None])
            merges.append(f"B{r}:F{r}")
            gold[f"B{r}"] = None
    return rows, merges, gold


CARD_LAST = len(_card_rows(32)[0]) + 1  # the signature row under the last section


def card_long(d: Path) -> Path:
    rows, merges, _ = _card_rows(32)
    rows.append(["走访人签字", None, "走访日期", None, None, None])
    return _save(_book(rows, merges, ruled=(2, 1, len(rows), 6)), d / "问卷登记表.xlsx")


def card_split_labels(d: Path) -> Path:
    """Labels merged over two cells (and over two rows), values merged over the rest."""
    rows = [["流动人口信息登记表", None, None, None, None, None, None, None],
            ["姓名", None, None, None, "性别", None, None, None],
            ["公民身份号码", None, None, None, None, None, None, None],
            ["户籍地址", None, None, None, None, None, None, None],
            [None, None, None, None, None, None, None, None],
            ["联系电话", None, None, None, "民族", None, None, None],
            ["现住地址", None, None, None, None, None, None, None]]
    merges = ["A1:H1", "A2:B2", "C2:D2", "E2:F2", "G2:H2", "A3:B3", "C3:H3",
              "A4:B5", "C4:H5", "A6:B6", "C6:D6", "E6:F6", "G6:H6", "A7:B7", "C7:H7"]
    return _save(_book(rows, merges, ruled=(2, 1, 7, 8)), d / "标签合并登记表.xlsx")


CARD_SPLIT_GOLD = {"C2": "person.name", "G2": "person.sex", "C3": "person.id_number",
                   "C4": "person.registered_address", "C6": "person.phone", "G6": "person.ethnicity",
                   "C7": "person.residence_address"}


def card_checkboxes(d: Path) -> Path:
    """A card whose answers are offered as □ options in the value cell."""
    rows = [["困难群众情况登记表", None, None, None],
            ["姓名", None, "性别", "□男  □女"],
            ["身份证号", None, "联系电话", None],
            ["是否低保", "□是  □否", "残疾类别", None],
            ["家庭住址", None, None, None]]
    return _save(_book(rows, ["A1:D1", "B5:D5"], ruled=(2, 1, 5, 4)), d / "勾选登记表.xlsx")


# --- macros --------------------------------------------------------------------------------

VBA_TYPES = (b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>')
VBA_REL = (b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
           b'vbaProject" Target="vbaProject.bin"/>')


def with_macros(path: Path) -> Path:
    """What Excel writes when a macro workbook is saved as .xlsx-named: the VBA part, its
    relationship and the macro-enabled content type."""
    rewrite_member(path, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 VBA project: Sub Auto_Open() Shell ...")
    rewrite_member(path, "[Content_Types].xml", lambda b: b.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"<Default ", VBA_TYPES + b"<Default ", 1))
    rewrite_member(path, "xl/_rels/workbook.xml.rels", lambda b: b.replace(
        b"</Relationships>", VBA_REL + b"</Relationships>"))
    return path


def macro_xlsx(d: Path) -> Path:
    rows = [["序号", "姓名", "身份证号", "联系电话"], [1, "张三", "430104195001010011", "13912345678"]]
    return with_macros(_save(_book(rows), d / "带宏模板.xlsx"))


def macro_xlsm(d: Path) -> Path:
    return macro_xlsx(d).rename(d / "带宏模板.xlsm")


def macro_xls(d: Path) -> Path:
    rows = [["序号", "姓名", "身份证号", "联系电话"], ["1", "张三", "430104195001010011", "13912345678"]]
    return write_xls(d / "带宏模板.xls", rows, macros=True)


SHAPES: list[Shape] = [
    Shape("vertical_header", vertical_header, "list", (2, 2), 3,
          {"A": "meta.seq", "B": "person.name", "C": "person.sex", "D": "person.id_number",
           "E": "person.phone", "F": "person.remarks"}),
    Shape("fullwidth_spaces", fullwidth_spaces, "list", (2, 2), 3,
          {"A": "meta.seq", "B": "person.name", "C": "person.sex", "D": "person.id_number",
           "E": "person.residence_address"}),
    Shape("placeholder_braces", placeholder_braces, "list", (1, 1), 2,
          {"A": "meta.seq", "B": "person.name", "C": "person.id_number", "D": "person.phone",
           "E": "person.birth_date"}),
    Shape("placeholder_n", placeholder_n, "list", (3, 3), 4,
          {"A": "meta.seq", "B": "person.name", "C": "person.id_number", "D": "person.disability_category",
           "E": "person.disability_grade"}),
    Shape("instructions_in_header", instructions_in_header, "list", (2, 2), 3,
          {"A": "meta.seq", "B": "person.name", "C": "person.id_number", "D": "person.phone", "E": None}),
    Shape("formatted_256", formatted_256, "list", (2, 2), 3,
          {"A": "meta.seq", "B": "place.address", "C": "place.owner_name", "D": "place.owner_phone",
           "E": None}),
    Shape("merged_to_bottom", merged_to_bottom, "list", (1, 1), 2,
          {"A": "meta.seq", "B": "person.name", "C": "person.id_number", "D": "person.remarks"}),
    Shape("org_columns", org_columns, "list", (2, 2), 3,
          {"A": "meta.seq", "B": "org.township", "C": "org.community", "D": "household.number",
           "E": "household.head_name", "F": "household.size"}),
    Shape("org_columns_poor_village", org_columns_poor_village, "list", (1, 1), 2,
          {"A": "meta.seq", "B": "org.community", "C": "person.name", "D": "person.id_number",
           "E": "person.relation_to_head"}),
    Shape("org_columns_community", org_columns_community, "list", (1, 1), 2,
          {"A": "meta.seq", "B": "org.community", "C": "household.number", "D": "household.head_name",
           "E": None, "F": None}),  # E: the head's ID or a member's? a person cannot tell either
    Shape("agg_bracket_numbers", agg_bracket_numbers, "aggregate", (3, 4), 6, {"A": "org.community"}),
    Shape("agg_jiayi_xls", agg_jiayi_xls, "aggregate", (2, 2), 4, {"A": "org.community"}),
    Shape("agg_totals_under_header", agg_totals_under_header, "aggregate", (3, 4), 5, {"A": "org.community"}),
    Shape("agg_totals_merged", agg_totals_merged, "aggregate", (1, 1), 2,
          {"A": "org.township", "B": "org.community"}),
    Shape("card_long", card_long, "card", (2, CARD_LAST), 2,
          _card_rows(32)[2] | {f"B{CARD_LAST}": None, f"D{CARD_LAST}": None}),
    Shape("card_split_labels", card_split_labels, "card", (2, 7), 2, CARD_SPLIT_GOLD),
    Shape("card_checkboxes", card_checkboxes, "card", (2, 5), 2,
          {"B2": "person.name", "D2": "person.sex", "B3": "person.id_number", "D3": "person.phone",
           "B4": "person.low_income", "D4": "person.disability_category", "B5": "person.residence_address"}),
    Shape("macro_xlsx", macro_xlsx, "list", (1, 1), 2,
          {"A": "meta.seq", "B": "person.name", "C": "person.id_number", "D": "person.phone"},
          warnings=("macros_ignored",)),
    Shape("macro_xls", macro_xls, "list", (1, 1), 2,
          {"A": "meta.seq", "B": "person.name", "C": "person.id_number", "D": "person.phone"},
          warnings=("macros_ignored",)),
    Shape("macro_xlsm", macro_xlsm, "list", (0, 0), 0, refused="macros"),
]


def parts(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


__all__ = ["SHAPES", "Shape", "get_column_letter", "parts", "with_macros"]
