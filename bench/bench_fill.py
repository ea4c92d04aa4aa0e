#!/usr/bin/env python3
"""Template fill and export of N rows × 10 columns into a styled template (not a test).

N = 1,000,000 × BENCH_SCALE. The template is a department-style list: a merged title, a
two-row header with fills and borders, a styled data row with number formats, a 合计 row
with SUM formulas, a 填报人 line, widths, freeze panes, print titles and a dropdown.
Rows are the synthetic county's residents (bench/generate.py's first piece, repeated).

Each writer runs in its own process (time and peak memory are its own):

  floor      xlsxwriter constant_memory writing the same cells, no template, no formats;
  streaming  `yibiao.sheets.fill_template_streaming` (layout kept);
  openpyxl   `yibiao.sheets.fill_template` (openpyxl in place; capped at
             BENCH_FILL_OPENPYXL_MAX rows, default 200,000, and scaled per row above).

Prints seconds, rows/s, peak RSS and the ratio to the floor (target streaming ≤ 1.5×), in wall
time and in the writer process's own CPU time: on a shared 2-CPU machine the wall time of the
same run swings by 2× with what else runs, its CPU time much less. BENCH_FILL_LEVEL sets the
streaming writer's zlib level (default: the module's COMPRESSLEVEL) to compare sizes and times.

    .venv/bin/python bench/bench_fill.py
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_fill.py
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ROWS = int(1_000_000 * SCALE)
OPENPYXL_MAX = int(os.environ.get("BENCH_FILL_OPENPYXL_MAX", "200000"))
SHEET = "居民花名册"
HEADERS = ["序号", "姓名", "公民身份号码", "性别", "出生日期", "年龄", "联系电话", "现居住地址", "是否低保", "备注"]


def make_template(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["A1"] = "岳麓区居民基本信息花名册"
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A2"] = "填报单位："
    ws["F2"] = "填报日期："
    ws.cell(3, 1, "序号")
    ws.cell(3, 2, "基本信息")
    ws.merge_cells("B3:G3")
    ws.cell(3, 8, "居住与救助")
    ws.merge_cells("H3:J3")
    for c, header in enumerate(HEADERS, start=1):
        if c != 1:
            ws.cell(4, c, header)
    ws.merge_cells("A3:A4")
    for row in (3, 4):
        for c in range(1, len(HEADERS) + 1):
            cell = ws.cell(row, c)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.border = box
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for c in range(1, len(HEADERS) + 1):
        cell = ws.cell(5, c)
        cell.border = box
        cell.font = Font(name="宋体", size=10)
    ws.cell(5, 3).number_format = "@"
    ws.cell(5, 7).number_format = "@"
    ws.cell(5, 5).number_format = "yyyy-mm-dd"
    ws.cell(6, 1, "合计")
    ws.cell(6, 6, "=SUM(F5:F5)")
    ws.cell(8, 1, "填报人：")
    ws.cell(8, 6, "审核人：")
    for c, width in enumerate((6, 10, 20, 6, 12, 6, 14, 40, 8, 12), start=1):
        ws.column_dimensions[chr(64 + c)].width = width
    ws.freeze_panes = "C5"
    ws.print_title_rows = "3:4"
    dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("I5:I5")
    wb.save(path)


def base_rows() -> list[list[object]]:
    """One piece of the synthetic county as rows (序号 left for the writer)."""
    import generate

    synth = next(generate.generated_stream(max(50, min(5000, ROWS // 3)), 1))
    sex = {"1": "男", "2": "女"}
    rows = []
    for h in synth.households:
        for m in h.members:
            f = m.facts
            birth = f["person.birth_date"]
            age = 2026 - int(birth[:4])
            rows.append([None, f["person.name"], f["person.id_number"], sex[f["person.sex"]], birth, age,
                         f.get("person.phone", ""), h.address, "是" if f.get("person.low_income") == "1" else "否",
                         ""])
    return rows


def rows_of(n: int) -> list[list[object]]:
    base = base_rows()
    out = []
    for i in range(n):
        row = list(base[i % len(base)])
        row[0] = i + 1
        out.append(row)
    return out


def floor(out: Path, rows: list[list[object]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    ws = book.add_worksheet(SHEET)
    ws.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    book.close()


def layout_of(template: Path):  # noqa: ANN201
    from yibiao.sheets import read_workbook

    return read_workbook(template).sheet(SHEET)


def child(kind: str, n: int, template: Path, out: Path) -> None:
    rows = rows_of(n)
    layout = layout_of(template)
    blanks = {b.label: "岳麓区" for b in layout.blanks if "单位" in b.label}
    start, cpu = time.perf_counter(), time.process_time()
    if kind == "floor":
        floor(out, rows)
    elif kind == "streaming":
        from yibiao.sheets import fill_template_streaming, stream

        if os.environ.get("BENCH_FILL_LEVEL"):
            stream.COMPRESSLEVEL = int(os.environ["BENCH_FILL_LEVEL"])
        fill_template_streaming(template, out, sheet=SHEET, layout=layout, rows=iter(rows), blanks=blanks)
    else:
        from yibiao.sheets import fill_template

        fill_template(template, out, sheet=SHEET, layout=layout, rows=rows, blanks=blanks)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_mb = peak_rss_mb()
    print(json.dumps({"kind": kind, "rows": n, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": round(rss_mb),
                      "bytes": out.stat().st_size}))


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not ru_maxrss: Linux keeps it across exec, so a child forked
    from a parent that has just read a filled file back would report the parent's peak."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def check(path: Path, n: int) -> str:
    """The filled file read back with calamine: data rows and the last row's ID number."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    data = wb.get_sheet_by_index(0).to_python()
    ids = [r[2] for r in data if len(r) > 2 and isinstance(r[2], str) and len(r[2]) == 18]
    return f"{len(ids):,} ID numbers read back" + ("" if len(ids) == n else f" (expected {n:,}!)")


def run() -> dict:
    results: dict = {"scale": SCALE, "rows": ROWS, "columns": len(HEADERS)}
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.xlsx"
        make_template(template)
        layout = layout_of(template)
        assert [c.header for c in layout.columns][-1] == "备注", layout.columns
        for kind in ("floor", "streaming", "openpyxl"):
            n = min(ROWS, OPENPYXL_MAX) if kind == "openpyxl" else ROWS
            out = Path(tmp) / f"{kind}.xlsx"
            proc = subprocess.run([sys.executable, __file__, kind, str(n), str(template), str(out)],
                                  env={**os.environ, "BENCH_CHILD": "1"}, text=True, stdout=subprocess.PIPE,
                                  check=False)
            if proc.returncode:
                raise SystemExit(f"bench_fill {kind} failed")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["per_million_rows_s"] = r["seconds"] / n * 1_000_000
            r["cpu_per_million_rows_s"] = r["cpu_seconds"] / n * 1_000_000
            r["read_back"] = check(out, n) if n <= 200_000 else "not read back (large)"
            results[kind] = r
            out.unlink()
    base, cpu_base = results["floor"]["per_million_rows_s"], results["floor"]["cpu_per_million_rows_s"]
    for kind in ("floor", "streaming", "openpyxl"):
        r = results[kind]
        r["ratio"] = round(r["per_million_rows_s"] / base, 2)
        r["cpu_ratio"] = round(r["cpu_per_million_rows_s"] / cpu_base, 2)
        target = {"streaming": " (target <= 1.5x)", "floor": " (floor)"}.get(kind, "")
        scaled = "" if r["rows"] == ROWS else f", scaled from {r['rows']:,} rows"
        print(f"  {kind:10} {r['rows']:>9,} rows x {len(HEADERS)}  {r['seconds']:7.2f} s  "
              f"{r['rows'] / r['seconds']:>8,.0f} rows/s  peak {r['peak_rss_mb']:>5} MB  "
              f"{r['bytes'] / 1e6:5.1f} MB file  {r['ratio']:.2f}x the floor (CPU {r['cpu_seconds']:.2f} s, "
              f"{r['cpu_ratio']:.2f}x){scaled}{target}; {r['read_back']}")
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "fill.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return results


if __name__ == "__main__":
    if os.environ.get("BENCH_CHILD"):
        child(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        run()
