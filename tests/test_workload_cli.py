"""`yibiao workload …` runs the same domain functions as the pages: submit two inspections,
merge them, strike a demand, report and resolve, set rules — each as the right persona."""

from __future__ import annotations

import json

import pytest

from yibiao.cli import main
from yibiao.gate.models import Status, WorkItem
from yibiao.slipped.models import ReportStatus, UnadmittedReport

from .test_workload_gate import next_month, officer_of

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_whole_gate_from_the_command_line(world, capsys, tmp_path):
    officer_of(world, "police", "区公安分局")
    officer_of(world, "housing", "区住房和城乡建设局")
    first, last = next_month()
    common = ["--scope", world.township_a.code, "--start", first.isoformat(), "--end", last.isoformat(),
              "--subjects", "rental_houses", "--estimate", "每户 5 分钟 × 36 户"]
    code, _, err = run(capsys, "workload", "create", "--kind", "inspection", "--department", "区公安分局",
                       "--title", "治安检查", "--hours", "3", *common, "--user", "police")
    assert code == 2 and "缺少政策依据" in err
    code, out, _ = run(capsys, "workload", "create", "--kind", "inspection", "--department", "区公安分局",
                       "--title", "治安检查", "--basis", "《出租房屋治安管理规定》", "--hours", "3",
                       "--evidence", "入户照片=证明到场", *common, "--json", "--user", "police")
    police_item = json.loads(out)
    code, out, _ = run(capsys, "workload", "create", "--kind", "inspection", "--department",
                       "区住房和城乡建设局", "--title", "安全检查", "--basis", "《住房租赁条例》第三十条",
                       "--hours", "2", *common, "--json", "--user", "housing")
    housing_item = json.loads(out)
    assert housing_item["overlaps"][0]["item_id"] == police_item["id"]

    code, out, _ = run(capsys, "workload", "list", "--json", "--user", "reviewer")
    assert {row["id"] for row in json.loads(out)} == {police_item["id"], housing_item["id"]}
    demand = police_item["evidence"][0]["id"]
    assert run(capsys, "workload", "strike", str(police_item["id"]), str(demand), "--reason", "过度留痕",
               "--user", "reviewer")[0] == 0
    assert run(capsys, "workload", "merge", str(police_item["id"]), str(housing_item["id"]),
               "--user", "police")[0] == 2  # departments do not merge
    code, out, _ = run(capsys, "workload", "merge", str(police_item["id"]), str(housing_item["id"]),
                       "--user", "reviewer")
    assert code == 0 and "联合检查" in out
    assert WorkItem.objects.filter(status=Status.MERGED).count() == 2
    assert run(capsys, "workload", "analyse", str(police_item["id"]), "--user", "reviewer")[0] == 0

    picture = tmp_path / "通知.pdf"
    picture.write_bytes(b"%PDF-1.4\n%fake but well-headed\n")
    code, out, _ = run(capsys, "workload", "report", "--department", "区公安分局", "--channel", "paper",
                       "--kind", "task", "--file", str(picture), "--user", "worker_a")
    assert code == 0
    filed = UnadmittedReport.objects.get()
    code, out, _ = run(capsys, "workload", "reports", "--json", "--user", "reviewer")
    assert json.loads(out)[0]["department"] == "区公安分局"
    assert run(capsys, "workload", "resolve", str(filed.pk), "convert", "--user", "reviewer")[0] == 0
    filed.refresh_from_db()
    assert filed.status == ReportStatus.CONVERTED and filed.converted_item.status == Status.RETURNED

    code, out, _ = run(capsys, "workload", "rules", "--org", world.county.code, "--ceiling", "10",
                       "--max-inspections", "3", "--user", "reviewer")
    assert code == 0 and "10" in out
    assert run(capsys, "workload", "rules", "--org", world.county.code, "--ceiling", "10",
               "--user", "worker_a")[0] == 2
    code, _, err = run(capsys, "workload", "review", str(filed.converted_item_id), "admit", "--user", "reviewer")
    assert code == 2 and "不能准入" in err  # the department must complete it first
