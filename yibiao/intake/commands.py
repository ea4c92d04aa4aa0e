"""`yibiao template inspect` and `yibiao ledger import`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from yibiao.cli import CommandError, setup_django
from yibiao.refusals import Refusal


def _group(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    """The sub-command set of group `name`, created here or reused if another module made it.

    `ledger` is shared with yibiao.ledger.commands (export); argparse has no lookup for this.
    """
    parser = subparsers.choices.get(name) or subparsers.add_parser(name, help=help_text)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND", required=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    template = _group(subparsers, "template", "部门模板：识别表头与数据元")
    inspect = template.add_parser("inspect", help="识别一个或多个模板的表头区域和每列对应的数据元")
    inspect.add_argument("files", nargs="+", type=Path, metavar="FILE")
    inspect.add_argument("--json", action="store_true", help="输出 JSON")
    inspect.set_defaults(handler=cmd_template_inspect)

    ledger = _group(subparsers, "ledger", "台账导入导出")
    imp = ledger.add_parser("import", help="把已有的花名册/台账 Excel 导入某社区（网格）的台账")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--org", required=True, help="社区（村）或网格代码")
    imp.add_argument("--sheet", default=None, help="工作表名称（默认第一个可见工作表）")
    imp.add_argument("--mapping", type=Path, default=None, metavar="FILE.json",
                     help='列映射 JSON：{"列字母或表头": "数据元代码" 或 null}，确认后会被记住')
    imp.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    imp.add_argument("--json", action="store_true", help="输出 JSON")
    imp.add_argument("--user", default=None, help="以哪个账号身份执行（默认 YIBIAO_USER 或本机操作员）")
    imp.set_defaults(handler=cmd_ledger_import)


STATUS_ZH = {"auto": "自动", "suggested": "建议", "unmapped": "未匹配"}
LAYOUT_ZH = {"list": "清单表", "aggregate": "统计表", "card": "登记卡"}


def cmd_template_inspect(args: argparse.Namespace) -> int:
    """Django once, the dictionary and learned aliases once, then every file."""
    setup_django()
    from yibiao.matching import Matcher
    from yibiao.matching.inspect import match_layout, sheet_json, warnings_json
    from yibiao.sheets import SheetError, read_workbook
    from yibiao.sheets.aggregate import promote

    from .aliases import learned_aliases_if_any, learned_indicators_if_any, unit_names_check_if_any

    matcher = Matcher(None, learned_aliases_if_any())
    indicators = learned_indicators_if_any()
    names_units = unit_names_check_if_any()
    out, failed = [], 0
    for path in args.files:
        try:
            book = read_workbook(path)
            for sheet in book.sheets:
                promote(sheet, names_units)  # first-column names found in the org tree
            out.append({"file": str(path),
                        "sheets": [sheet_json(s, match_layout(matcher, s), indicators) for s in book.sheets],
                        **warnings_json(book)})
        except SheetError as error:
            failed += 1
            out.append({"file": str(path), "error": {"code": error.code, "message": error.message}})
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for entry in out:
            _print_inspection(entry)
    return 1 if failed else 0


def _print_inspection(entry: dict) -> None:
    print(f"文件：{entry['file']}")
    if "error" in entry:
        print(f"  无法读取：{entry['error']['message']}")
        return
    for warning in entry.get("warnings", []):
        print(f"  注意：{warning['message']}")
    for sheet in entry["sheets"]:
        first, last = sheet["header_rows"]
        rows = f"{first}" if first == last else f"{first}–{last}"
        print(f"  工作表「{sheet['name']}」（{LAYOUT_ZH.get(sheet['layout'], sheet['layout'])}），"
              f"表头第 {rows} 行，数据从第 {sheet['data_start_row']} 行起")
        rows = sheet.get("rows")
        if rows:
            what = (f"每行一个单位（{rows.get('level')}）" if rows["kind"] == "org"
                    else f"每行一个类别：{'、'.join(rows.get('labels', []))}")
            print(f"    行：第 {rows['column']} 列“{rows['header']}”，{what}")
        for c in sheet["columns"]:
            header = " / ".join(c["path"])
            element = c["element"] or "—"
            indicator = c.get("indicator")
            if indicator:
                counted = "户数" if indicator["count"] == "household" else "人数"
                element = f"{counted} {indicator['filter'] or '全部'}"
                print(f"    {c['column']:>3}  {header}  →  {element}  "
                      f"[{STATUS_ZH.get(indicator['status'], indicator['status'])} {indicator['confidence']:.2f}]")
                continue
            print(f"    {c['column']:>3}  {header}  →  {element}  "
                  f"[{STATUS_ZH[c['status']]} {c['confidence']:.2f}]")


def cmd_ledger_import(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.accounts.operators import cli_user
    from yibiao.ledger.undo import undoable

    from .importer import import_ledger

    mapping = _read_mapping(args.mapping) if args.mapping else None
    user = cli_user(args.user)
    try:
        unit = scope.get_visible_org_unit(user, args.org)
        result = import_ledger(user, args.file, unit, sheet=args.sheet, mapping=mapping,
                               dry_run=args.dry_run)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    if result.refused:  # the whole file: the contract every command keeps (exit 2, --json {"error"})
        raise CommandError(result.refused.shown, code=result.refused.code)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_result(result, undoable(user).filter(pk=result.write_id).exists() if result.write_id else False)
    return 0


def _read_mapping(path: Path) -> dict[str, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Refusal("mapping_unreadable", path=str(path), problem=str(error)) from None
    if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
        raise Refusal("mapping_not_an_object")
    return data


def _say(zh: str, en: str, **values: object) -> str:
    """A line in the command's language (YIBIAO_LANGUAGE): the wording converted (Traditional
    through OpenCC), then the values put in as they are, the file's names and cells unchanged."""
    from .importer import in_page_language

    return in_page_language(zh, en).format(**values)


def _print_result(result, may_undo: bool) -> None:  # noqa: ANN001
    dry = result.dry_run
    print(_say(("试导入（未写入）" if dry else "已导入") + "「{file}」工作表「{sheet}」：读取 {rows} 行，新增 {created} 人，"
               "更新 {updated} 人，无变化 {unchanged} 人，有误 {rejected} 行，发出迁入申请 {transfers} 人"
               + ("，重复行合并 {merged} 行" if result.merged else "") + "。",
               ("Tried (nothing written)" if dry else "Imported") + " {file}, sheet {sheet}: rows read {rows}; "
               "people added {created}, updated {updated}, unchanged {unchanged}; rows with errors {rejected}; "
               "transfer requests sent {transfers}" + ("; repeated rows merged {merged}" if result.merged else "") + ".",
               file=result.file, sheet=result.sheet, rows=result.rows_read, created=result.created,
               updated=result.updated, unchanged=result.unchanged, rejected=result.rejected,
               transfers=len(result.transfers), merged=result.merged))
    if may_undo:  # what `ledger writes` and `ledger undo` go by: not a re-import that changed nothing
        print(_say("24 小时内可撤销本次导入：yibiao ledger undo {id}", "Undo within 24 hours: yibiao ledger undo {id}",
                   id=result.write_id))
    cell = ("  第 {row} 行 {column} 列「{value}」：{why}", "  row {row}, column {column} “{value}”: {why}")
    for r in result.rejections:
        print(_say(*cell, row=r.row, column=r.column, value=r.value, why=r.shown))
    for r in result.transfers:
        print(_say("  第 {row} 行：{why}", "  row {row}: {why}", row=r.row, why=r.shown))
    if result.warnings:  # imported all the same, but the clerk should know what was set aside
        print(_say("提示 {n} 条（这些行" + ("可以" if dry else "已") + "导入）：",
                   "{n} notes (these rows " + ("can be" if dry else "were") + " imported):", n=len(result.warnings)))
        for r in result.warnings:
            print(_say(*cell, row=r.row, column=r.column, value=r.value, why=r.shown))
    ignored = [c for c in result.columns if c.status == "suggested" and not c.confirmed]
    if ignored:
        print(_say("以下列只是建议映射，未导入（确认后请用 --mapping 指定）：{columns}",
                   "Columns only suggested, not imported (confirm them with --mapping): {columns}",
                   columns="、".join(f"{c.column}「{c.header}」→{c.element}" for c in ignored)))
    # Said, not left to be noticed later: a column of the file that no value came from.
    unmatched = [c for c in result.columns if c.header and not c.confirmed and c.status == "unmapped"]
    if unmatched:
        print(_say("以下列未对应任何数据项，未导入（如需导入请用 --mapping 指定数据项）：{columns}",
                   "Columns matching no data element, not imported (name one with --mapping): {columns}",
                   columns="、".join(f"{c.column}「{c.header}」" for c in unmatched)))
    elsewhere = [c for c in result.columns  # not meta.*: a 序号 column counts rows, it holds no fact
                 if c.note == "not_importable" and not (c.element or c.chosen or "").startswith("meta.")]
    if elsewhere:
        print(_say("以下列不是居民个人的数据项，导入居民时不写入（请在相应的登记中填写）：{columns}",
                   "Columns that are not a resident's own data, not written by a resident import "
                   "(record them where they belong): {columns}",
                   columns="、".join(f"{c.column}「{c.header}」→{c.element or c.chosen}" for c in elsewhere)))
