"""Real-style department templates and what a careful clerk writes into them.

Shared by bench/bench_report_accuracy.py and tests/test_department_gets_what_it_asked.py.
Each template is built with openpyxl the way a department draws it (merged two-level
headers, dropdowns, number formats, a format note, blanks above and below the table), and
carries the clerk's reading: which people belong in it (the filter its title implies) and,
per column, the value a clerk writes for one person — computed from a plain `Person` record
(from the bench's own list, or from `ledger export`), never from the product's filling code.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.datavalidation import DataValidation

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

SEX = ("男", "女")
ETHNIC_SHORT = ("汉", "回", "苗", "土家", "瑶", "侗", "壮", "满", "蒙古", "维吾尔", "白", "彝", "朝鲜")
DISABILITY = ("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾")
GRADES = ("一级", "二级", "三级", "四级")
NONE_WORDS = {"", "无", "否", "没有", "暂无", "健康", "良好", "正常"}


@dataclass
class Person:
    """A resident as a clerk reads them off the ledger they keep by hand."""

    name: str
    id_number: str
    community: str  # name of the community they live in
    phone: str = ""
    ethnicity: str = ""  # 汉族, 土家族 …
    chronic: str | None = None  # 高血压, 无, or None: nobody recorded it
    lives_alone: bool = False
    disability: str = ""  # 肢体残疾 …
    grade: str = ""  # 二级 …
    address: str = ""

    @property
    def birth(self) -> dt.date:
        s = self.id_number
        return dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))

    @property
    def sex(self) -> str:
        return "男" if int(self.id_number[16]) % 2 else "女"

    def age(self, on: dt.date) -> int:
        b = self.birth
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def masked_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else ""


def has_chronic(p: Person) -> bool | None:
    if p.chronic is None:
        return None
    return p.chronic.strip() not in NONE_WORDS


@dataclass
class Column:
    letter: str
    clerk: Callable[[Person, dt.date], object]  # the value a clerk writes (None: blank)
    choices: tuple[str, ...] = ()  # the column's own dropdown
    shape: str = ""  # a regex every written value must match (its format)


@dataclass
class Template:
    title: str
    kind: str  # list | card
    file: str
    build: Callable[[Path], Path]
    wants: Callable[[Person, dt.date], bool]  # the rows the title implies
    columns: dict[str, Column]  # header -> column
    first_data: int = 0  # lists: first data row
    name_column: str = ""  # lists: the column whose value identifies the row (姓名)
    cells: dict[str, str] = field(default_factory=dict)  # cards: header -> value cell
    justify: dict[str, str] = field(default_factory=dict)
    mask: list[str] = field(default_factory=list)
    blanks: dict[str, str] = field(default_factory=dict)  # cell -> regex its filled text must match


def _head(ws, ref: str, text: str) -> None:
    ws[ref] = text
    ws[ref].font = Font(bold=True)
    ws[ref].alignment = CENTER
    ws[ref].border = BOX


def _dropdown(ws, choices: tuple[str, ...], sqref: str) -> None:
    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
    dv.add(sqref)
    ws.add_data_validation(dv)


# --- (a) 独居老人 list: two-level merged header, dropdowns, a format note, blanks ------------

def build_alone(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "独居老人"
    ws["A1"] = "独居老人花名册"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = CENTER
    ws.merge_cells("A1:J1")
    ws["A2"] = "填报单位（盖章）："
    ws["H2"] = "填报日期：    年  月  日"
    for ref, text in (("A3", "序号"), ("B3", "姓名"), ("C3", "基本情况"), ("G3", "健康及联系方式"),
                      ("I3", "现居住地址"), ("J3", "备注"), ("C4", "性别"), ("D4", "民族"), ("E4", "出生年月"),
                      ("F4", "公民身份号码"), ("G4", "是否患慢性病"), ("H4", "联系电话")):
        _head(ws, ref, text)
    for rng in ("A3:A4", "B3:B4", "C3:F3", "G3:H3", "I3:I4", "J3:J4"):
        ws.merge_cells(rng)
    for r in range(5, 8):
        for c in "ABCDEFGHIJ":
            ws[f"{c}{r}"].border = BOX
    ws["A9"] = "说明：1. 出生年月格式：1950.01；2. 公民身份号码填写18位。"
    _dropdown(ws, SEX, "C5:C500")
    _dropdown(ws, ETHNIC_SHORT, "D5:D500")
    _dropdown(ws, ("是", "否"), "G5:G500")
    for c, w in zip("ABCDEFGHIJ", (6, 10, 6, 8, 10, 22, 12, 14, 30, 10), strict=True):
        ws.column_dimensions[c].width = w
    wb.save(path)
    return path


def _short(ethnicity: str) -> str | None:
    short = ethnicity[:-1] if ethnicity.endswith("族") else ethnicity
    return short or None


ALONE = Template(
    "独居老人花名册", "list", "独居老人花名册.xlsx", build_alone,
    wants=lambda p, end: p.age(end) >= 60 and p.lives_alone,
    columns={
        "姓名": Column("B", lambda p, end: p.name),
        "性别": Column("C", lambda p, end: p.sex, SEX),
        "民族": Column("D", lambda p, end: _short(p.ethnicity), ETHNIC_SHORT),
        "出生年月": Column("E", lambda p, end: f"{p.birth:%Y.%m}", shape=r"^(19|20)\d\d\.(0[1-9]|1[0-2])$"),
        "公民身份号码": Column("F", lambda p, end: p.id_number, shape=r"^\d{17}[\dX]$"),
        "是否患慢性病": Column("G", lambda p, end: {True: "是", False: "否", None: None}[has_chronic(p)],
                          ("是", "否")),
        "联系电话": Column("H", lambda p, end: p.phone or None, shape=r"^1[3-9]\d{9}$"),
        "现居住地址": Column("I", lambda p, end: p.address or None),
    },
    first_data=5, name_column="B",
    justify={"公民身份号码": "核实独居老人身份，入户关爱", "联系电话": "每周电话问候独居老人",
             "民族": "按民族统计关爱对象", "是否患慢性病": "慢性病独居老人优先上门"},
    blanks={"A2": r"^填报单位（盖章）：\s*\S+", "H2": r"^填报日期：\s*{y}\s*年\s*{m}\s*月\s*{d}\s*日$"},
)


# --- (b) 65岁以上老年人健康管理: a date-formatted column, 有/无, masked phones ---------------

def build_health(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "健康管理"
    ws["A1"] = "65岁以上老年人健康管理花名册"
    ws["A1"].font = Font(bold=True, size=16)
    ws.merge_cells("A1:I1")
    for i, text in enumerate(("序号", "所属社区", "姓名", "性别", "年龄", "出生日期", "身份证号",
                              "联系电话", "有无慢性病"), start=1):
        _head(ws, ws.cell(row=2, column=i).coordinate, text)
    for r in range(3, 6):
        for c in "ABCDEFGHI":
            ws[f"{c}{r}"].border = BOX
        ws[f"F{r}"].number_format = "yyyy-mm-dd"
        ws[f"G{r}"].number_format = "@"
    _dropdown(ws, SEX, "D3:D2000")
    _dropdown(ws, ("有", "无"), "I3:I2000")
    ws["A7"] = "填表人："
    ws["E7"] = "联系电话："
    wb.save(path)
    return path


HEALTH = Template(
    "65岁以上老年人健康管理花名册", "list", "65岁以上老年人健康管理.xlsx", build_health,
    wants=lambda p, end: p.age(end) >= 65,
    columns={
        "所属社区": Column("B", lambda p, end: p.community),
        "姓名": Column("C", lambda p, end: p.name),
        "性别": Column("D", lambda p, end: p.sex, SEX),
        "年龄": Column("E", lambda p, end: p.age(end), shape=r"^\d{2,3}$"),
        "出生日期": Column("F", lambda p, end: p.birth, shape=r"^(19|20)\d\d-\d\d-\d\d$"),
        "身份证号": Column("G", lambda p, end: p.id_number, shape=r"^\d{17}[\dX]$"),
        "联系电话": Column("H", lambda p, end: masked_phone(p.phone) or None, shape=r"^1[3-9]\d\*{4}\d{4}$"),
        "有无慢性病": Column("I", lambda p, end: {True: "有", False: "无", None: None}[has_chronic(p)], ("有", "无")),
    },
    first_data=3, name_column="C",
    justify={"身份证号": "建立居民健康档案需核对身份", "有无慢性病": "老年人健康管理需掌握慢性病情况"},
    mask=["联系电话"],
)


# --- (c) a card (登记表) of a disabled person: labels beside their value cells -------------

def build_card(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "登记表"
    ws["A1"] = "残疾人基本情况登记表"
    ws["A1"].font = Font(bold=True, size=16)
    ws.merge_cells("A1:F1")
    labels = {"A2": "姓名", "C2": "性别", "E2": "出生日期", "A3": "民族", "C3": "公民身份号码",
              "A4": "残疾类别", "C4": "残疾等级", "E4": "是否独居", "A5": "联系电话", "D5": "现居住地址"}
    for ref, text in labels.items():
        _head(ws, ref, text)
    for rng in ("D3:F3", "B5:C5", "E5:F5"):
        ws.merge_cells(rng)
    for r in range(2, 6):
        for c in "ABCDEF":
            ws[f"{c}{r}"].border = BOX
    ws["A7"] = "填表人：            填表日期：    年  月  日"
    _dropdown(ws, SEX, "D2")
    _dropdown(ws, DISABILITY, "B4")
    _dropdown(ws, GRADES, "D4")
    _dropdown(ws, ("是", "否"), "F4")
    ws["F2"].number_format = "yyyy-mm-dd"
    ws["B5"].number_format = "@"
    wb.save(path)
    return path


CARD = Template(
    "残疾人基本情况登记表", "card", "残疾人基本情况登记表.xlsx", build_card,
    wants=lambda p, end: bool(p.disability),
    columns={
        "姓名": Column("B2", lambda p, end: p.name),
        "性别": Column("D2", lambda p, end: p.sex, SEX),
        "出生日期": Column("F2", lambda p, end: p.birth, shape=r"^(19|20)\d\d-\d\d-\d\d$"),
        "民族": Column("B3", lambda p, end: p.ethnicity or None),
        "公民身份号码": Column("D3", lambda p, end: p.id_number, shape=r"^\d{17}[\dX]$"),
        "残疾类别": Column("B4", lambda p, end: p.disability, DISABILITY),
        "残疾等级": Column("D4", lambda p, end: p.grade or None, GRADES),
        "是否独居": Column("F4", lambda p, end: "是" if p.lives_alone else "否", ("是", "否")),
        "联系电话": Column("B5", lambda p, end: p.phone or None, shape=r"^1[3-9]\d{9}$"),
        "现居住地址": Column("E5", lambda p, end: p.address or None),
    },
    justify={"公民身份号码": "残疾人证核发需核对身份", "联系电话": "残联回访", "残疾类别": "残疾人服务",
             "残疾等级": "残疾人服务", "民族": "按残联统计口径"},
)

TEMPLATES = (ALONE, HEALTH, CARD)


def blank_pattern(pattern: str, today: dt.date) -> str:
    return pattern.replace("{y}", str(today.year)).replace("{m}", str(today.month)).replace("{d}", str(today.day))


def same(got: object, want: object) -> bool:
    """A written cell equals the clerk's value: dates as dates (or their ISO text when a
    spreadsheet program hands back text), numbers as numbers, text exactly."""
    if want is None:
        return got in (None, "")
    if isinstance(want, dt.date):
        if isinstance(got, dt.datetime):
            return got.date() == want
        if isinstance(got, dt.date):
            return got == want
        return str(got or "").strip() == want.isoformat()
    if isinstance(want, int):
        return got == want or str(got).strip() == str(want)
    return str(got if got is not None else "").strip() == str(want) and (
        not re.fullmatch(r"\d{17}[\dX]", str(want)) or isinstance(got, str))
