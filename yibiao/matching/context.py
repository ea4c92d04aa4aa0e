"""Whose field is it? The tables that let a sheet's subject and a header's qualifier decide.

A column header is read as  [qualifier] + core : 户主 + 身份证号, 房主 + 联系电话,
被盘查人 + 身份证号, 志愿者 + 姓名. The core names a person attribute; the qualifier says
whose it is. The sheet's subject (what one row is about: a person, a household, a place,
an organisation or something else) decides what an unqualified core means.
"""
from __future__ import annotations

import re

SUBJECTS = ("person", "household", "place", "org", "other", "aggregate")

# Qualifier words -> role. "self" means the row's own subject.
ROLES: dict[str, str] = {
    "本人": "self", "居民": "self", "人员": "self", "个人": "self", "公民": "self",
    "申请人": "self", "当事人": "self", "对象": "self", "成员": "self",
    "户主": "head",
    "房主": "owner", "房东": "owner", "业主": "owner", "产权人": "owner", "出租人": "owner",
    "房屋所有人": "owner", "所有权人": "owner", "屋主": "owner",
    "紧急联系人": "emergency",
    "登记人": "recorder", "填报人": "recorder", "填表人": "recorder", "登记民警": "recorder",
    "录入人": "recorder", "采集人": "recorder", "制表人": "recorder",
    "其他": "other", "其它": "other", "原": "other", "曾用": "other",
}
# "被盘查人", "被访人", "服务对象", "走访对象": the row's subject, named by what is done to it.
SELF_ROLE_PATTERNS = (re.compile(r"^被.{1,4}人$"), re.compile(r"^.{1,4}对象$"))
# An unknown qualifier ending like this names another person or an organisation.
OTHER_PARTY_ENDINGS = ("人", "者", "员", "警", "长", "主", "属", "东", "师", "生", "方", "代表",
                       "父", "母", "妻", "夫", "子", "女", "配偶", "亲",
                       "单位", "社区", "公司", "派出所", "部门", "机构", "企业", "学校", "办公",
                       "村", "街道", "组织", "机关")

# (role, element of the core) -> element; a role with no entry for its core maps to nothing.
ROLE_TARGETS: dict[tuple[str, str], str] = {
    ("head", "person.name"): "household.head_name",
    ("head", "person.id_number"): "household.head_id_number",
    ("owner", "person.name"): "place.owner_name",
    ("owner", "person.phone"): "place.owner_phone",
    ("emergency", "person.name"): "person.emergency_contact",
    ("emergency", "person.phone"): "person.emergency_phone",
    ("recorder", "person.name"): "meta.filled_by",
}

# Concepts: spellings whose element depends on the subject, with how sure we are.
CONCEPTS: dict[str, dict[str, tuple[str, str]]] = {
    "@address": {
        "person": ("person.residence_address", "suggested"),
        "household": ("household.address", "auto"),
        "place": ("place.address", "auto"),
    },
}

# An element of one subject met on a sheet about another: what it becomes, how sure.
# Missing entries fall back to ELEMENT_ON_SUBJECT.
TRANSFERS: dict[tuple[str, str], tuple[str, str]] = {
    ("person.residence_address", "household"): ("household.address", "auto"),
    ("person.residence_address", "place"): ("place.address", "suggested"),
    ("person.name", "household"): ("household.head_name", "suggested"),
    ("person.id_number", "household"): ("household.head_id_number", "suggested"),
    ("person.name", "place"): ("place.owner_name", "suggested"),
    ("person.phone", "place"): ("place.owner_phone", "suggested"),
    ("household.address", "place"): ("place.address", "suggested"),
}
# (element subject, sheet subject) -> best status allowed. Absent pairs: "unmapped".
ELEMENT_ON_SUBJECT: dict[tuple[str, str], str] = {
    **{(s, sheet): "auto" for s in ("meta", "org") for sheet in SUBJECTS},
    **{("meta", "unknown"): "auto", ("org", "unknown"): "auto"},
    ("person", "person"): "auto", ("household", "person"): "auto", ("place", "person"): "auto",
    ("household", "household"): "auto", ("person", "household"): "suggested",
    ("place", "place"): "auto", ("person", "place"): "suggested", ("household", "place"): "suggested",
    ("person", "unknown"): "suggested", ("household", "unknown"): "suggested",
    ("place", "unknown"): "suggested", ("place", "org"): "suggested", ("place", "other"): "suggested",
}

# Elements that, as a column of a list, are usually something else: a per-row 填报日期 is
# the row's own timestamp, not the form's reporting date.
ELEMENT_CAPS: dict[str, str] = {"meta.reporting_date": "suggested"}
# A bracketed unit like （人） or （户） makes a column a count, whatever its words say.
COUNT_UNITS = frozenset({"人", "户", "个", "家", "套", "间", "人次", "名", "处", "栋"})

# Evidence for a sheet's subject: (regex on normalised header, subject, weight).
HEADER_SIGNALS: tuple[tuple[str, str, float], ...] = (
    (r"单位名称|企业名称|机构名称|法人|法定代表|营业执照|组织机构代码|信用代码|经营范围|注册资本|从业人数|单位地址|单位性质|单位属性|单位类型", "org", 2),
    (r"号牌|车牌|车架|电机号|发动机号|品牌型号|车辆", "other", 2),
    (r"房主|房东|业主|产权|出租|承租", "place", 2),
    (r"门牌|楼栋|楼号|房间号|街路巷|小区|房屋编号|建筑面积|房屋结构|房屋类型", "place", 1),
    (r"户主|户号|家庭人口|家庭成员|户人数|同户", "household", 1),
)
TITLE_SIGNALS: tuple[tuple[str, str, float], ...] = (
    (r"房屋|出租房|出租屋|房产|楼栋|地址|门牌|住房", "place", 2),
    (r"单位|企业|公司|机构|场所|商户|门店|学校|医院", "org", 2),
    (r"车辆|电动车|机动车|车$", "other", 2),
    (r"家庭|户籍户|住户|户信息|户台账|户花名册|入户", "household", 1),
    (r"人员|人口|居民|老人|儿童|对象|名单|花名册|党员|志愿者|职工|学生|患者|妇女|残疾人|退役军人|从业", "person", 1),
)
# Elements that, unqualified in a header, show the row is a person.
PERSON_KEYS = frozenset({"person.name", "person.id_number", "person.sex", "person.birth_date",
                         "person.ethnicity", "person.age"})
HOUSEHOLD_KEYS = frozenset({"household.head_name", "household.head_id_number", "household.size",
                            "household.number"})


def role_of(qualifier: str) -> str:
    """Role of a header qualifier: self | head | owner | emergency | recorder | other | modifier."""
    if not qualifier:
        return "self"
    if qualifier in ROLES:
        return ROLES[qualifier]
    if any(p.match(qualifier) for p in SELF_ROLE_PATTERNS):
        return "self"
    for word, role in sorted(ROLES.items(), key=lambda kv: -len(kv[0])):
        if qualifier.endswith(word) and role != "self":
            return role
    if qualifier.endswith(OTHER_PARTY_ENDINGS):
        return "other"
    return "modifier"  # 家庭住址's 家庭, 手机's 移动: unknown words, not a party
