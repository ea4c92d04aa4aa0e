"""The web flow a worker follows on a phone: upload → check the mapping → dry run → import."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD
from tests.conftest import PersonaClient as Client
from tests.sheetfactory import table, write_xlsx
from yibiao.dictionary.models import LearnedAlias
from yibiao.ledger.models import Person, Residence

pytestmark = pytest.mark.django_db

WANG = "11010519491231002X"
ROSTER = table(f"""
| 居民花名册 |        |              |          |             |
| 序号       | 姓名   | 公民身份号码 | 和户主的关系 | 联系电话    |
| 1          | 王秀英 | {WANG}       | 户主     | 13812345678 |
| 2          | 坏号码 | 110105194912310021 | 子 | 13812345678 |
""")


@pytest.fixture(autouse=True)
def media(tmp_path: Path):
    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        yield tmp_path / "media"


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client: Client, tmp_path: Path, org: str, name: str = "花名册.xlsx") -> str:
    path = write_xlsx(tmp_path / name, ROSTER, merges=["A1:E1"])
    response = client.post("/intake/upload/", {"org": org, "file": path.open("rb")})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def test_upload_map_dry_run_and_import(world, tmp_path, media):
    client = logged_in(world.worker_a)
    page = client.get("/intake/upload/")
    assert page.status_code == 200 and "桃花岭社区" in page.content.decode() and "东塘村" not in page.content.decode()

    mapping_url = upload(client, tmp_path, world.community_a.code)
    stored = list((media / "intake").iterdir())
    # In a directory named by a random token, under the name it was uploaded with (cleaned), so
    # every message about the file names the user's file, never a server-side name.
    assert len(stored) == 1 and [p.name for p in stored[0].iterdir()] == ["花名册.xlsx"]

    page = client.get(mapping_url).content.decode()
    assert "表头在第 2 行，" in page and "自动" in page and "建议" in page
    assert 'name="col-C"' in page and '<option value="person.id_number" selected>' in page

    run_url = mapping_url + "run/"
    form = {"sheet": "Sheet1", "col-A": "", "was-A": "", "col-B": "person.name", "was-B": "person.name",
            "col-C": "person.id_number", "was-C": "person.id_number",
            "col-D": "person.relation_to_head", "was-D": "",  # confirms the suggestion
            "col-E": "person.phone", "was-E": "person.phone"}
    dry = client.post(run_url, {**form, "action": "dry_run"}, HTTP_HX_REQUEST="true")
    body = dry.content.decode()
    assert dry.status_code == 200 and "试导入结果" in body and "110105194912310021" in body
    assert "<html" not in body  # an htmx fragment
    assert not Person.objects.exists()

    done = client.post(run_url, {**form, "action": "import"})
    assert done.status_code == 200 and "导入完成" in done.content.decode()
    assert list(Person.objects.values_list("id_number", flat=True)) == [WANG]
    assert Residence.objects.get().relation_to_head == "02"
    assert LearnedAlias.objects.filter(text="和户主的关系", element__code="person.relation_to_head").exists()
    assert not any((media / "intake").iterdir())  # the upload is gone once imported
    assert client.get(mapping_url).status_code == 404


def test_an_upload_belongs_to_the_session_that_made_it(world, tmp_path):
    mapping_url = upload(logged_in(world.worker_a), tmp_path, world.community_a.code)
    assert logged_in(world.worker_b).get(mapping_url).status_code == 404


def test_a_worker_cannot_upload_into_another_community(world, tmp_path):
    client = logged_in(world.worker_a)
    path = write_xlsx(tmp_path / "x.xlsx", ROSTER)
    response = client.post("/intake/upload/", {"org": world.community_b.code, "file": path.open("rb")})
    assert response.status_code == 403
    assert not (Path(tmp_path / "media" / "intake").exists() and any((tmp_path / "media" / "intake").iterdir()))


def test_officers_cannot_reach_the_import_pages(world):
    assert logged_in(world.officer).get("/intake/upload/").status_code == 403


def test_only_spreadsheets_are_accepted(world):
    client = logged_in(world.worker_a)
    fake = io.BytesIO(b"hello")
    fake.name = "notes.txt"
    response = client.post("/intake/upload/", {"org": world.community_a.code, "file": fake})
    assert response.status_code == 200 and ".xlsx" in response.content.decode()


def test_a_hostile_upload_is_refused_on_the_mapping_page(world, tmp_path):
    client = logged_in(world.worker_a)
    bad = tmp_path / "secret.xlsx"
    bad.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
                    + "EncryptedPackage".encode("utf-16-le") + b"\0" * 400)
    response = client.post("/intake/upload/", {"org": world.community_a.code, "file": bad.open("rb")})
    page = client.get(response["Location"])
    assert page.status_code == 400 and "密码" in page.content.decode()
    client.cookies["django_language"] = "en"  # it said 密码 on English pages too
    page = client.get(response["Location"]).content.decode()
    assert "password" in page.lower() and "密码" not in page


def test_import_pressed_twice_imports_once_and_offers_an_undo(world, tmp_path, media):
    from yibiao.ledger.models import LedgerWrite

    client = logged_in(world.worker_a)
    mapping_url = upload(client, tmp_path, world.community_a.code)
    page = client.get(mapping_url).content.decode()
    assert 'id="import-actions"' in page and 'hx-disabled-elt="#import-actions button"' in page
    form = {"sheet": "Sheet1", "action": "import"}
    done = client.post(mapping_url + "run/", form, HTTP_HX_REQUEST="true")
    body = done.content.decode()
    assert done.status_code == 200 and "导入完成" in body
    write = LedgerWrite.objects.get()
    assert (write.kind, write.label, write.created) == ("import", "花名册.xlsx", 1)
    assert 'hx-swap-oob="true"' in body and "已导入" in body  # the buttons stay disabled
    assert f'action="/ledger/writes/{write.pk}/undo/"' in body
    again = client.post(mapping_url + "run/", form, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "已经导入过了" in again.content.decode()
    assert LedgerWrite.objects.count() == 1 and Person.objects.count() == 1


def test_the_same_upload_is_never_written_twice_even_past_the_session(world, tmp_path):
    """The server's own guard (LedgerWrite.key), for two requests that both passed the page."""
    from yibiao.intake.importer import import_ledger

    path = write_xlsx(tmp_path / "花名册.xlsx", ROSTER, merges=["A1:E1"])
    first = import_ledger(world.worker_a, path, world.community_a, key="token-1")
    second = import_ledger(world.worker_a, path, world.community_a, key="token-1")
    assert first.ok and first.write_id
    assert second.refused is not None and second.refused.code == "import_already_done"
