"""`yibiao person show`, `yibiao ledger export|rebuild-state|transfers|transfer|writes|undo`,
`yibiao retention apply`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from django.utils.translation import gettext as _

from yibiao.cli import CommandError, setup_django
from yibiao.refusals import Refusal


def _date(text: str) -> dt.date:
    from yibiao.values import ValueProblem, parse_date

    try:
        value = parse_date(text)
    except ValueProblem as problem:
        raise argparse.ArgumentTypeError(problem.message_zh) from None
    return value.date


def register(subparsers: argparse._SubParsersAction) -> None:
    person = subparsers.add_parser("person", help="查询居民")
    person_sub = person.add_subparsers(dest="person_command", metavar="SUBCOMMAND", required=True)
    show = person_sub.add_parser("show", help="按身份证号查看一位居民在某日的信息（默认今天）")
    show.add_argument("id_number")
    show.add_argument("--as-of", type=_date, default=None, help="日期，如 2026-11-30")
    show.add_argument("--json", action="store_true")
    show.add_argument("--user", default=None, help="以哪个账号身份执行（默认 YIBIAO_USER 或本机操作员）")
    show.set_defaults(handler=cmd_person_show)

    ledger = subparsers.add_parser("ledger", help="台账导入导出")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", required=True)
    export = ledger_sub.add_parser("export", help="导出某组织某日的台账（默认遮蔽身份证号和电话）")
    export.add_argument("--org", required=True, help="社区（村）、网格或上级组织代码")
    export.add_argument("--as-of", type=_date, default=None)
    export.add_argument("-o", "--output", required=True, type=Path, help="输出文件 .xlsx 或 .csv")
    export.add_argument("--unmask", action="store_true", help="导出完整身份证号和电话（须 --reason，记入审计）")
    export.add_argument("--reason", default="")
    export.add_argument("--user", default=None)
    export.set_defaults(handler=cmd_ledger_export)
    writes = ledger_sub.add_parser("writes", help="列出 24 小时内的导入和入户登记（可撤销的）")
    writes.add_argument("--json", action="store_true")
    writes.add_argument("--user", default=None)
    writes.set_defaults(handler=cmd_ledger_writes)
    undo = ledger_sub.add_parser("undo", help="撤销 24 小时内的一次导入或入户登记（记下反向变更，不删除）")
    undo.add_argument("write_id", type=int, metavar="WRITE_ID")
    undo.add_argument("--json", action="store_true")
    undo.add_argument("--user", default=None)
    undo.set_defaults(handler=cmd_ledger_undo)
    rebuild = ledger_sub.add_parser("rebuild-state",
                                    help="由事实重算每位居民的当前状态（批量导入数据库或恢复备份之后）")
    rebuild.add_argument("--org", default="", help="只重算该组织代码下的居民（默认全部）")
    rebuild.set_defaults(handler=cmd_ledger_rebuild_state)

    transfers = ledger_sub.add_parser("transfers", help="列出迁入申请：待本社区确认的，和本社区发出的")
    transfers.add_argument("--json", action="store_true")
    transfers.add_argument("--user", default=None)
    transfers.set_defaults(handler=cmd_ledger_transfers)
    transfer = ledger_sub.add_parser("transfer", help="处理一项迁入申请：确认、拒绝（须 --reason）或撤回")
    transfer.add_argument("transfer_id", type=int)
    transfer.add_argument("action", choices=["confirm", "decline", "withdraw"])
    transfer.add_argument("--reason", default="")
    transfer.add_argument("--user", default=None)
    transfer.set_defaults(handler=cmd_ledger_transfer)

    retention = subparsers.add_parser("retention", help="按保存期限删除目的性数据（个人信息保护法）")
    retention_sub = retention.add_subparsers(dest="retention_command", metavar="SUBCOMMAND",
                                             required=True)
    apply = retention_sub.add_parser("apply", help="删除超过保存期限的值，保留“曾有记录”的事实")
    apply.add_argument("--dry-run", action="store_true", help="只统计，不删除")
    apply.add_argument("--today", type=_date, default=None, help=argparse.SUPPRESS)
    apply.add_argument("--user", default=None)
    apply.set_defaults(handler=cmd_retention_apply)


def _user(args: argparse.Namespace):  # noqa: ANN202
    from yibiao.accounts.operators import cli_user

    return cli_user(args.user)


def cmd_person_show(args: argparse.Namespace) -> int:
    setup_django()
    from django.db.models import Q
    from django.utils import timezone

    from yibiao.accounts import scope
    from yibiao.audit.log import record
    from yibiao.audit.models import Action
    from yibiao.dictionary.rules import Rules
    from yibiao.ledger.masking import mask
    from yibiao.ledger.models import Residence
    from yibiao.ledger.snapshot import identity_values, latest_facts
    from yibiao.values import ValueProblem, parse_id_number

    user = _user(args)
    try:
        id_number = parse_id_number(args.id_number).value
    except ValueProblem as problem:
        raise Refusal("invalid_value", problem=problem.message_zh, problem_en=problem.message_en) from None
    as_of = args.as_of or timezone.localdate()
    person = scope.visible_people(user).select_related("org_unit").filter(id_number=id_number).first()
    if person is None:
        raise Refusal("no_such_resident", id_number=mask("id_number", id_number))
    rules = Rules.load()
    values = {**latest_facts("person", [person.pk], as_of).get(person.pk, {}),
              **identity_values(person.id_number, as_of)}
    # The household and the relation to its head are the residence's, not facts.
    home = (Residence.objects.filter(person=person, valid_from__lte=as_of)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
            .select_related("household", "org_unit").order_by("-valid_from", "-id").first())
    if home is not None:
        values["household.number"] = home.household.number if home.household else None
        values["person.relation_to_head"] = home.relation_to_head or None
    shown = {}
    for element, value in values.items():
        rule = rules.elements.get(element)
        if rule is None or value in (None, ""):
            continue
        shown[element] = mask(rule.value_type, rules.display(element, value))
    # Someone an undone import brought in lives nowhere now (org_unit None).
    unit_code = person.org_unit.code if person.org_unit else ""
    record(user, Action.VIEW_PERSON, subject_kind="person", subject_id=person.pk,
           org_code=unit_code, reason="命令行查询", as_of=as_of.isoformat())
    # Where they lived on the date asked about, not where they live today.
    if args.json:
        print(json.dumps({"as_of": as_of.isoformat(), "org_unit": home.org_code if home else None,
                          "values": shown}, ensure_ascii=False, indent=2))
    else:
        where = (home.org_unit.full_name if home
                 else "目前未在任何社区居住" if as_of >= timezone.localdate() else "这一天不在任何社区居住")
        print(f"{person.name}（{where}），截至 {as_of}：")
        for element, value in shown.items():
            print(f"  {rules[element].name_zh}：{value}")
    return 0


def cmd_ledger_export(args: argparse.Namespace) -> int:
    setup_django()
    from django.utils import timezone

    from yibiao.accounts import scope
    from yibiao.ledger.exports import export_ledger

    user = _user(args)
    try:
        unit = scope.get_visible_org_unit(user, args.org)
        result = export_ledger(user, unit, args.as_of or timezone.localdate(), args.output,
                               unmask=args.unmask, reason=args.reason)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    print(f"已导出 {result.rows} 人到 {result.path}（{'已遮蔽身份证号和电话' if result.masked else '完整信息，已记入审计'}）")
    return 0


def cmd_ledger_transfers(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.ledger import transfers

    user = _user(args)
    try:
        scope.require(user, "edit_ledger")
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    listed = {"incoming": transfers.lines(transfers.incoming(user)),
              "outgoing": transfers.lines(transfers.outgoing(user))}
    if args.json:
        print(json.dumps({side: [{"id": t.pk, "name": t.name, "id_number": t.id_masked,
                                  "from": t.from_name, "to": t.to_name, "status": t.status,
                                  "origin": t.origin, "reason": t.reason,
                                  "requested_at": t.requested_at.isoformat()} for t in lines]
                          for side, lines in listed.items()}, ensure_ascii=False, indent=2))
        return 0
    print(f"待本社区确认 {len(listed['incoming'])} 项：")
    for t in listed["incoming"]:
        print(f"  #{t.pk} {t.name} {t.id_masked} 申请迁入「{t.to_name}」（{t.origin or '—'}）")
    print(f"本社区发出 {len(listed['outgoing'])} 项：")
    for t in listed["outgoing"]:
        print(f"  #{t.pk} {t.name} {t.id_masked} 现登记在「{t.from_name}」：{t.status_label}"
              + (f"（{t.reason}）" if t.reason else ""))
    return 0


def cmd_ledger_transfer(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.ledger import transfers

    user = _user(args)
    act = {"confirm": lambda: transfers.confirm(user, args.transfer_id),
           "decline": lambda: transfers.decline(user, args.transfer_id, args.reason),
           "withdraw": lambda: transfers.withdraw(user, args.transfer_id)}[args.action]
    try:
        done = act()
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    print(f"迁入申请 #{done.pk}：{done.get_status_display()}")
    return 0


def cmd_ledger_writes(args: argparse.Namespace) -> int:
    setup_django()
    from django.utils import timezone

    from yibiao.accounts import scope
    from yibiao.ledger.models import LedgerWrite
    from yibiao.ledger.undo import UNDO_WINDOW, undoable

    user = _user(args)
    try:
        scope.require(user, "edit_ledger")
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    since = timezone.now() - UNDO_WINDOW
    writes = list(scope.permitted(user, LedgerWrite, scope.VIEW).filter(at__gte=since)[:100])
    may = set(undoable(user).values_list("pk", flat=True))
    if args.json:
        print(json.dumps([{"id": w.pk, "kind": w.kind, "label": w.label, "org_unit": w.org_code,
                           "at": w.at.isoformat(), "by": w.actor.username if w.actor else None,
                           "created": w.created, "updated": w.updated,
                           "undone_at": w.undone_at.isoformat() if w.undone_at else None,
                           "undoable": w.pk in may} for w in writes], ensure_ascii=False, indent=2))
        return 0
    if not writes:
        print(_("24 小时内没有导入或入户登记。"))
    for w in writes:
        state = (_("已于 %(at)s 撤销") % {"at": f"{timezone.localtime(w.undone_at):%Y-%m-%d %H:%M}"}
                 if w.undone_at else _("可撤销") if w.pk in may else _("不可撤销"))
        print(f"  #{w.pk} {timezone.localtime(w.at):%Y-%m-%d %H:%M} {w.get_kind_display()}「{w.label}」 {w.org_code} "
              + _("新增 %(created)s 更新 %(updated)s：%(state)s") % {"created": w.created, "updated": w.updated,
                                                                  "state": state}
              + (" " + _("（由 %(who)s）") % {"who": w.actor.username} if w.actor else ""))
    return 0


def cmd_ledger_undo(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.ledger.undo import undo_write

    user = _user(args)
    try:
        done = undo_write(user, args.write_id)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    if args.json:
        print(json.dumps({"write": done.write.pk, "facts_reversed": done.facts_reversed,
                          "residences_ended": done.residences_ended,
                          "residences_reopened": done.residences_reopened,
                          "transfers_withdrawn": done.transfers_withdrawn,
                          "transfers_restored": done.transfers_restored, "kept": done.kept},
                         ensure_ascii=False, indent=2))
        return 0
    print(_("已撤销 #%(id)s「%(label)s」：恢复 %(facts)s 项信息，结束 %(ended)s 条居住记录，恢复 %(reopened)s 条，"
            "撤回 %(withdrawn)s 项迁入申请") % {
        "id": done.write.pk, "label": done.write.label, "facts": done.facts_reversed,
        "ended": done.residences_ended, "reopened": done.residences_reopened,
        "withdrawn": done.transfers_withdrawn}
          + (_("，%(n)s 项等待确认的迁入申请恢复为此前的内容") % {"n": done.transfers_restored}
             if done.transfers_restored else "")
          + (_("；%(kept)s 项在此之后又被修改过，保留了修改后的值") % {"kept": done.kept} if done.kept else "")
          + _("。"))
    return 0


def cmd_ledger_rebuild_state(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.ledger.state import rebuild_states

    count = rebuild_states(args.org)
    print(f"已重算 {count} 位居民的当前状态。")
    return 0


def cmd_retention_apply(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.ledger.retention import apply_retention

    result = apply_retention(_user(args), today=args.today, dry_run=args.dry_run)
    verb = "将删除" if result.dry_run else "已删除"
    if not result.erased:
        print("没有超过保存期限的数据。")
    for element, count in result.erased.items():
        print(f"{element}：{verb} {count} 个值")
    return 0
