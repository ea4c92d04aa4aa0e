"""An unmasked ledger export as CSV, opened by a spreadsheet program, keeps every digit of
an ID number. Found converting `yibiao ledger export --unmask -o x.csv` with LibreOffice:
430104200001027123 came back as the number 4.30104200001027E+17, its last digits gone
(a spreadsheet keeps 15 significant digits); a 16-digit 户号 the same."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import uuid

import pytest
from openpyxl import load_workbook

from yibiao.ledger.exports import _kept_as_text, export_ledger
from yibiao.ledger.records import PersonInput, write_people
from yibiao.values.ids import check_digit

ID = "43010420000102712" + check_digit("43010420000102712")


@pytest.mark.parametrize(("value", "written"), [
    (ID, "\t" + ID),  # 18 digits
    ("4301040010010004", "\t4301040010010004"),  # a 户号, 16
    ("0731", "\t0731"),  # a leading 0 a number would drop
    ("430104001001", "430104001001"),  # 12 digits: kept exactly as a number
    ("430104********2712", "430104********2712"),  # masked: text already
    ("13812345678", "13812345678"),
    ("0", "0"),
    (26, 26),
])
def test_what_a_spreadsheet_would_read_as_a_number_is_kept_as_text(value, written):
    assert _kept_as_text(value) == written


@pytest.mark.django_db
def test_libreoffice_keeps_every_digit_of_an_unmasked_id_number(world, tmp_path):
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": ID, "person.name": "王秀英"})], valid_from=dt.date(2026, 1, 1))
    out = tmp_path / "ledger.csv"
    export_ledger(world.worker_a, world.community_a, dt.date(2026, 12, 6), out, unmask=True, reason="核对身份")
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is a requirement of the suite: make system-deps"
    subprocess.run([soffice, f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}", "--headless",
                    "--infilter=Text - txt - csv (StarCalc):44,34,76", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path / "lo"), str(out)], check=True, timeout=180, capture_output=True)
    rows = list(load_workbook(tmp_path / "lo" / "ledger.xlsx").active.iter_rows(values_only=True))
    read = rows[1][rows[0].index("公民身份号码")]
    assert isinstance(read, str) and read.strip() == ID
