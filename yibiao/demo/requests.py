"""The demo county's departments ask for tables, through the same gate as real ones.

Templates are data (title, department, frequency, headers, filter); each is written as
an .xlsx the way departments lay them out, submitted, analysed and decided by the same
workflow the web and CLI use. A duplicate is rejected at the gate; admitted requests get
tasks for the last three months, and the demo workers complete some of them.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from yibiao.accounts.models import User
from yibiao.gate.models import FormRequest
from yibiao.gate.tables import workflow
from yibiao.orgunits.models import OrgUnit
from yibiao.reports import tasks
from yibiao.reports.periods import period_of, previous

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True)
class DemoTemplate:
    title: str
    department: str
    frequency: str
    headers: list[str]
    basis: str
    subject_filter: str | None = None  # who the rows are about (docs/subject-filter.md)
    justify: dict[str, str] = field(default_factory=dict)
    mask: tuple[str, ...] = ()  # sensitive columns the department accepts masked
    decision: str = "admit"  # admit | reject | pending
    direct: bool = False


ID_REASON = {"person.id_number": "核实身份、避免重复统计（《个人信息保护法》第二十八条，最小必要）"}
TEMPLATES = [
    DemoTemplate("65岁及以上老年人健康管理花名册", "区卫生健康局", "quarterly",
                 ["序号", "所属社区", "姓名", "性别", "出生日期", "公民身份号码", "联系电话", "现居住地址",
                  "慢性病情况"],
                 "《国家基本公共卫生服务规范（第三版）》（国卫基层发〔2017〕13号）",
                 "年龄 >= 65",
                 {**ID_REASON, "person.chronic_disease": "老年人健康管理随访需要",
                  "person.phone": "随访前电话预约体检和上门服务"}),
    DemoTemplate("独居老人关爱探访登记表", "区民政局", "monthly",
                 ["序号", "姓名", "性别", "年龄", "联系电话", "紧急联系人", "紧急联系人电话", "本月探访次数",
                  "探访发现的问题"],
                 "《关于加强独居老年人关爱服务工作的通知》（岳民发〔2026〕11号）",
                 "年龄 >= 60 且 独居 = 是",
                 {"person.phone": "探访前电话联系老人", "person.emergency_phone": "老人出现紧急情况时联系家属"}),
    DemoTemplate("残疾人基本状况表", "区残疾人联合会", "quarterly",
                 ["序号", "姓名", "性别", "公民身份号码", "残疾类别", "残疾等级", "残疾人证号", "联系电话"],
                 "《残疾人基本服务状况和需求信息数据动态更新工作方案》（残联发〔2015〕27号）",
                 "残疾类别 有值",
                 {**ID_REASON, "person.disability_category": "残疾人服务需求评估",
                  "person.disability_grade": "残疾人服务需求评估",
                  "person.disability_cert_no": "核对残疾人证"},
                 mask=("person.phone",)),
    DemoTemplate("社区人口情况统计表", "区统计局", "monthly",
                 ["网格", "总人口", "60岁以上老人数", "独居老人数", "残疾人数", "低保人数", "本月新增流动人口"],
                 "《统计法》及《岳麓区社区统计报表制度》（岳统字〔2026〕1号）"),
    DemoTemplate("退役军人信息采集表", "区退役军人事务局", "yearly",
                 ["序号", "姓名", "公民身份号码", "联系电话", "现居住地址", "是否享受优抚待遇"],
                 "《退役军人保障法》第十九条", "是否退役军人 = 是",
                 ID_REASON, mask=("联系电话",)),
    DemoTemplate("独居老人情况统计", "街道办事处", "monthly",
                 ["序号", "姓名", "性别", "年龄", "联系电话", "紧急联系人", "紧急联系人电话", "本月探访次数",
                  "探访发现的问题"],
                 "街道工作安排（无文号）", "年龄 >= 60 且 独居 = 是",
                 mask=("联系电话", "紧急联系人电话"), decision="reject"),
    DemoTemplate("低保对象花名册", "区民政局", "monthly",
                 ["序号", "姓名", "性别", "出生日期", "公民身份号码", "家庭住址"],
                 "《社会救助暂行办法》（国务院令第649号）",
                 "是否低保对象 = 是",
                 {**ID_REASON, "person.low_income": "低保动态管理"}, direct=True),
]


def write_template(template: DemoTemplate, folder: Path) -> Path:
    """A department-style sheet: merged title, 填报单位 line, boxed header, a note."""
    book = Workbook()
    sheet = book.active
    sheet.title = template.title[:30]
    width = len(template.headers)
    sheet.append([template.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(["填报单位：", None, None, "填报日期："])
    sheet.append(template.headers)
    for cell in sheet[3]:
        cell.font, cell.border = Font(bold=True), BOX
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    sheet.append([None] * width)
    for cell in sheet[4]:
        cell.border = BOX
    sheet.append(["注：请于每期结束后5个工作日内报送。"])
    for index in range(width):
        sheet.column_dimensions[chr(ord("A") + index)].width = 14
    path = folder / f"{template.title}.xlsx"
    book.save(path)
    return path


def submit_all(county: OrgUnit, today: dt.date, seed: int) -> list[FormRequest]:
    officer = User.objects.get(username="officer")
    admin = User.objects.get(username="admin")
    reviewer = User.objects.get(username="reviewer")
    decided = []
    with tempfile.TemporaryDirectory() as folder:
        for template in TEMPLATES:
            path = write_template(template, Path(folder))
            actor = officer if template.department == officer.department.name else admin
            request = workflow.submit(actor, path, workflow.NewRequest(
                title=template.title, department=template.department, basis=template.basis,
                frequency=template.frequency, scope_code=county.code,
                justifications=template.justify, masked=list(template.mask),
                filter_text=template.subject_filter))
            if template.decision == "admit":
                workflow.decide(reviewer, request, "admit", "依据充分，已核对各列",
                                direct_delivery=template.direct, mappings_checked=True)
            elif template.decision == "reject":
                workflow.decide(reviewer, request, "reject", "与已准入的报表重复，且无文件依据")
            decided.append(request)
    for request in FormRequest.objects.filter(pk__in=[r.pk for r in decided], status="admitted"):
        period = period_of(request.frequency, today)
        for _ in range(2):
            period = previous(period, request.frequency)
            tasks.create_tasks(request, period, today=today)
    complete_some(seed)
    return decided


def complete_some(seed: int) -> None:
    """The demo workers fill in the older periods of their own communities, leaving each
    table's latest period open: what a worker signing in has left to type or confirm."""
    rng = random.Random(seed)
    for username in ("worker1", "worker2"):
        worker = User.objects.get(username=username)
        by_request: dict[int, list] = {}
        for task in tasks.open_tasks(worker).order_by("period", "pk"):
            by_request.setdefault(task.request_id, []).append(task)
        for task in [t for periods in by_request.values() for t in periods[:-1]]:
            report = tasks.report_for(task)
            entries = {}
            for row in report.rows:
                for column, cell in zip(task.request.columns, row.cells, strict=True):
                    if cell.source == "missing":
                        entries[(row.key, column["column"])] = _plausible(column["header"], rng)
            result = tasks.complete(worker, task, entries)
            if not result.problems and task.cells_missing == 0:
                tasks.submit(worker, task)


def _plausible(header: str, rng: random.Random) -> str:
    if "次数" in header or "新增" in header:
        return str(rng.randint(0, 3))
    if header.startswith("是否"):
        return rng.choice(["是", "否"])
    if "电话" in header:
        return f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
    if "慢性病" in header:  # what the element holds: the disease, or 无 (never 良好/需关注)
        return rng.choice(["无", "无", "高血压", "糖尿病", "高血压、糖尿病"])
    return rng.choice(["无", "良好", "需关注"])


def submit_work(county: OrgUnit, today: dt.date) -> int:
    """Two departments want to inspect the same rental houses this month: the reviewer
    merges them into one joint visit (多检合一); a campaign task with an evidence demand is
    admitted with the photo wall struck; worker1 reports a table that came by WeChat; and
    the health commission's officer submits a follow-up task the reviewer has yet to decide."""
    from yibiao.gate.models import EvidenceKind, Kind, Subject
    from yibiao.gate.work import workflow as work
    from yibiao.slipped import reports as slipped

    admin = User.objects.get(username="admin")
    reviewer = User.objects.get(username="reviewer")
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

    def item(kind: str, title: str, department: str, basis: str, hours: float,
             subjects: list[str], evidence: list[work.Evidence]) -> object:
        return work.submit(admin, work.NewWorkItem(
            kind=kind, title=title, department=department, basis=basis, scope_code=county.code,
            start=start, end=end, hours_per_community=hours,
            estimate_basis="按每个社区约 40 处出租房屋、每处 10 分钟估算", subjects=subjects,
            evidence=evidence))

    police = item(Kind.INSPECTION, "出租房屋治安检查", "区公安分局",
                  "《租赁房屋治安管理规定》（公安部令第24号）", 6, [Subject.RENTAL_HOUSES],
                  [work.Evidence("检查记录表", "留存检查结果", EvidenceKind.RECORD)])
    housing = item(Kind.INSPECTION, "出租房屋安全隐患排查", "区住房和城乡建设局",
                   "《商品房屋租赁管理办法》（住建部令第6号）", 5, [Subject.RENTAL_HOUSES],
                   [work.Evidence("现场照片", "证明已到现场", EvidenceKind.PHOTO)])
    work.merge(reviewer, police, housing, "同一批出租房屋，同月检查，合并为一次联合检查")
    campaign = item(Kind.TASK, "防范电信诈骗宣传入户", "区公安分局",
                    "《反电信网络诈骗法》第八条", 3, [Subject.RESIDENTS],
                    [work.Evidence("宣传照片墙", "展示宣传效果", EvidenceKind.PHOTO)])
    demand = campaign.evidence.first()
    work.strike(reviewer, campaign, demand.pk, "宣传效果不以照片墙衡量，过度留痕")
    work.decide(reviewer, campaign, "admit", "依法有据，工作量适当")
    slipped.report(User.objects.get(username="worker1"), department="街道办事处", channel="wechat",
                   kind="table", description="微信群里要求填报“辖区老年人摸底表”，与已准入报表重复")
    # Left for the reviewer: the reviewer's home opens on a queue with work in it.
    work.submit(User.objects.get(username="officer"), work.NewWorkItem(
        kind=Kind.TASK, title="独居老人冬季健康随访", department="区卫生健康局",
        basis="《国家基本公共卫生服务规范（第三版）》", scope_code=county.code, start=start, end=end,
        hours_per_community=2, estimate_basis="按每个社区约 12 位独居老人、每位 10 分钟估算",
        subjects=[Subject.ELDERLY_ALONE]))
    return 3
