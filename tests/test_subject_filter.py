"""Who the rows are about: the filter language, the suggestion from a template's words,
and the rows a task, an export, the data API and the analysis get under it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from yibiao.accounts import tokens
from yibiao.audit.models import Action, AuditEntry
from yibiao.gate.models import FormRequest, Status
from yibiao.gate.tables import subjects, workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.orgunits.divisions import add_unit
from yibiao.orgunits.models import Level
from yibiao.reports import filterlang, tasks
from yibiao.reports.filterlang import FilterError
from yibiao.reports.filters import matches
from yibiao.reports.models import Task
from yibiao.reports.periods import parse_period
from yibiao.reports.prefill import build_report
from yibiao.values.ids import check_digit

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

AGE, ALONE = "person.age", "person.lives_alone"


def leaf(element: str, op: str, value: object = None) -> dict:
    return {"element": element, "op": op} if value is None else {"element": element, "op": op, "value": value}


# --- the language: good inputs and the trees they give
GOOD = [
    ("年龄 >= 60 且 独居 = 是", {"and": [leaf(AGE, ">=", "60"), leaf(ALONE, "=", "1")]}),
    ("age >= 65 and (low_income = yes or disability_category present)",
     {"and": [leaf(AGE, ">=", "65"), {"or": [leaf("person.low_income", "=", "1"),
                                             leaf("person.disability_category", "present")]}]}),
    ("年龄大于等于60且是否独居=是", {"and": [leaf(AGE, ">=", "60"), leaf(ALONE, "=", "1")]}),
    ("（年齡＞＝６５）或　獨居＝是", {"or": [leaf(AGE, ">=", "65"), leaf(ALONE, "=", "1")]}),
    ("AGE >= 65 AND Lives_Alone = Y", {"and": [leaf(AGE, ">=", "65"), leaf(ALONE, "=", "1")]}),
    ("person.age >= 65", leaf(AGE, ">=", "65")),
    ("年龄 >= 60岁", leaf(AGE, ">=", "60")),
    ("年龄不满18", leaf(AGE, "<", "18")),
    ("性别 = 女", leaf("person.sex", "=", "2")),
    ("性别 属于 (男, 女)", leaf("person.sex", "in", ["1", "2"])),
    ("残疾类别 属于 视力残疾、听力残疾", leaf("person.disability_category", "in", ["1", "2"])),
    ("残疾类别 有值", leaf("person.disability_category", "present")),
    ("残疾类别 为空", leaf("person.disability_category", "absent")),
    ("低保 = 是 或 特困 = 是 且 年龄 >= 80",  # 且 binds tighter than 或
     {"or": [leaf("person.low_income", "=", "1"),
             {"and": [leaf("person.extreme_poverty", "=", "1"), leaf(AGE, ">=", "80")]}]}),
    ("非 独居 = 是", {"not": leaf(ALONE, "=", "1")}),
    ("not (独居 = 是 or 年龄 < 60)", {"not": {"or": [leaf(ALONE, "=", "1"), leaf(AGE, "<", "60")]}}),
    ("独居 = 非", leaf(ALONE, "=", "0")),  # 非 where a value goes is 否
    ("“是否独居” = ‘是’", leaf(ALONE, "=", "1")),
    ("隔离中 = 是", leaf("person.in_quarantine", "=", "1")),
    ("隔离开始日期 <= 期末 且 隔离结束日期 >= 期初",
     {"and": [leaf("person.quarantine_start", "<=", "{period_end}"),
              leaf("person.quarantine_end", ">=", "{period_start}")]}),
    ("出生日期 < 1960年1月1日", leaf("person.birth_date", "<", "1960-01-01")),
    ("((年龄 >= 60))", leaf(AGE, ">=", "60")),
    ("", None),
    ("   ", None),
]

# Bad inputs: the error's code and the character (0-based) it points at.
BAD = [
    ("__import__('os')", "unknown_element", 0),
    ("__import__('os').system('rm -rf /')", "unknown_element", 0),
    ("os.system('ls')", "unknown_element", 0),
    ("年龄 >= 60; drop table ledger_fact", "bad_character", 8),
    ("年龄 >= 60 且", "incomplete", 10),  # just past the end
    ("(年龄 >= 60", "unclosed", 0),
    ("年龄 >= 60)", "unexpected_close", 8),
    ("年龄 >= 60 且 ()", "empty_group", 11),
    ("年龄 >= 老", "bad_value", 6),
    ("性别 = 火星人", "bad_value", 5),
    ("独居 > 是", "ordering", 3),
    ("年龄 60", "expected_operator", 3),
    ("年龄 >= 60 独居 = 是", "expected_connective", 9),
    ("年龄 >=", "incomplete", 5),
    ("星座 = 白羊", "unknown_element", 0),
    ("年龄 >= 60 且 星座 = 白羊", "unknown_element", 11),
    ("独居 = '是", "unclosed_quote", 5),
    ("是否出租房屋 = 是", "wrong_subject", 0),
    ("= 60", "expected_element", 0),
    ("年龄 >= {{7*7}}", "bad_value", 6),
]


@pytest.fixture
def vocab(db):
    return subjects.vocabulary()


@pytest.mark.parametrize(("text", "tree"), GOOD)
def test_a_filter_reads_into_its_tree_and_back(vocab, text, tree):
    assert filterlang.parse(text, vocab, "person") == tree
    if tree is not None:  # the text shown to people parses back to the same tree
        shown = filterlang.describe(tree, vocab)
        assert filterlang.parse(shown, vocab, "person") == tree, shown
        assert filterlang.parse(filterlang.describe(tree, vocab, english=True), vocab, "person") == tree


@pytest.mark.parametrize(("text", "code", "position"), BAD)
def test_a_bad_filter_says_what_and_where_in_both_languages(vocab, text, code, position):
    with pytest.raises(FilterError) as caught:
        filterlang.parse(text, vocab, "person")
    problem = caught.value
    assert (problem.code, problem.position) == (code, position), problem.message_zh
    assert f"第 {position + 1} 个字符" in problem.message_zh or code == "wrong_subject"
    assert f"character {position + 1}" in problem.message_en or code == "wrong_subject"
    assert problem.excerpt.endswith("^")


def test_nothing_is_ever_evaluated(vocab, tmp_path):
    marker = tmp_path / "pwned"
    for text in [f"__import__('os').system('touch {marker}')", f"年龄 >= exec('open(\"{marker}\", \"w\")')",
                 "年龄 >= (lambda: 1)()", f"独居 = \"{{open('{marker}','w')}}\""]:
        with pytest.raises(FilterError):
            filterlang.parse(text, vocab, "person")
    assert not marker.exists()


def test_an_unknown_name_suggests_the_nearest_ones(vocab):
    with pytest.raises(FilterError) as caught:
        filterlang.parse("是否独住 = 是", vocab, "person")
    assert "是否独居" in caught.value.message_zh


def test_nesting_and_length_are_bounded(vocab):
    with pytest.raises(FilterError) as deep:
        filterlang.parse("(" * 40 + "年龄 >= 1" + ")" * 40, vocab, "person")
    assert deep.value.code == "too_deep"
    with pytest.raises(FilterError) as long:
        filterlang.parse("年龄 >= 1 且 " * 300 + "年龄 >= 1", vocab, "person")
    assert long.value.code == "too_long"


# --- evaluation
NOV = parse_period("2026-11")
EVALUATED = [
    ({"person.age": "70", ALONE: "1"}, {"and": [leaf(AGE, ">=", "60"), leaf(ALONE, "=", "1")]}, True),
    ({"person.age": "59", ALONE: "1"}, {"and": [leaf(AGE, ">=", "60"), leaf(ALONE, "=", "1")]}, False),
    ({"person.age": "9"}, {"or": [leaf(AGE, "<", "18"), leaf(ALONE, "=", "1")]}, True),
    ({"person.age": "70"}, {"not": leaf(ALONE, "=", "1")}, True),
    ({"person.sex": "2"}, leaf("person.sex", "in", ["1", "2"]), True),
    ({"person.quarantine_start": "2026-10-25", "person.quarantine_end": "2026-11-02"},
     leaf("person.in_quarantine", "=", "1"), True),
    ({"person.quarantine_start": "2026-10-01", "person.quarantine_end": "2026-10-14"},
     leaf("person.in_quarantine", "=", "1"), False),
    ({"person.quarantine_start": "2026-11-28"}, leaf("person.in_quarantine", "=", "1"), True),
    ({"person.age": "70"}, [leaf(AGE, ">=", "65")], True),  # the stored flat list: an AND
    ({"person.age": "64"}, [leaf(AGE, ">=", "65")], False),
    ({"person.age": "64"}, [], True),
]


@pytest.mark.parametrize(("values", "stored", "expected"), EVALUATED)
def test_a_tree_is_evaluated_against_a_subjects_values(values, stored, expected):
    assert matches(values, stored, NOV) is expected


# --- suggestions from the template's words (no database)
SUGGESTED = [
    ("65岁以上老年人健康管理", "person.age >= 65", "auto"),
    ("65岁及以上老年人健康管理花名册", "person.age >= 65", "auto"),
    ("独居老人关爱探访登记表", "person.age >= 60 and person.lives_alone = 1", "auto"),
    ("80周岁以上高龄老人津贴发放表", "person.age >= 80", "auto"),
    ("残疾人基本状况表", "person.disability_category present", "auto"),
    ("低保对象花名册", "person.low_income = 1", "auto"),
    ("退役军人信息采集表", "person.veteran = 1", "auto"),
    ("65歲以上獨居老人名冊", "person.age >= 65 and person.lives_alone = 1", "auto"),
    ("０－６岁儿童健康管理", "person.age >= 0 and person.age <= 6", "auto"),
    ("18～59岁人员", "person.age >= 18 and person.age <= 59", "auto"),
    ("老年人体检登记表", "person.age >= 60", "suggested"),
    ("居家隔离人员登记表", "person.in_quarantine = 1", "suggested"),
    ("居民基本信息花名册", "", ""),
    ("社区人口情况表", "", ""),
]


@pytest.mark.parametrize(("title", "expected", "status"), SUGGESTED)
def test_the_title_suggests_who_the_rows_are_about(title, expected, status):
    vocab = filterlang.builtin_vocabulary()
    found = filterlang.suggest(title, [], [], "person", vocab)
    # Expected as codes (the language reads them); the English page says names (Age >= 65).
    assert (found.tree if found else None) == filterlang.parse(expected, vocab, "person")
    assert (found.status if found else "") == status


def test_a_name_header_suggests_and_another_subject_is_left_out():
    vocab = filterlang.builtin_vocabulary()
    found = filterlang.suggest("走访记录", ["Sheet1"], ["序号", "残疾人姓名", "残疾类别"], "person", vocab)
    assert found.tree == leaf("person.disability_category", "present") and found.status == "suggested"
    assert "残疾人姓名" in found.reasons[0]
    rental = filterlang.suggest("出租房屋登记表", [], [], "place", vocab)
    assert rental.tree == leaf("place.is_rental", "=", "1") and rental.subject == "place"
    assert filterlang.suggest("出租房屋租客登记表", [], [], "person", vocab) is None  # tenants: people


# --- end to end: the rows of a 65岁以上 table
def id_number(birth: dt.date, serial: int) -> str:
    first17 = f"430104{birth:%Y%m%d}{serial:03d}"
    return first17 + check_digit(first17)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_from_id(number: str, on: dt.date) -> int:
    """Independent of the product: digits 7–14 of the ID number are the birth date."""
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@pytest.fixture
def county(world):
    """Residents of two communities of township A (and one of township B), ages around 65
    at the end of this month: one turns 65 on the last day, one the day after."""
    today = dt.date.today()
    month_end = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    second = add_unit(world.township_a.code + "002", "岳麓社区", Level.COMMUNITY, world.township_a)
    births = {
        world.grid_a: [years_before(month_end, 65), years_before(month_end, 65) + dt.timedelta(days=1),
                       dt.date(1940, 3, 15), dt.date(1958, 7, 1), dt.date(1990, 1, 1), dt.date(2020, 5, 5)],
        second: [dt.date(1944, 2, 29), dt.date(1962, 12, 31), dt.date(1950, 6, 6), dt.date(1985, 8, 8)],
        world.community_b: [dt.date(1930, 1, 1), dt.date(2001, 1, 1)],
    }
    people = {}
    serial = 11
    for unit, dates in births.items():
        items = []
        for birth in dates:
            number = id_number(birth, serial)
            serial += 2
            values = {"person.id_number": number, "person.name": f"居民{serial}"}
            if birth.year < 1960:
                values[ALONE] = "是" if serial % 3 else "否"
            items.append(PersonInput(values))
        write_people(world.admin, unit, items, valid_from=dt.date(2026, 1, 1))
        people[unit.code] = [i.values for i in items]
    world.second = second
    world.people = people
    return world


ELDERLY = table("""
| 序号 | 所属社区 | 姓名 | 性别 | 出生日期 | 公民身份号码 |
""")


def template(tmp_path: Path, title: str, name: str = "t.xlsx") -> Path:
    return write_xlsx(tmp_path / name, [[title], *ELDERLY])


def expected_ids(world, on: dt.date, codes: list[str], minimum: int = 65) -> set[str]:
    return {p["person.id_number"] for unit, people in world.people.items() for p in people
            if unit.startswith(tuple(codes)) and age_from_id(p["person.id_number"], on) >= minimum}


def task_rows(request: FormRequest) -> tuple[dt.date, set[str]]:
    """The ID numbers on the request's tasks (one per community), as the worker sees them."""
    found: set[str] = set()
    end = None
    for task in Task.objects.filter(request=request):
        report = tasks.report_for(task)
        end = report.period.end
        column = [c.get("element") for c in request.columns].index("person.id_number")
        found |= {row.cells[column].value for row in report.rows}
    return end, found


@pytest.mark.django_db
def test_a_65_plus_template_via_the_cli_lists_exactly_the_residents_aged_65_or_more(county, tmp_path, capsys):
    from yibiao.cli import main

    path = template(tmp_path, "65岁以上老年人健康管理花名册")
    assert main(["request", "create", "--template", str(path), "--department", county.department.name,
                 "--title", "65岁以上老年人健康管理花名册", "--basis", "《国家基本公共卫生服务规范》（国卫基层发〔2017〕13号）",
                 "--frequency", "monthly", "--scope", county.township_a.code,
                 "--justify", "person.id_number=核对身份", "--json", "--user", "officer"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["filter_status"] == "auto" and shown["subject_filter"]["text"] == "年龄 >= 65"
    assert main(["request", "review", str(shown["id"]), "admit", "--mappings-checked",
                 "--user", "reviewer"]) == 0
    capsys.readouterr()
    request = FormRequest.objects.get(pk=shown["id"])
    end, rows = task_rows(request)
    assert rows == expected_ids(county, end, [county.community_a.code, county.second.code])
    assert len(rows) == 5  # 1940, 1944 (29 Feb), 1950, 1958, and the one turning 65 on the last day
    # The export and the data API give the same rows.
    out = tmp_path / "filled.xlsx"
    period = Task.objects.filter(request=request).first().period
    assert main(["report", "fill", str(request.pk), "--org", county.township_a.code, "--period", period,
                 "-o", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 5
    key = tokens.issue(county.admin, county.officer, "卫健随访系统")
    from django.test import Client

    body = Client().get(f"/api/v1/data/requests/{request.pk}/rows",
                        {"org": county.township_a.code, "period": period},
                        HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert body["total"] == 5


@pytest.mark.django_db
def test_the_cli_takes_a_filter_and_can_decline_the_suggestion(county, tmp_path, capsys):
    from yibiao.cli import main

    common = ["--department", county.department.name, "--basis", "《老年人关爱通知》（岳民发〔2026〕8号）",
              "--frequency", "monthly", "--scope", county.township_a.code,
              "--justify", "person.id_number=核对身份", "--json", "--user", "officer"]
    path = template(tmp_path, "居民名单")
    assert main(["request", "create", "--template", str(path), "--title", "独居老人名单",
                 "--filter", "年龄 >= 60 且 独居 = 是", *common]) == 0
    typed = json.loads(capsys.readouterr().out)
    assert typed["filter_tree"] == {"and": [leaf(AGE, ">=", "60"), leaf(ALONE, "=", "1")]}
    assert typed["filter_status"] == "auto"  # the same as the title's suggestion
    assert main(["request", "create", "--template", str(path), "--title", "65岁以上老人", "--no-filter",
                 *common]) == 0
    cleared = json.loads(capsys.readouterr().out)
    assert cleared["filter_tree"] == [] and cleared["filter_status"] == "cleared"
    assert cleared["burden"]["subjects"] == 10  # every resident of township A
    assert main(["request", "create", "--template", str(path), "--title", "表", "--filter", "年龄 >= 六十",
                 *common]) == 2
    captured = capsys.readouterr()
    assert "第 7 个字符" in captured.err
    error = json.loads(captured.out)["error"]  # --json: the refusal as JSON too, with its code
    assert error["code"] == "subject_filter_invalid" and "第 7 个字符" in error["message"]


@pytest.mark.django_db
def test_a_65_plus_template_via_the_web_form_and_a_reviewers_correction(client, county, tmp_path):
    path = template(tmp_path, "65岁以上老年人健康管理")
    client.login(username="officer", password=PASSWORD)
    with open(path, "rb") as handle:
        response = client.post("/gate/new/table/", {
            "template": handle, "title": "65岁以上老年人健康管理", "department": county.department.name,
            "basis": "《国家基本公共卫生服务规范》（国卫基层发〔2017〕13号）", "frequency": "monthly",
            "scope": county.township_a.code, "subject_filter": "",
            "justify:person.id_number": "核对身份"})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = FormRequest.objects.get()
    assert request.subject_filter == leaf(AGE, ">=", "65") and request.filter_status == "auto"
    page = client.get(response["Location"]).content.decode()
    assert "年龄 &gt;= 65" in page and "系统建议，已自动采用" in page and "岳麓社区" in page
    # The reviewer narrows it to 80 and over, then puts it back; each change is audited.
    client.login(username="reviewer", password=PASSWORD)
    client.post(f"/gate/{request.pk}/filter/", {"subject_filter": "年龄 >= 80", "reason": "只要高龄"})
    request.refresh_from_db()
    assert request.subject_filter == leaf(AGE, ">=", "80") and request.filter_status == "reviewer"
    assert request.analysis["burden"]["subjects"] == 2  # 1940 and 1944
    bad = client.post(f"/gate/{request.pk}/filter/", {"subject_filter": "年龄 >=="}, follow=True)
    assert "第 6 个字符" in bad.content.decode()
    client.post(f"/gate/{request.pk}/filter/", {"subject_filter": "年龄 >= 65"})
    changes = AuditEntry.objects.filter(action=Action.CHANGE, subject_kind="form_request")
    assert [(e.detail["old"], e.detail["new"]) for e in changes.order_by("id")] == [
        ("年龄 >= 65", "年龄 >= 80"), ("年龄 >= 80", "年龄 >= 65")]
    client.post(f"/gate/{request.pk}/decide/", {"action": "admit", "mappings_checked": "1"})
    request.refresh_from_db()
    assert request.status == Status.ADMITTED
    end, rows = task_rows(request)
    assert rows == expected_ids(county, end, [county.community_a.code, county.second.code])
    # Once admitted, the filter stays: a different set of rows is a new request.
    client.post(f"/gate/{request.pk}/filter/", {"subject_filter": ""})
    request.refresh_from_db()
    assert request.subject_filter == leaf(AGE, ">=", "65")


@pytest.mark.django_db
def test_the_analysis_counts_rows_per_community_under_the_filter(county, tmp_path):
    request = workflow.submit(county.officer, template(tmp_path, "65岁以上老年人健康管理"), workflow.NewRequest(
        title="65岁以上老年人健康管理", department=county.department.name,
        basis="《国家基本公共卫生服务规范》（国卫基层发〔2017〕13号）", frequency="monthly",
        scope_code=county.township_a.code, justifications={"person.id_number": "核对身份"}))
    chosen = request.analysis["subject_filter"]
    end = dt.date.fromisoformat(chosen["as_of"])
    per = {c["code"]: c["rows"] for c in chosen["rows_per_community"]}
    assert per == {code: len(expected_ids(county, end, [code]))
                   for code in (county.community_a.code, county.second.code)}
    assert request.analysis["burden"]["subjects"] == sum(per.values())
    # The burden is the filtered rows' : 6 columns × those rows by hand.
    assert request.analysis["burden"]["hand_cells_per_period"] == 6 * sum(per.values())


@pytest.mark.django_db
def test_a_filter_on_an_element_the_ledger_lacks_is_a_new_element_to_collect(county, tmp_path):
    request = workflow.submit(county.officer, template(tmp_path, "孕产妇健康管理"), workflow.NewRequest(
        title="孕产妇健康管理", department=county.department.name, basis="《孕产妇保健规范》（国卫〔2026〕1号）",
        frequency="monthly", scope_code=county.township_a.code,
        justifications={"person.id_number": "核对身份", "person.pregnant": "孕产妇随访"}))
    assert request.subject_filter == leaf("person.pregnant", "=", "1")
    analysis = request.analysis
    [element] = analysis["subject_filter"]["elements"]
    assert (element["element"], element["kind"], element["missing_cells"]) == ("person.pregnant", "new", 10)
    assert analysis["new_elements"] == 1 and analysis["burden"]["cells_per_period"] == 10
    assert "筛选条件用到 1 项：是否孕产妇" in analysis["verdict"]


@pytest.mark.django_db
def test_a_suggested_filter_waits_for_a_click(county, tmp_path):
    request = workflow.submit(county.officer, template(tmp_path, "老年人体检登记表"), workflow.NewRequest(
        title="老年人体检登记表", department=county.department.name, basis="《老年人体检通知》（岳卫〔2026〕2号）",
        frequency="yearly", scope_code=county.township_a.code, justifications={"person.id_number": "核对身份"}))
    assert request.subject_filter == [] and request.filter_status == "suggested"
    assert request.filter_suggestion["text"] == "年龄 >= 60"
    assert request.analysis["burden"]["subjects"] == 10
    accepted = workflow.set_filter(county.reviewer, request, accept_suggestion=True)
    assert accepted.subject_filter == leaf(AGE, ">=", "60") and accepted.filter_status == "confirmed"
    assert accepted.analysis["burden"]["subjects"] == len(expected_ids(
        county, dt.date.fromisoformat(accepted.analysis["subject_filter"]["as_of"]),
        [county.community_a.code, county.second.code], minimum=60))
    with pytest.raises(Exception, match="无权"):
        workflow.set_filter(county.worker_a, request, "年龄 >= 1")


@pytest.mark.django_db
def test_the_live_check_counts_the_residents_in_scope(client, county):
    client.login(username="officer", password=PASSWORD)
    body = client.get("/gate/filter-check/", {"filter": "年龄 >= 65", "scope": county.township_a.code,
                                                  "title": "独居老人名单"}).json()
    end = dt.date.fromisoformat(body["as_of"])
    assert body["ok"] and body["count"] == len(expected_ids(county, end, [county.community_a.code,
                                                                          county.second.code]))
    assert body["suggestion"]["text"] == "年龄 >= 60 且 是否独居 = 是"
    wrong = client.get("/gate/filter-check/", {"filter": "年龄 >= 60 且"}).json()
    assert not wrong["ok"] and wrong["error"]["position"] == 10
    outside = client.get("/gate/filter-check/", {"filter": "", "scope": county.township_b.code}).json()
    assert not outside["ok"]


@pytest.mark.django_db
def test_stored_flat_lists_still_select_rows(county, tmp_path):
    request = workflow.submit(county.officer, template(tmp_path, "居民表"), workflow.NewRequest(
        title="居民表", department=county.department.name, basis="《通知》（岳卫〔2026〕9号）",
        frequency="monthly", scope_code=county.township_a.code, justifications={"person.id_number": "核对身份"},
        subject_filter=[leaf(AGE, ">=", "65")]))
    assert request.filter_status == "officer"
    period = parse_period(f"{dt.date.today():%Y-%m}")
    report = build_report(request, county.township_a, period)
    column = [c.get("element") for c in request.columns].index("person.id_number")
    assert {r.cells[column].value for r in report.rows} == expected_ids(
        county, period.end, [county.community_a.code, county.second.code])


@pytest.mark.django_db
def test_an_aggregate_table_takes_no_filter(county, tmp_path):
    path = write_xlsx(tmp_path / "agg.xlsx", [["各社区老年人情况统计表"], *table("""
| 社区 | 总人口 | 60岁以上老人数 | 独居老人数 |
""")])
    new = workflow.NewRequest(title="各社区老年人情况统计表", department=county.department.name,
                              basis="《统计报表制度》（岳统字〔2026〕1号）", frequency="monthly",
                              scope_code=county.township_a.code, filter_text="年龄 >= 60")
    with pytest.raises(workflow.GateRefused, match="汇总表"):
        workflow.submit(county.officer, path, new)
    new.filter_text = None
    request = workflow.submit(county.officer, path, new)
    assert request.layout == "aggregate" and request.subject_filter == [] and request.filter_status == ""
