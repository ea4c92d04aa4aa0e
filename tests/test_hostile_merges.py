"""Forged merged ranges cost nothing: every reader clips them to the cells holding values.

Two files an attacker sent killed web workers: `merges.xlsx` (a claimed dimension of
A1:XFD1048576, one merge over all of it and 20,000 full-width row merges) looped the
header search for ever; `merge_one_huge.xlsx` (one merge A2:XFD1048576) made openpyxl
build a cell object per merged cell (4 GB) when the formats were read. Both shapes are
built here from a three-column header with a few bytes of XML. Each path — template
inspection, the formats reader, the writers, the import, the web mapping page and
/gate/new/table/ — answers or refuses with a coded message within a tight limit; how fast
is bench/'s business, not the assertions'.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.test import override_settings

from tests.conftest import PASSWORD
from tests.conftest import PersonaClient as Client
from tests.sheetfactory import rewrite_member, table, write_xlsx
from yibiao.intake.importer import import_ledger
from yibiao.ledger.models import Person
from yibiao.sheets import SheetError, read_workbook
from yibiao.sheets.filling import fill
from yibiao.sheets.formats import read_formats
from yibiao.sheets.merges import (
    COL_MARGIN,
    MAX_MERGED_CELLS,
    ROW_MARGIN,
    clip,
    clipped_copy,
    valued_extent,
)
from yibiao.sheets.reader import open_rows

HEADER = table("""
| 姓名 | 公民身份号码 | 联系电话 |
""")
LIMITS = {"YIBIAO_INSPECT_SECONDS": 5, "YIBIAO_READ_SECONDS": 5, "YIBIAO_PARSE_MEMORY_MB": 200}


def forged(path: Path, merges: list[str]) -> Path:
    """The header, its dimension claimed as the whole sheet, and `merges` as Excel stores them."""
    write_xlsx(path, HEADER, sheet="花名册")
    cells = "".join(f'<mergeCell ref="{ref}"/>' for ref in merges)

    def change(xml: bytes) -> bytes:
        xml = xml.replace(b'<dimension ref="A1:C1"/>', b'<dimension ref="A1:XFD1048576"/>')
        return xml.replace(b"</sheetData>", f'</sheetData><mergeCells count="{len(merges)}">{cells}</mergeCells>'
                           .encode(), 1)
    return rewrite_member(path, "xl/worksheets/sheet1.xml", change)


@pytest.fixture
def many_merges(tmp_path: Path) -> Path:
    """merges.xlsx's shape: the header's dimension claimed to XFD1048576, one merge over it
    all, 20,000 full-width row merges."""
    return forged(tmp_path / "merges.xlsx", ["A1:XFD1048576", *(f"A{i}:XFD{i}" for i in range(2, 20_002))])


@pytest.fixture
def one_huge(tmp_path: Path) -> Path:
    """merge_one_huge.xlsx's shape: one merge under the header over the rest of the sheet."""
    return forged(tmp_path / "merge_one_huge.xlsx", ["A2:XFD1048576"])


SHAPES = ["many_merges", "one_huge"]


@pytest.mark.parametrize(("merges", "last_row", "last_col", "kept"), [
    ([(2, 1, 1_048_576, 16_384)], 1, 3, [(2, 1, 1 + ROW_MARGIN, 3 + COL_MARGIN)]),  # cut both ways
    ([(1, 1, 1, 5)], 10, 5, [(1, 1, 1, 5)]),  # a title merge over the table: as it is
    ([(5000, 1, 5001, 2)], 10, 5, []),  # starts below the values and the margin
    ([(1, 40, 1, 45)], 10, 5, []),  # starts right of them
    ([(2, 1, 9, 9), (2, 1, 9, 9)], 10, 10, [(2, 1, 9, 9)]),  # a repeat
])
def test_merges_are_clipped_to_the_values_plus_a_margin(merges, last_row, last_col, kept):
    assert clip(merges, last_row, last_col) == kept


def test_the_merged_cells_kept_are_bounded_whatever_the_count():
    kept = clip([(1, 1, 1_048_576, 16_384)] * 3 + [(r, 1, r, 16_384) for r in range(1, 2000)], 1000, 100)
    assert sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, c1, r2, c2 in kept) <= MAX_MERGED_CELLS


def test_the_valued_extent_ignores_styled_empty_cells():
    xml = (b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1"><f>1+1</f><v>2</v></c></row>'
           b'<row r="9"><c r="B9" t="inlineStr"><is><t>x</t></is></c><c r="XFD9" s="3"/></row>'
           b'<row r="1048576"><c r="Z1048576" s="1"/></row></sheetData>')
    assert valued_extent(xml) == (9, 3)


@pytest.mark.parametrize("shape", SHAPES)
def test_template_inspection_answers_within_its_limit(shape, request):
    path = request.getfixturevalue(shape)
    with override_settings(**LIMITS):
        sheet = read_workbook(path).sheets[0]
    # merges.xlsx's A1 merged down the sheet grows the header to its deepest (6 rows): an answer
    assert sheet.header_rows[0] == 1 and sheet.columns[0].header == "姓名"
    if shape == "one_huge":
        assert [c.header for c in sheet.columns] == ["姓名", "公民身份号码", "联系电话"]
        assert sheet.data_start_row == 2


@pytest.mark.parametrize("shape", SHAPES)
def test_a_row_stream_carries_only_clipped_merges(shape, request):
    path = request.getfixturevalue(shape)
    with override_settings(**LIMITS):
        stream = open_rows(path)
        stream.close()
    assert stream.merges and all(r2 <= 1 + ROW_MARGIN and c2 <= 3 + COL_MARGIN for _, _, r2, c2 in stream.merges)


@pytest.mark.parametrize("shape", SHAPES)
def test_formats_are_read_from_a_copy_whose_merges_stop_near_the_values(shape, request, tmp_path: Path):
    path = request.getfixturevalue(shape)
    copy = clipped_copy(path, tmp_path / "clipped.xlsx")
    assert copy != path  # what openpyxl opens is the clipped copy, never the forged ranges
    ws = openpyxl.load_workbook(copy)["花名册"]
    ranges = [r.bounds for r in ws.merged_cells.ranges]  # (min_col, min_row, max_col, max_row)
    assert max(b[2] for b in ranges) == 3 + COL_MARGIN and max(b[3] for b in ranges) == 1 + ROW_MARGIN
    with override_settings(**LIMITS):
        layout = read_workbook(path).sheets[0]
    formats = read_formats(path, "花名册", layout)
    assert formats.of(1) is not None and formats.of(1).header == "姓名"


def test_an_ordinary_template_is_opened_as_it_is(tmp_path: Path):
    path = write_xlsx(tmp_path / "模板.xlsx", HEADER + [["王秀英", None, None]], merges=["A3:C40"])
    assert clipped_copy(path, tmp_path / "clipped.xlsx") == path


def test_the_writers_fill_the_forged_template_with_clipped_merges(one_huge, tmp_path: Path):
    with override_settings(**LIMITS):
        layout = read_workbook(one_huge).sheets[0]
    result = fill(one_huge, tmp_path / "out.xlsx", layout, [["王秀英", "11010519491231002X", "13812345678"]])
    ws = openpyxl.load_workbook(result.path, read_only=True)["花名册"]
    assert [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))][:3] == ["姓名", "公民身份号码", "联系电话"]
    with zipfile.ZipFile(result.path) as zf:
        assert b"XFD1048576" not in zf.read("xl/worksheets/sheet1.xml")


@pytest.mark.django_db
@pytest.mark.parametrize("shape", SHAPES)
def test_an_import_dry_run_answers_or_refuses_with_a_code(shape, request, world):
    path = request.getfixturevalue(shape)
    with override_settings(**LIMITS):
        result = import_ledger(world.worker_a, path, world.community_a, dry_run=True)
    assert result.refused is None or result.refused.code
    assert not Person.objects.exists()


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("shape", SHAPES)
def test_the_web_mapping_page_answers(shape, request, world, tmp_path: Path):
    path = request.getfixturevalue(shape)
    client = logged_in(world.worker_a)
    with override_settings(MEDIA_ROOT=tmp_path / "media", **LIMITS):
        response = client.post("/intake/upload/", {"org": world.community_a.code, "file": path.open("rb")})
        assert response.status_code == 302
        page = client.get(response["Location"])
    assert page.status_code == 200 and "姓名" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("shape", SHAPES)
def test_a_request_with_the_forged_template_is_analysed(shape, request, world):
    path = request.getfixturevalue(shape)
    client = logged_in(world.officer)
    with override_settings(**LIMITS), path.open("rb") as handle:
        response = client.post("/gate/new/table/", {
            "template": handle, "title": "老年人信息表", "department": world.department.name,
            "basis": "《老年人关爱服务通知》（岳民发〔2026〕8号）", "frequency": "quarterly",
            "scope": world.township_a.code})
    assert response.status_code in (200, 302)
    body = response.content.decode()
    assert "over_time_limit" not in body and "over_memory_limit" not in body


def test_a_refusal_is_still_coded_when_the_budget_is_spent(many_merges):
    with override_settings(YIBIAO_INSPECT_SECONDS=0.000001), pytest.raises(SheetError) as caught:
        read_workbook(many_merges)
    assert caught.value.code == "over_time_limit"
