"""The public catalogue (工作事项清单): every admitted demand, by kind — what the grassroots
may legitimately be asked."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.models import Element
from yibiao.dictionary.rules import Rules
from yibiao.dictionary.words import shown as word
from yibiao.gate.models import Demand, Kind, Status, Subject
from yibiao.gate.tables import decisions
from yibiao.sheets.cells import safe_row

# The page translates the header ({% translate h %}); the exported list keeps it in Chinese.
HEADER = [gettext_noop("编号"), gettext_noop("类别"), gettext_noop("名称"), gettext_noop("部门"),
          gettext_noop("政策依据"), gettext_noop("频次"), gettext_noop("范围"), gettext_noop("报送期限或时间"),
          gettext_noop("数据项或对象"), gettext_noop("敏感个人信息的提供方式"), gettext_noop("填报方式或工时"),
          gettext_noop("准入日期")]
# Tables first, then tasks, then inspections; by department within a kind.
KIND_ORDER = {Kind.TABLE: 0, Kind.TASK: 1, Kind.INSPECTION: 2}


def admitted(user: object) -> list[Demand]:
    found = scope.visible_demands(user).filter(status=Status.ADMITTED).order_by("department__name", "pk")
    return sorted(found, key=lambda d: KIND_ORDER.get(d.kind, 9))


def personal_decisions(request: Demand, rules: Rules) -> str:
    """身份证号：完整提供（理由：核实身份）；联系电话：遮蔽提供 — what the department receives."""
    shown = []
    for d in decisions.decisions_of(request.columns, rules, request.justifications, request.masked_elements):
        if d.choice == decisions.FULL:
            shown.append(_("%(name)s：完整提供（理由：%(reason)s）") % {"name": word(d.name), "reason": d.reason})
        elif d.choice == decisions.MASKED:
            shown.append(_("%(name)s：遮蔽提供") % {"name": word(d.name)} + ("" if d.partly else _("（不提供）")))
        else:
            shown.append(_("%(name)s：未决定（按遮蔽提供）") % {"name": word(d.name)})
    return _("；").join(shown) or _("无")


def rows(requests: list[Demand]) -> list[list[str]]:
    names = dict(Element.objects.values_list("code", "name_zh"))
    rules = Rules.load()
    subjects = dict(Subject.choices)
    out = []
    for r in requests:
        decided = f"{timezone.localtime(r.decided_at):%Y-%m-%d}" if r.decided_at else ""  # YIBIAO_TIME_ZONE
        if r.kind != Kind.TABLE:
            whom = "、".join(str(subjects.get(s, s)) for s in r.subjects) or r.subjects_note
            out.append([str(r.pk), r.get_kind_display(), r.title, "、".join(r.departments()), r.basis,
                        r.get_frequency_display(), r.scope.full_name,
                        _("%(start)s 至 %(end)s") % {"start": f"{r.start_date:%Y-%m-%d}", "end": f"{r.end_date:%Y-%m-%d}"},
                        whom, "", _("每社区每次约 %(hours)s 小时") % {"hours": f"{r.hours_per_community:g}"}, decided])
            continue
        elements = _("、").join(dict.fromkeys(word(names.get(e, e)) for e in r.elements))
        out.append([str(r.pk), r.get_kind_display(), r.title, r.department.name, r.basis,
                    r.get_frequency_display(), r.scope.full_name, _("期末后 %(n)s 天") % {"n": r.deadline_days},
                    elements, personal_decisions(r, rules),
                    _("直接交付，基层零填报") if r.direct_delivery else _("台账预填，基层补缺"), decided])
    return out


def export_catalogue(user: object, path: Path) -> int:
    with translation.override("zh-hans"):  # the published list is in Chinese whoever exports it
        return _export_catalogue(user, path)


def _export_catalogue(user: object, path: Path) -> int:
    requests = admitted(user)
    book = Workbook()
    sheet = book.active
    sheet.title = "工作事项清单"
    sheet.append(["经准入的基层工作事项清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADER)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows(requests):
        sheet.append(safe_row(row))  # titles, bases and names as the departments typed them
    for letter, width in zip("ABCDEFGHIJKL", (6, 10, 28, 16, 36, 8, 30, 14, 50, 40, 18, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    book.save(path)
    record(user, Action.EXPORT, subject_kind="catalogue", subject_id="admitted",
           rows=len(requests), file=path.name)
    return len(requests)
