"""`yibiao request create|analyse|review|list` and `yibiao catalogue export`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from yibiao.cli import CommandError, setup_django
from yibiao.refusals import Refusal


def _justification(text: str) -> tuple[str, str]:
    element, sep, reason = text.partition("=")
    if not sep or not element.strip() or not reason.strip():
        raise argparse.ArgumentTypeError(f"--justify 应写成 列=理由（列：数据元代码、列字母或表头），而不是“{text}”")
    return element.strip(), reason.strip()


def _add_decisions(parser: argparse.ArgumentParser) -> None:
    """Per sensitive column, the full value with a reason or masked (admission/decisions.py)."""
    parser.add_argument("--justify", action="append", type=_justification, default=[],
                        metavar="COL=TEXT",
                        help="敏感列完整提供及其使用理由（至少 4 个字）；列可写数据元代码、列字母或表头，"
                             "如 person.id_number=核实身份、F=入户核实，可多次给出")
    parser.add_argument("--mask", action="append", default=[], metavar="COL",
                        help="敏感列遮蔽提供（身份证号、电话只显示前后几位，其他不提供），可多次给出")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """`yibiao gate table …` (and its alias `yibiao request …`)."""
    create = sub.add_parser("create", help="提交一个报表需求（附部门模板），先自动分析再等待审核")
    create.add_argument("--template", required=True, type=Path, help="部门模板 .xlsx 或 .xls")
    create.add_argument("--department", required=True, help="提出需求的部门名称")
    create.add_argument("--title", required=True)
    create.add_argument("--basis", default="", help="政策依据：文件名称和文号")
    create.add_argument("--frequency", required=True,
                        choices=["once", "weekly", "monthly", "quarterly", "yearly"])
    create.add_argument("--scope", required=True, help="范围：组织代码，其下所有社区都会收到")
    create.add_argument("--deadline-days", type=int, default=5, help="每期结束后几天内报送（默认 5）")
    _add_decisions(create)
    create.add_argument("--emergency", default="", help="高于规定频次时的紧急情况说明")
    create.add_argument("--sheet", default=None, help="模板中的工作表名（默认第一张有表头的）")
    create.add_argument("--filter", default=None, metavar="FILTER", dest="subject_filter",
                        help="填报对象条件，如 '年龄 >= 60 且 独居 = 是'（见 docs/subject-filter.md）；"
                             "不给出时采用系统根据表名建议的条件")
    create.add_argument("--no-filter", action="store_true", help="不筛选：范围内全部对象都列入本表")
    create.add_argument("--json", action="store_true")
    create.add_argument("--user", default=None)
    create.set_defaults(handler=cmd_create)

    analyse = sub.add_parser("analyse", help="按当前台账重新分析一个报表需求")
    analyse.add_argument("request_id", type=int)
    analyse.add_argument("--json", action="store_true")
    analyse.add_argument("--user", default=None)
    analyse.set_defaults(handler=cmd_analyse)

    review = sub.add_parser("review", help="审核：准入、退回修改或不予准入")
    review.add_argument("request_id", type=int)
    review.add_argument("action", choices=["admit", "return", "reject", "resubmit", "withdraw"])
    review.add_argument("--reason", default="")
    review.add_argument("--direct", action="store_true", help="准入并直接交付（仅当基层零填报）")
    review.add_argument("--mappings-checked", action="store_true",
                        help="已核对系统推测（待确认）的列与数据元的对应关系")
    review.add_argument("--per-period", default="", metavar="COLS",
                        help="新列中每期重新填写的列字母，逗号分隔（如 H,I）")
    review.add_argument("--lasting", default="", metavar="COLS",
                        help="新列中长期不变、填一次即可的列字母，逗号分隔")
    review.add_argument("--user", default=None)
    review.set_defaults(handler=cmd_review)

    filtering = sub.add_parser("filter", help="修改报表需求的填报对象条件（审核前），留痕")
    filtering.add_argument("request_id", type=int)
    what = filtering.add_mutually_exclusive_group(required=True)
    what.add_argument("--set", dest="text", metavar="FILTER", help="新的条件，如 '年龄 >= 65'")
    what.add_argument("--accept", action="store_true", help="采用系统建议的条件")
    what.add_argument("--clear", action="store_true", help="取消筛选")
    filtering.add_argument("--reason", default="")
    filtering.add_argument("--json", action="store_true")
    filtering.add_argument("--user", default=None)
    filtering.set_defaults(handler=cmd_filter)

    optional = sub.add_parser("optional", help="标出基层可以不填的列（选填；审核前），留痕")
    optional.add_argument("request_id", type=int)
    optional.add_argument("--columns", default="", metavar="COLS",
                          help="选填列的字母，逗号分隔（如 H,I）；空：除按表头即为选填的列外都须填")
    optional.add_argument("--reason", default="")
    optional.add_argument("--json", action="store_true")
    optional.add_argument("--user", default=None)
    optional.set_defaults(handler=cmd_optional)

    personal = sub.add_parser("personal", help="修改报表需求中敏感列的提供方式（审核前或退回后，由提出部门），留痕")
    personal.add_argument("request_id", type=int)
    _add_decisions(personal)
    personal.add_argument("--reason", default="")
    personal.add_argument("--json", action="store_true")
    personal.add_argument("--user", default=None)
    personal.set_defaults(handler=cmd_personal)

    listing = sub.add_parser("list", help="列出可见的报表需求")
    listing.add_argument("--status", default=None)
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--user", default=None)
    listing.set_defaults(handler=cmd_list)



def add_catalogue(subparsers: argparse._SubParsersAction) -> None:
    catalogue = subparsers.add_parser("catalogue", help="工作事项清单（经准入的报表、工作任务和督查检查）")
    catalogue_sub = catalogue.add_subparsers(dest="catalogue_command", metavar="SUBCOMMAND",
                                             required=True)
    export = catalogue_sub.add_parser("export", help="导出工作事项清单为 Excel")
    export.add_argument("-o", "--output", required=True, type=Path)
    export.add_argument("--user", default=None)
    export.set_defaults(handler=cmd_catalogue_export)


def _columns(text: str, value: bool) -> dict[str, bool]:
    return {c.strip().upper(): value for c in text.split(",") if c.strip()}


def _user(args: argparse.Namespace):  # noqa: ANN202
    from yibiao.accounts.operators import cli_user

    return cli_user(args.user)


def _request(user: object, request_id: int):  # noqa: ANN202
    from yibiao.accounts import scope

    found = scope.visible_requests(user).filter(pk=request_id).first()
    if found is None:
        raise Refusal("no_such_request", id=request_id)
    return found


def cmd_create(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts.scope import OutOfScope
    from yibiao.gate.tables import workflow

    if not args.template.exists():
        raise Refusal("no_such_template_file", path=str(args.template))
    try:
        request = workflow.submit(_user(args), args.template, workflow.NewRequest(
            title=args.title, department=args.department, basis=args.basis,
            frequency=args.frequency, scope_code=args.scope, deadline_days=args.deadline_days,
            justifications=dict(args.justify), masked=args.mask, emergency=args.emergency, sheet=args.sheet,
            filter_text="" if args.no_filter else args.subject_filter))
    except OutOfScope as error:
        raise CommandError(str(error)) from None
    _print_analysis(request, args.json)
    return 0


def _print_analysis(request: object, as_json: bool) -> None:
    analysis = request.analysis
    if as_json:
        print(json.dumps({"id": request.pk, "status": request.status, "title": request.title,
                          "department": request.department.name, **analysis,
                          "filter_tree": request.subject_filter, "filter_status": request.filter_status,
                          "justifications": request.justifications, "masked": request.masked_elements},
                         ensure_ascii=False, indent=2))
        return
    burden = analysis["burden"]
    print(f"第 {request.pk} 号《{request.title}》（{request.department.name}）：{request.get_status_display()}")
    print(f"结论：{analysis['verdict']}")
    _print_filter(request)
    _print_decisions(analysis)
    print(f"每期需基层填写 {burden['cells_per_period']} 格（手工全填 {burden['hand_cells_per_period']} 格）；"
          f"全年 {burden['hours_per_year']} 工时（手工 {burden['hand_hours_per_year']} 工时）")
    for column in analysis["columns"]:
        print(f"  {column['column']:>3} {column['header']:<16} {column['element'] or '—':<28} "
              f"{column['kind']:<8} 每期需填 {column['missing_cells']}")


def _print_filter(request: object) -> None:
    from yibiao.gate.tables import subjects

    chosen = request.analysis.get("subject_filter") or {}
    text = subjects.describe(request.subject_filter)
    status = str(subjects.STATUS_NAMES.get(request.filter_status, ""))
    print(f"填报对象：{text or '不筛选（范围内全部对象）'}（{status}）")
    suggestion = request.filter_suggestion or {}
    if suggestion.get("text") and request.filter_status in ("suggested", "cleared", "officer", "reviewer"):
        print(f"  系统建议：{suggestion['text']}（依据：{suggestion.get('reason', '')}）")
    rows = chosen.get("rows_per_community") or []
    if rows:
        print(f"  符合条件的行数（截至 {chosen.get('as_of', '')}）："
              + "，".join(f"{r['name']} {r['rows']}" for r in rows[:20])
              + ("……" if len(rows) > 20 else ""))
    for element in chosen.get("elements") or []:
        if element["kind"] == "new":
            print(f"  筛选条件用到的“{element['name']}”台账中还没有：需先采集 {element['missing_cells']} 格")


def _print_decisions(analysis: dict) -> None:
    """Per sensitive column, how it leaves: the full value (why) or masked."""
    shown = {"full": "完整提供", "masked": "遮蔽提供"}
    decided = [c for c in analysis["columns"] if c.get("decision") or c.get("sensitive")]
    if decided:
        print("敏感个人信息的提供方式：")
    for column in decided:
        choice = shown.get(column.get("decision", ""), "未决定")
        why = f"（理由：{column['reason']}）" if column.get("reason") else ""
        print(f"  {column['column']:>3} {column['header']:<16} {choice}{why}")


def cmd_personal(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts.scope import OutOfScope
    from yibiao.gate.tables import workflow

    user = _user(args)
    try:
        request = workflow.set_decisions(user, _request(user, args.request_id), dict(args.justify),
                                         args.mask, reason=args.reason)
    except OutOfScope as error:
        raise CommandError(str(error)) from None
    _print_analysis(request, args.json)
    return 0


def cmd_filter(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts.scope import OutOfScope
    from yibiao.gate.tables import workflow

    user = _user(args)
    try:
        request = workflow.set_filter(user, _request(user, args.request_id),
                                      "" if args.clear else args.text, accept_suggestion=args.accept,
                                      reason=args.reason)
    except OutOfScope as error:
        raise CommandError(str(error)) from None
    _print_analysis(request, args.json)
    return 0


def cmd_optional(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts.scope import OutOfScope
    from yibiao.gate.tables import workflow

    user = _user(args)
    try:
        request = workflow.set_optional(user, _request(user, args.request_id),
                                        args.columns.split(","), reason=args.reason)
    except OutOfScope as error:
        raise CommandError(str(error)) from None
    _print_analysis(request, args.json)
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    from yibiao.gate.commands import analyse_and_show

    return analyse_and_show(args, args.request_id, _request, _print_analysis)


def cmd_review(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts.scope import OutOfScope
    from yibiao.gate.tables import workflow

    user = _user(args)
    try:
        request = workflow.decide(user, _request(user, args.request_id), args.action, args.reason,
                                  direct_delivery=args.direct,
                                  mappings_checked=args.mappings_checked,
                                  per_period={**_columns(args.lasting, False),
                                              **_columns(args.per_period, True)})
    except OutOfScope as error:
        raise CommandError(str(error)) from None
    print(f"第 {request.pk} 号《{request.title}》：{request.get_status_display()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope

    requests = scope.visible_requests(_user(args)).order_by("pk")
    if args.status:
        requests = requests.filter(status=args.status)
    rows = [{"id": r.pk, "title": r.title, "department": r.department.name, "status": r.status,
             "frequency": r.frequency, "scope": r.scope.code, "verdict": r.analysis.get("verdict", "")}
            for r in requests]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:>4} {row['status']:<10} {row['department']:<12} {row['title']}  {row['verdict']}")
    return 0


def cmd_catalogue_export(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.gate.catalogue import export_catalogue

    count = export_catalogue(_user(args), args.output)
    print(f"已导出 {count} 项经准入的报表到 {args.output}")
    return 0
