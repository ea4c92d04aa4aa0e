"""One way to refuse: a coded catalogue of every refusal the domain gives, and its base class.

The shape is pyxform's `errors.py` and our own `values/messages.py` (STYLE.md habit 4): a
refusal names a stable `code` and the `context` its message needs; the words live here,
once, in Simplified Chinese and English, and are chosen when they are shown, in the
language then active (`django.utils.translation.get_language()`). Traditional Chinese is
converted from the Simplified text with OpenCC, as `scripts/i18n.py` does for the
interface, unless a translation is written in `HANT`.

Every domain refusal (`RequestRefused`, `WorkRefused`, `LedgerError`, `TaskError`, …) is a
`Refusal`; it is caught once per door: the view middleware below, `cli.main`, and the
API's exception handler (yibiao/api.py). A refusal may hold several reasons (a request
that breaks three rules): `details`, each a `Reason` with its own code and context.

Templates use `str.format` fields. In English a field `x` takes the context's `x_en`
when there is one (an action's English name beside its Chinese one).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# code -> (Simplified Chinese template, English template)
CATALOGUE: dict[str, tuple[str, str]] = {
    # A message written before its site had a code (see tests/test_refusals.py, LEFT).
    "legacy": ("{text}", "{text}"),
    # --- what a command is pointed at (the commands' modules)
    "no_such_request": ("没有第 {id} 号报表需求，或您无权查看", "there is no request {id}, or you may not see it"),
    "no_such_item": ("没有第 {id} 号事项，或您无权查看", "there is no work item {id}, or you may not see it"),
    "no_such_resident": (
        "没有找到身份证号为 {id_number} 的居民，或您无权查看。",
        "no resident with ID number {id_number} was found, or you may not see them.",
    ),
    "no_such_account": ("账号“{name}”不存在", "there is no account “{name}”"),
    "no_such_file": ("找不到文件 {path}", "file {path} not found"),
    "no_such_template_file": ("找不到模板文件 {path}", "template file {path} not found"),
    "invalid_value": ("{problem}", "{problem}"),
    "mapping_unreadable": ("无法读取列映射文件 {path}：{problem}", "the column mapping file {path} cannot be read: {problem}"),
    "mapping_not_an_object": (
        '列映射文件应为 {{"列字母或表头": "数据元代码" 或 null}} 形式的 JSON 对象。',
        'the column mapping file must be a JSON object {{"column letter or header": "element code" or null}}.',
    ),
    # --- a department's request (admission/workflow.py)
    "request_own_department_only": (
        "您只能以本部门（{department}）名义提交报表需求",
        "you may submit a request only in the name of your own department ({department})",
    ),
    "request_department_missing": ("请填写提出需求的部门", "name the department making the request"),
    "template_unreadable": ("{problem}", "{problem}"),
    "template_sheet_missing": ("模板中没有名为“{sheet}”的工作表", "the template has no sheet named “{sheet}”"),
    "template_no_header": (
        "模板中没有找到表头：请确认第一张工作表是要填写的表格",
        "no header row was found in the template: make sure the first sheet is the table to fill in",
    ),
    "template_too_large": ("模板文件超过 {limit_mb} MB", "the template file is larger than {limit_mb} MB"),
    "frequency_unknown": ("填报频次只能是 {choices}", "the frequency must be one of {choices}"),
    "subject_filter_invalid": ("填报对象条件：{problem}", "subject filter: {problem}"),
    "subject_filter_not_editable": (
        "“{status}”状态的需求不能修改填报对象条件",
        "the subject filter of a request that is “{status}” cannot be changed",
    ),
    "subject_filter_no_suggestion": (
        "该需求没有系统建议的填报对象条件", "the system suggested no subject filter for this request",
    ),
    "optional_not_editable": (
        "“{status}”状态的需求不能修改选填列", "the optional columns of a request that is “{status}” cannot be changed",
    ),
    "optional_column_unknown": ("模板中没有这些列：{columns}", "the template has no such columns: {columns}"),
    "decisions_not_editable": (
        "“{status}”状态的需求不能修改敏感信息的提供方式",
        "a request that is “{status}” cannot change how its sensitive columns are delivered",
    ),
    "decision_no_column_to_justify": (
        "模板中没有“{key}”这一列，无法为它说明理由", "the template has no column “{key}”: there is nothing to justify",
    ),
    "decision_no_column_to_mask": (
        "模板中没有“{key}”这一列，无法遮蔽", "the template has no column “{key}”: there is nothing to mask",
    ),
    "decision_both_full_and_masked": (
        "“{name}”既说明了理由又选择遮蔽：请只选一种", "“{name}” is both justified and masked: choose one",
    ),
    "decision_reason_too_short": (
        "{columns}选择完整提供，使用理由至少 {n} 个字（为什么需要完整的{name}）",
        "{columns}: the full value needs a reason of at least {n} characters (why the full {name} is needed)",
    ),
    "decisions_missing": (
        "以下敏感个人信息列须逐列决定：完整提供（说明使用理由）或遮蔽提供：{columns}",
        "decide for each of these columns of sensitive personal information: "
        "the full value (with the reason it is needed) or masked: {columns}",
    ),
    "basis_missing": (
        "缺少政策依据：请写明文件名称和文号（无依据的报表不得下发基层）",
        "no policy basis: name the document and its number (a table without a basis may not be sent to communities)",
    ),
    "frequency_over_limit": (
        "填报频次“{frequency}”高于规定的最高频次“{limit}”：除紧急情况（须说明）外不予受理",
        "the frequency “{frequency}” is higher than the highest allowed, “{limit}”: refused unless it is an emergency (explained)",
    ),
    "element_frequency_over_limit": (
        "数据元 {element} 最多{limit}采集一次",
        "data element {element} may be collected at most once per period of “{limit}”",
    ),
    # what the analysis tells a reviewer about the template (gate/tables/analysis.py), kept with
    # the analysis as {"code", "context"} and said in the reader's language (`said`)
    "column_unconfirmed": (
        "第 {column} 列“{header}”的对应关系待确认", "column {column} “{header}”: its data element is a guess to confirm",
    ),
    "column_format": ("第 {column} 列“{header}”：{problem}", "column {column} “{header}”: {problem}"),
    "template_notice": ("{text}", "{text}"),
    "unknown_action": ("未知操作：{action}", "unknown action: {action}"),
    "request_status_forbids": (
        "“{status}”状态的需求不能{action}", "a request that is “{status}” cannot take the action “{action}”",
    ),
    "reason_required": ("{action}须写明理由", "“{action}” needs a reason"),
    "sensitive_undecided": (
        "仍有敏感个人信息列未决定完整提供还是遮蔽提供，不能准入：请退回部门补充",
        "some columns of sensitive personal information have no decision (full or masked): "
        "the request cannot be admitted; return it to the department",
    ),
    "needs_community_data": (
        "该报表需要基层补充数据，不能直接交付",
        "this table needs data from the communities: it cannot be delivered directly",
    ),
    "mappings_unchecked": (
        "{columns}与数据元的对应关系是系统推测的，请核对后勾选“已核对待确认的列”再准入",
        "the system guessed the data elements of {columns}: check them and tick “columns checked” before admitting",
    ),
    # --- work items: tasks, inspections, evidence (workload/workflow.py)
    "item_status_forbids": (
        "“{status}”状态的事项不能{action}", "an item that is “{status}” cannot take the action “{action}”",
    ),
    "action_needs_own_step": ("{action}请使用专门的操作", "“{action}” has its own step: use it"),
    "evidence_not_removable": (
        "只能删除待审核或已准入事项的留痕要求",
        "evidence demands can be struck only from items waiting for review or admitted",
    ),
    "evidence_missing": ("没有这项留痕要求", "there is no such evidence demand"),
    "evidence_already_removed": ("这项留痕要求已经删除", "this evidence demand was already struck"),
    "form_date_unreadable": ("{field}“{text}”看不懂，请写成 2026-06-01", "{field} “{text}” is not understood: write 2026-06-01"),
    "form_hours_not_number": ("预计工时“{text}”不是数字", "the expected hours “{text}” are not a number"),
    "merge_with_itself": ("不能与自己合并", "an item cannot be merged with itself"),
    "item_kind_unknown": (
        "类别只能是工作任务（task）或督查检查考核（inspection）", "the kind must be a task or an inspection",
    ),
    "item_title_missing": ("请填写事项名称", "enter the item's title"),
    "item_basis_missing": (
        "缺少政策依据：请写明文件名称和文号（除党中央、国务院已有明确要求的外，原则上不得向社区摊派工作任务）",
        "no policy basis: name the document and its number (unless the central authorities require it, "
        "work may not be passed down to communities)",
    ),
    "item_frequency_unknown": ("频次只能是 {choices}", "the frequency must be one of {choices}"),
    "item_dates_missing": ("请填写开始和结束日期", "enter the start and end dates"),
    "item_dates_reversed": ("结束日期早于开始日期", "the end date is before the start date"),
    "item_hours_missing": (
        "请填写每个社区每次预计工时（大于 0、不超过 {limit} 小时）",
        "enter the expected hours per community each time (more than 0, at most {limit})",
    ),
    "item_estimate_missing": (
        "请说明工时是怎样测算的（如：每户 10 分钟 × 约 60 户出租房）",
        "say how the hours were estimated (e.g. 10 minutes a household × about 60 rented homes)",
    ),
    "item_subject_unknown": (
        "不认识的对象代码：{codes}（可选：{choices}）", "unknown subject codes: {codes} (choose from {choices})",
    ),
    "item_subject_missing": (
        "请选择或填写工作对象（如出租房屋、独居老人）",
        "choose or describe who or what the work is about (e.g. rented homes, elderly living alone)",
    ),
    "evidence_what_missing": (
        "第 {number} 项留痕材料没有写明要什么", "evidence demand {number} does not say what is wanted",
    ),
    "evidence_reason_missing": (
        "留痕材料“{what}”须说明为什么需要（不说明的不予受理）",
        "evidence demand “{what}” must say why it is needed (refused otherwise)",
    ),
    "evidence_kind_unknown": ("留痕材料类别只能是 {choices}", "the kind of evidence must be one of {choices}"),
    "merge_only_inspections": (
        "只有督查检查考核可以合并为联合检查", "only inspections can be merged into a joint inspection",
    ),
    "merge_scopes_differ": (
        "两项检查范围不同（{first} / {second}），请先请部门调整为同一范围再合并",
        "the two inspections cover different areas ({first} / {second}): ask the departments to align them first",
    ),
    "merge_frequencies_differ": (
        "两项检查频次不同，不能合并为一次联合检查",
        "the two inspections have different frequencies and cannot become one joint inspection",
    ),
    "merge_dates_apart": ("两项检查时间不重叠，无法合并", "the two inspections do not overlap in time"),
    "merge_hours_range": (
        "联合检查工时须大于 0、不超过 {limit} 小时", "the joint inspection's hours must be more than 0 and at most {limit}",
    ),
    "load_ceiling_range": ("每人每周上限须在 0 到 60 小时之间", "the weekly ceiling per person must be 0 to 60 hours"),
    "load_inspections_range": (
        "每季度检查上限须在 0 到 50 次之间", "the inspections per quarter must be 0 to 50",
    ),
    "load_workers_range": ("每社区工作人员数须在 1 到 100 之间", "the workers per community must be 1 to 100"),
    "rules_flag": ("是/否规则须为是或否", "a yes/no rule must be yes or no"),
    "rules_inspections_year_range": (
        "每个部门每年督查检查上限须在 0 到 50 次之间", "the inspections per department and year must be 0 to 50",
    ),
    "rules_cells_range": ("每年新增填报格数上限须为非负整数", "the new typed cells per year must be a whole number, 0 or more"),
    # --- limits across a department's demands (gate/rules.py), named as the rule says
    "load_over_ceiling": (
        "超过每人每周派出工作上限 {ceiling} 小时：加上本项后 {count} 个社区超限（最重：{community} {week} 那一周每人 {hours} 小时）",
        "over the weekly ceiling of {ceiling} hours per worker: with this item {count} communities go over "
        "(the heaviest: {community}, the week of {week}, {hours} hours per worker)",
    ),
    "inspections_per_quarter_over": (
        "{quarter} 督查检查次数超过每社区每季度 {limit} 次的上限：{communities}",
        "{quarter}: more inspections than the limit of {limit} per community per quarter ({communities})",
    ),
    "inspections_per_department_year": (
        "{department} {year} 年已有 {count} 项督查检查，每个部门每年至多 {limit} 项（为基层减负若干规定：原则上每年一次综合性督查检查）",
        "the department already has {count} inspection(s) in {year}; a department may hold at most {limit} a year "
        "(the 2024 rules on reducing the grassroots' burden: in principle one comprehensive inspection a year)",
    ),
    "new_typed_cells_over": (
        "只减不增：本表每年需基层填写约 {asked} 个单元格，{department} 今年新增的填报量将达 {net} 格，超过每年 {limit} 格的上限",
        "forms may only shrink, never grow: this table asks the grassroots to type about {asked} cells a year, "
        "bringing the department's new typed cells this year to {net}, over the limit of {limit}",
    ),
    # --- slipped-past reports (workload/slipped.py)
    "slipped_unit_missing": (
        "请注明是哪个社区收到的（组织代码）", "say which community received it (its org unit code)",
    ),
    "slipped_department_missing": ("请填写是哪个部门发来的", "say which department sent it"),
    "slipped_channel_missing": (
        "请选择是通过什么途径收到的（微信群、电话、纸质、邮件或其他）",
        "choose how it arrived (WeChat group, phone, paper, e-mail or other)",
    ),
    "slipped_kind_missing": ("请选择是报表、工作任务还是督查检查", "choose whether it is a table, a task or an inspection"),
    "slipped_content_missing": ("请简单写一句内容，或拍一张照片", "write a sentence about it, or take a photo"),
    "slipped_already_resolved": ("该报告已处理（{status}）", "this report was already dealt with ({status})"),
    "slipped_dismiss_reason": (
        "驳回须写明理由（如：该事项已经准入，编号……）",
        "a dismissal needs a reason (for example: the item was admitted, number …)",
    ),
    "slipped_unknown_action": (
        "未知操作：{action}（只能是 convert 或 dismiss）", "unknown action: {action} (only convert or dismiss)",
    ),
    # --- the residents' ledger (ledger/records.py, ledger/transfers.py)
    "ledger_unit_level": (
        "台账只能记在社区（村）或网格下，“{unit}”是{level}。",
        "residents are recorded only under a community (village) or grid; “{unit}” is a {level}.",
    ),
    "edit_conflict": (
        "保存未成功：在您编辑期间，其他人已修改了此人信息（第 {version} 版）。您填写的内容已另存，请核对最新信息后重新填写。",
        "not saved: someone else changed this person while you were editing (version {version}). "
        "What you entered was kept aside; check the latest details and enter your changes again.",
    ),
    "foreign_quota": (
        "本次有 {found} 人登记在其他社区；您 24 小时内已核对 {used} 人，每日上限 {limit} 人：未导入。"
        "如确需大批迁入，请联系街道办理",
        "{found} people in this file are registered in other communities; you have checked {used} "
        "in the last 24 hours and the daily limit is {limit}: nothing was imported. For a large "
        "move, ask the township",
    ),
    "household_elsewhere": (  # 户号 are the community's own: only another grid of it keeps one
        "户号 {household} 已登记在本社区的其他网格，不能在“{unit}”下登记。",
        "household {household} is registered in another grid of this community and cannot be "
        "recorded under “{unit}”.",
    ),
    "household_above": (
        "户号 {household} 是“{unit}”登记的家庭户，不在您的管辖范围内：请换一个户号，或请社区的工作人员登记。",
        "household {household} is one “{unit}” registered, outside your scope: choose another number, or ask "
        "the community's staff to register it.",
    ),
    "written_meanwhile": (
        "就在此时，另一项导入或录入也登记了本次的居民：本次未写入任何内容，请再导入（提交）一次，"
        "已登记的居民会按台账比对。",
        "another import or entry registered some of the same residents at this very moment: nothing "
        "was written; import (submit) again, and the residents now registered will be compared with the ledger.",
    ),
    "household_no_member": ("请至少登记一名家庭成员。", "register at least one member of the household."),
    "import_already_done": (
        "这次上传的文件已经导入过了，不会重复导入。如需再次导入，请重新上传。",
        "this upload was already imported and is never imported twice; to import it again, upload the file again.",
    ),
    "import_running": (
        "这次上传的文件正在导入（第 {job} 号任务），请勿重复提交。",
        "this upload is already being imported (job {job}): do not submit it again.",
    ),
    "export_no_unit": ("请选择要导出台账的组织。", "choose the unit whose ledger to export."),
    "undo_expired": (
        "只能撤销 24 小时内的导入或登记：“{label}”是 {at} 做的，已超过 24 小时。如需更正，请逐人修改。",
        "only an import or registration of the last 24 hours can be undone: “{label}” was done at {at}, "
        "more than 24 hours ago; correct the people one by one instead.",
    ),
    "undo_already": ("“{label}”已于 {at} 撤销。", "“{label}” was already undone at {at}."),
    "undo_nothing": ("“{label}”没有改动台账（全部无变化），无需撤销。",
                     "“{label}” changed nothing in the ledger (every row unchanged): there is nothing to undo."),
    "export_reason_required": (
        "导出完整身份证号和电话须说明事由（至少 2 个字），事由记入审计。",
        "exporting full ID numbers and phone numbers needs a reason (at least 2 characters), which is audited.",
    ),
    "export_format": ("只支持导出为 .xlsx 或 .csv", "only .xlsx or .csv can be exported"),
    "transfer_closed": (
        "该迁入申请的状态是“{status}”，不能再处理。", "this transfer is “{status}” and can no longer be handled.",
    ),
    "transfer_unverified": (
        "请先勾选“已核实此人迁往对方社区”，再确认迁出。",
        "tick “verified that this person moved to the other community” before confirming the move.",
    ),
    "transfer_stale": (
        "此人已不在原社区居住，申请已失效，请对方重新登记。",
        "this person no longer lives in the original community: the request has lapsed; the other community must register again.",
    ),
    "transfer_incomplete": ("迁入未完成：{problems}", "the move was not completed: {problems}"),
    "transfer_reject_reason": (
        "拒绝迁入申请须写明理由（例如：此人仍在本社区居住）。",
        "refusing a transfer needs a reason (for example: this person still lives here).",
    ),
    # --- reporting periods (reports/periods.py)
    "period_year": (
        "报告期“{text}”的年份不对：应在 {first} 到 {last} 之间",
        "the year of reporting period “{text}” is wrong: it must be between {first} and {last}",
    ),
    "period_month": ("报告期“{text}”的月份不对", "the month of reporting period “{text}” is wrong"),
    "period_week": ("报告期“{text}”的周数不对", "the week of reporting period “{text}” is wrong"),
    "period_unreadable": (
        "看不懂报告期“{text}”：请写成 2026-11、2026W48、2026Q4 或 2026",
        "reporting period “{text}” is not understood: write 2026-11, 2026W48, 2026Q4 or 2026",
    ),
    # --- tasks, exports and delivery (reports/)
    "task_not_admitted": ("只有经准入的报表才会生成任务", "only admitted requests generate tasks"),
    "task_submitted_locked": (
        "任务已报送，不能再修改；如需更正请让审核人退回。",
        "the task has been submitted and cannot be changed; ask the reviewer to return it for corrections.",
    ),
    "task_already_submitted": ("任务已报送。", "the task has already been submitted."),
    "task_cells_missing": (
        "还有 {n} 个单元格未填，不能报送", "{n} cells are still empty: the task cannot be submitted",
    ),
    "task_return_needs_reason": (
        "只能退回已报送的任务，且须写明理由", "only a submitted task can be returned, and only with a reason",
    ),
    "export_not_admitted": ("只有经准入的报表才能导出交付", "only an admitted request can be exported for delivery"),
    "export_template_unreadable": (
        "读取部门模板失败：{problem}", "the department's template could not be read: {problem}",
    ),
    # --- rules and the dictionary (admission/rules.py, dictionary/elements.py)
    "rules_frequency_unknown": ("最高频次不在可选范围内", "the highest frequency is not one of the choices"),
    "rules_element_unknown": ("没有数据元 {element}", "there is no data element {element}"),
    "rules_element_frequency_unknown": (
        "{element} 的最高频次“{frequency}”不在可选范围内",
        "the highest frequency “{frequency}” of {element} is not one of the choices",
    ),
    "rules_seconds_positive": ("耗时须为正数（秒）", "the time taken must be a positive number of seconds"),
    "element_code_format": (
        "数据元代码“{code}”格式不对：应为 主体.英文小写名，如 person.shoe_size",
        "data element code “{code}” is malformed: write subject.lowercase_name, e.g. person.shoe_size",
    ),
    "element_code_subject": (
        "数据元代码“{code}”应以主体“{subject}.”开头", "data element code “{code}” must start with its subject “{subject}.”",
    ),
    "element_kind_unknown": ("主体或值类型不在可选范围内", "the subject or value type is not one of the choices"),
    "element_sensitivity_unknown": ("敏感程度不在可选范围内", "the sensitivity is not one of the choices"),
    "element_name_missing": ("请填写中文名称", "enter the Chinese name"),
    "element_code_list_missing": ("代码类数据元须选择代码表", "a coded data element needs a code list"),
    "element_exists": ("数据元代码“{code}”已存在", "data element code “{code}” already exists"),
}

# Traditional Chinese written by hand where OpenCC's conversion would read wrong.
HANT: dict[str, str] = {}

CJK = re.compile(r"[\u3400-\u9fff]")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@functools.cache
def _to_traditional():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t.json")


def to_traditional(text: str) -> str:
    """Simplified Chinese text in Traditional (OpenCC), for what is stored in Simplified."""
    return _to_traditional().convert(text) if text else text


def language_of(language: str | None = None) -> str:
    """'zh-hans', 'zh-hant' or 'en': the one given, else the active one (zh-hans outside Django)."""
    if language is None:
        try:
            from django.utils.translation import get_language

            language = get_language()
        except Exception:  # noqa: BLE001 - no Django settings (a pure script): the source language
            language = None
    language = (language or "zh-hans").lower().replace("_", "-")
    if language.startswith("en"):
        return "en"
    if language in ("zh-hant", "zh-tw", "zh-hk", "zh-mo"):
        return "zh-hant"
    return "zh-hans"


def render(code: str, context: Mapping[str, Any], language: str | None = None) -> str:
    """The message for `code` in `language` (the active one by default); a missing field
    renders empty rather than crash: a refusal must always be readable."""
    zh, en = CATALOGUE[code]
    language = language_of(language)
    with _speaking(language):  # context values may be lazy translations (a status's label)
        return _render(code, zh, en, context, language)


def _render(code: str, zh: str, en: str, context: Mapping[str, Any], language: str) -> str:
    values: dict[str, Any] = _Blank({k: v for k, v in context.items() if not k.endswith("_en")})
    if language == "en":
        values.update({k[:-3]: v for k, v in context.items() if k.endswith("_en")})
        text = en.format_map(values)
        return text[:1].upper() + text[1:]  # a sentence: the catalogue's templates start lower-case
    text = zh.format_map(values)
    if language == "zh-hant":
        if code in HANT:
            return HANT[code].format_map(values)
        return _to_traditional().convert(text)
    return text


def _speaking(language: str):  # type: ignore[no-untyped-def]
    from django.conf import settings

    if not settings.configured:
        return contextlib.nullcontext()
    from django.utils import translation

    return translation.override(language)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


class Reason(str):
    """One reason for a refusal: a `str` (its Simplified Chinese message, so lists of reasons
    read and compare as before) that keeps its `code` and `context` to speak other languages."""

    code: str
    context: dict[str, Any]

    def __new__(cls, code: str, /, **context: Any) -> Reason:
        if code not in CATALOGUE:
            raise KeyError(f"unknown refusal code {code!r}")
        self = super().__new__(cls, render(code, context, "zh-hans"))
        self.code = code
        self.context = context
        return self

    @classmethod
    def of(cls, reason: str) -> Reason:
        """A reason as given: a Reason stays itself; a plain string is a legacy message."""
        return reason if isinstance(reason, Reason) else cls("legacy", text=str(reason))

    def message(self, language: str | None = None) -> str:
        return render(self.code, self.context, language)

    def as_dict(self, language: str | None = None) -> dict[str, str]:
        return {"code": self.code, "message": self.message(language)}

    def stored(self) -> dict[str, Any]:
        """The reason to keep in JSON (an analysis), said later by `said` in any language."""
        return {"code": self.code, "context": dict(self.context)}


def said(stored: object, language: str | None = None) -> str:
    """A reason kept as `Reason.stored()` in `language` (the active one by default); text
    stored before it had a code is Chinese: Traditional through OpenCC, itself otherwise."""
    if isinstance(stored, dict) and stored.get("code") in CATALOGUE:
        return render(stored["code"], stored.get("context") or {}, language)
    text = "" if stored is None else str(stored)
    return to_traditional(text) if language_of(language) == "zh-hant" else text


class Refusal(Exception):  # noqa: N818 - a refusal, the word the product uses, not a bug
    """The domain declines what was asked, for a reason a person can act on.

    `Refusal("code", **context)` for one reason; `Refusal(reasons=[Reason(...), …])` (or a
    list as first argument) for several. A plain string that is not a code is kept as a
    legacy message until its site is given one. `status` is the HTTP status the web
    answers with: 422 (understood, refused), 409 for conflicts, 403 for permissions."""

    status = 422

    def __init__(self, code: str | Iterable[str] | None = None, /, *,
                 reasons: Iterable[str] = (), **context: Any) -> None:
        details: list[Reason] = []
        if isinstance(code, str):
            if code in CATALOGUE:
                details.append(Reason(code, **context))
            elif IDENTIFIER.match(code):
                raise KeyError(f"unknown refusal code {code!r}")
            else:
                details.append(Reason.of(code))
        elif code is not None:
            details += [Reason.of(r) for r in code]
        details += [Reason.of(r) for r in reasons]
        self.details = details
        super().__init__(*details[:1])

    @property
    def code(self) -> str:
        return self.details[0].code if self.details else "refused"

    @property
    def context(self) -> dict[str, Any]:
        return self.details[0].context if self.details else {}

    @property
    def reasons(self) -> list[str]:
        """Every reason, in the active language."""
        return [d.message() for d in self.details]

    def message_in(self, language: str | None = None) -> str:
        separator = "; " if language_of(language) == "en" else "；"
        return separator.join(d.message(language) for d in self.details)

    @property
    def message(self) -> str:
        return self.message_in()

    @property
    def message_zh(self) -> str:
        return self.message_in("zh-hans")

    @property
    def message_en(self) -> str:
        return self.message_in("en")

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        """The refusal for JSON: {"code", "message", "details": [{"code", "message"}, …]}."""
        return {"code": self.code, "message": self.message_in(language),
                "details": [d.as_dict(language) for d in self.details]}

    def __str__(self) -> str:
        return self.message


def refused_back_to(target: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For a POST action that answers with a redirect: a refusal becomes one message per
    reason on the page `target(request, *args, **kwargs)` redirects to, instead of a
    try/except around each domain call. The view itself only says what success looks like."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return view(request, *args, **kwargs)
            except Refusal as refused:
                from django.contrib import messages

                for reason in refused.reasons:
                    messages.error(request, reason)
                return target(request, *args, **kwargs)

        return wrapped

    return decorate


class RefusalMiddleware:
    """A refusal no view caught becomes a page with its message and status (not a 500):
    the web's one catch, beside the CLI's (`cli.main`) and the API's (yibiao/api.py)."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request):  # type: ignore[no-untyped-def]
        return self.get_response(request)

    def process_exception(self, request, exception):  # type: ignore[no-untyped-def]
        if not isinstance(exception, Refusal):
            return None
        from django.shortcuts import render as render_page

        return render_page(request, "refusal.html", {"refusal": exception, "reasons": exception.reasons},
                           status=exception.status)
