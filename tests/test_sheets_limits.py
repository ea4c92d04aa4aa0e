"""One read of a spreadsheet stops at its limits — rows, memory, time — with a coded message.

Small limits through override_settings stand in for big files: the same checks refuse a
1,000,000-row roster at the default limits (bench/bigsheet.py writes one; figures in the
commit that added this file). The slow real-template shape (a merged range down to the
sheet's last row) is built inline, with a few bytes of XML instead of a committed file.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD
from tests.conftest import PersonaClient as Client
from tests.sheetfactory import rewrite_member, table, write_xlsx
from yibiao.intake.importer import import_ledger
from yibiao.ledger.models import Person
from yibiao.sheets import SheetError, read_workbook
from yibiao.sheets.errors import MESSAGES_EN, MESSAGES_ZH
from yibiao.sheets.reader import open_rows

WANG = "11010519491231002X"
HEADER = table("""
| 序号 | 姓名   | 公民身份号码 | 联系电话 |
""")
ROSTER = table(f"""
| 序号 | 姓名   | 公民身份号码       | 联系电话    |
| 1    | 王秀英 | {WANG}             | 13812345678 |
| 2    | 李桂兰 | 110105194912310021 | 13812345679 |
| 3    | 张建国 | 110105195001010019 | 13812345670 |
""")


def refused(call) -> SheetError:  # noqa: ANN001
    with pytest.raises(SheetError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("code", ["over_row_limit", "over_memory_limit", "over_time_limit", "web_row_limit"])
def test_each_limit_has_a_chinese_and_an_english_message(code):
    error = SheetError(code, {"file": "花名册.xlsx", "sheet": "Sheet1", "limit": "5", "detail": "6",
                              "detail_en": "6"})
    assert code in MESSAGES_ZH and code in MESSAGES_EN
    assert "花名册.xlsx" in error.message and "5" in error.message and "6" in error.message
    assert "花名册.xlsx" in error.message_en and "5" in error.message_en


def test_a_sheet_over_the_row_limit_is_refused_with_its_code(tmp_path: Path):
    path = write_xlsx(tmp_path / "花名册.xlsx", ROSTER)
    with override_settings(YIBIAO_MAX_ROWS=3):
        error = refused(lambda: read_workbook(path))
        assert error.code == "over_row_limit"
        assert "花名册.xlsx" in error.message and "4 行" in error.message and "上限 3 行" in error.message
        assert refused(lambda: open_rows(path)).code == "over_row_limit"
    with override_settings(YIBIAO_MAX_ROWS=4):
        assert read_workbook(path).sheets[0].data_end_row == 4


@pytest.mark.django_db
def test_an_import_over_the_row_limit_is_refused_and_writes_nothing(world, tmp_path: Path):
    path = write_xlsx(tmp_path / "花名册.xlsx", ROSTER)
    with override_settings(YIBIAO_MAX_ROWS=2):
        result = import_ledger(world.worker_a, path, world.community_a, dry_run=True)
    assert result.refused is not None and result.refused.code == "over_row_limit"
    assert "花名册.xlsx" in result.refused.message
    assert not Person.objects.exists()


def test_a_sheet_whose_grid_would_pass_the_memory_limit_is_refused_before_parsing(tmp_path: Path):
    # Two cells far apart: calamine would allocate the whole 40,000-cell box (1.2 MB).
    rows = [["姓名", "备注"]] + [[None] * 20 for _ in range(1998)] + [[None] * 19 + ["x"]]
    path = write_xlsx(tmp_path / "稀疏.xlsx", rows)
    with override_settings(YIBIAO_PARSE_MEMORY_MB=1):
        error = refused(lambda: read_workbook(path))
        assert error.code == "over_memory_limit" and "1 MB" in error.message
        assert refused(lambda: open_rows(path)).code == "over_memory_limit"
    with override_settings(YIBIAO_PARSE_MEMORY_MB=2):
        assert read_workbook(path).sheets[0].columns


def test_an_inspection_over_its_time_budget_is_refused_within_the_budget(tmp_path: Path):
    path = write_xlsx(tmp_path / "模板.xlsx", ROSTER)
    with override_settings(YIBIAO_INSPECT_SECONDS=0.000001):
        started = time.monotonic()
        error = refused(lambda: read_workbook(path))
        spent = time.monotonic() - started
    assert error.code == "over_time_limit" and "模板.xlsx" in error.message
    assert spent < 1  # the first check, after the safety scan's first chunk, stops it
    with override_settings(YIBIAO_READ_SECONDS=0.000001):
        assert refused(lambda: open_rows(path)).code == "over_time_limit"


def _merge_to_the_last_row(path: Path, ref: str) -> Path:
    """Add a merged range as Excel stores it: one element, whatever the range's size."""
    def change(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'
                           .encode(), 1)
    return rewrite_member(path, "xl/worksheets/sheet1.xml", change)


def test_a_template_merged_down_to_the_last_row_is_read_within_its_budget(tmp_path: Path):
    # The shape of the real templates that ran for minutes: openpyxl made an object per
    # cell of a merged range (one column to row 1,048,576: 19 s; eight columns: minutes).
    path = _merge_to_the_last_row(write_xlsx(tmp_path / "登记表.xlsx", ROSTER), "A8:H1048576")
    with override_settings(YIBIAO_INSPECT_SECONDS=10):
        sheet = read_workbook(path).sheets[0]
    assert [c.header for c in sheet.columns][:4] == ["序号", "姓名", "公民身份号码", "联系电话"]
    assert sheet.data_end_row == 4


def test_hidden_rows_and_columns_still_come_from_the_file(tmp_path: Path):
    path = write_xlsx(tmp_path / "t.xlsx", ROSTER, hidden_cols=["D"], hidden_rows=[3])
    sheet = read_workbook(path).sheets[0]
    assert sheet.hidden_columns == [4] and sheet.hidden_rows == [3]


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_a_web_import_over_its_row_limit_is_refused_at_upload(world, tmp_path: Path):
    path = write_xlsx(tmp_path / "花名册.xlsx", ROSTER)
    media = tmp_path / "media"
    with override_settings(MEDIA_ROOT=media, YIBIAO_WEB_IMPORT_ROWS=3):
        response = logged_in(world.worker_a).post(
            "/intake/upload/", {"org": world.community_a.code, "file": path.open("rb")})
    body = response.content.decode()
    assert response.status_code == 400
    assert "花名册.xlsx" in body and "网页导入一次最多 3 行" in body and "yibiao ledger import" in body
    assert not any((media / "intake").iterdir())  # nothing kept


@pytest.mark.django_db
def test_a_refused_template_is_named_as_uploaded_not_by_its_temporary_name(world, tmp_path: Path):
    path = tmp_path / "卫健委老年人模板.xlsx"
    path.write_bytes(b"this is not a spreadsheet at all")
    client = logged_in(world.officer)
    with path.open("rb") as handle:
        response = client.post("/gate/new/table/", {
            "template": handle, "title": "老年人信息表", "department": world.department.name,
            "basis": "《老年人关爱服务通知》（岳民发〔2026〕8号）", "frequency": "quarterly",
            "scope": world.township_a.code})
    body = response.content.decode()
    assert response.status_code == 200 and "不是 Excel 表格" in body
    assert "文件「卫健委老年人模板.xlsx」" in body
    assert "tmp" not in body.split("不是 Excel 表格")[0][-80:]  # not mkstemp's /tmp/tmpab12cd.xlsx


@pytest.mark.django_db
def test_a_mapping_page_error_names_the_uploaded_file(world, tmp_path: Path):
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(b"PK\x03\x04 broken zip")
    media = tmp_path / "media"
    client = logged_in(world.worker_a)
    with override_settings(MEDIA_ROOT=media):
        response = client.post("/intake/upload/", {"org": world.community_a.code, "file": path.open("rb")})
        assert response.status_code == 302
        page = client.get(response["Location"])
    assert page.status_code == 400 and "文件「坏文件.xlsx」" in page.content.decode()
