"""Every language whole: each page a demo role can reach, read in English and in Traditional.

A small demo county is loaded (as tests/test_masking_scan.py does); each demo persona starts
at its home page and follows every link on every page it reaches (four pages of each URL
shape: a few people's cards stand for all of them), once in English and once in Traditional
Chinese. What a page shows outside <script>, <style> and the elements marked as data
(`lang="zh"` on a name, an address, a title a user typed) is its interface:
- in English it must hold no Chinese character, unless the run is a data value stored in the
  database (a community's name, a resident's name, a department's column header);
- in Traditional it must hold none of the characters only Simplified Chinese writes.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.db import models

from yibiao.accounts.models import User
from yibiao.demo.load import load_demo

pytestmark = pytest.mark.django_db

# Runs of ideographs, split at punctuation: "区公安分局、区统计局" is two stored names.
CHINESE = re.compile(r"[\u3400-\u9fff]+")
# Characters written only in Simplified Chinese (each has a different Traditional form).
SIMPLIFIED_ONLY = set("这个们来时会对说书为发经过还进现实点样体总报线项组员数据条务请让证门间题区县乡镇户办处")
ROLES = ["admin", "reviewer", "officer", "worker1", "worker2"]
PER_SHAPE = 4  # pages fetched per URL shape (digits and query values stripped): /gate/#/ is a table, a task or an inspection
SKIP = ("/logout/", "/static/", "/media/", "/admin/", "/i18n/", "/api/")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """The links and the interface text of one page (data-marked elements left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self.plain: list[str] = []  # what is read without a tooltip or a 技术信息 block
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, is data or script, is technical)

    def _inside_data(self) -> bool:
        return any(skip for _, skip, _ in self._stack)

    def _inside_tech(self) -> bool:
        return any(tech for _, _, tech in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")
        if not self._inside_data():
            # Attribute text people read: a tooltip, a placeholder, a label for a screen reader.
            for name in ("title", "placeholder", "aria-label", "alt"):
                if found.get(name):
                    self.text.append(found[name] or "")
            if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
                self.text.append(found["value"] or "")
        if tag in VOID:
            return
        # A textarea holds what a user typed (a rule list, a note): data in any language.
        # <html lang> is the page's own language, not a mark of data.
        data = ((found.get("lang") or "").lower().startswith("zh") and tag != "html"
                or tag in ("script", "style", "textarea") or "data-value" in found)
        self._stack.append((tag, data, tag == "details" and "tech" in (found.get("class") or "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self._inside_data():
            self.text.append(data)
            if not self._inside_tech():
                self.plain.append(data)


def data_strings() -> tuple[set[str], str]:
    """Every text value stored by users or loaded as data (names, addresses, titles, column
    headers), and each run of ideographs in them (湖南省长沙市岳麓区, 栋, 单元 of an address
    written around numbers), except the dictionary's own words, which the interface must
    translate."""
    interface = {"dictionary.element", "dictionary.codeitem", "dictionary.codelist"}
    # What the system wrote for people to read, kept as JSON: a demand's analysis (its verdict,
    # the columns to confirm, the format problems) and the reason for a suggested filter. The
    # names and titles inside them are data stored elsewhere too (titles, headers, org units).
    written = {"analysis", "filter_suggestion"}
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.label_lower in interface:
            continue
        fields = [f.name for f in model._meta.fields
                  if isinstance(f, (models.CharField, models.TextField, models.JSONField))
                  and not (model._meta.app_label == "gate" and f.name in written)]
        if not fields:
            continue
        rows = model.objects.all()
        if model._meta.label_lower == "orgunits.orgunit":
            rows = rows.filter(code__startswith="430104")
        for row in rows.values_list(*fields):
            for value in row:
                collect(value, values)
    # Place names as pages compose them: a grid with its community (金星坡社区第一网格), a county
    # code's name from the division table (湖南省长沙市岳麓区), the provinces an admin picks from.
    from yibiao.orgunits.models import OrgUnit
    from yibiao.values.divisions import division_name

    for unit in OrgUnit.objects.filter(code__startswith="430104").select_related("parent"):
        values.add(unit.label)
    for code, name in OrgUnit.objects.filter(code__regex=r"^[0-9]{1,6}$").values_list("code", "name"):
        values.add(name)
        if len(code) == 6 and (known := division_name(code)):
            values.add(known)
    runs = {run for value in values for run in CHINESE.findall(value)}
    return values | runs, "\n".join(values)


# What people should never have to read (issue 16, item 6): an element's code (person.r8_i),
# a rule written as code (person.phone=quarterly), a matching confidence (姓名 · 0.98) or a
# share as a fraction of three decimals (0.850; hours such as 0.52 are fine). A tooltip, a
# textarea holding typed rules or a 技术信息 block may hold them; the data dictionary's
# subject is the codes (as tests/test_people_words.py says).
CODES = re.compile(r"\b(?:person|household|place|org|meta)\.[a-z][a-z0-9_]*\b|· 0\.\d|(?<![\d.])0\.\d{3,}\b")


@pytest.mark.parametrize("username", ROLES)
def test_no_page_shows_codes_or_fractions(client, username):
    load_demo(seed=7, households=60)
    client.force_login(User.objects.get(username=username))
    crawl(client, "zh-hans")
    shown = {url: found for url, text in crawl.plain.items()
             if not url.startswith("/dictionary/") and (found := set(CODES.findall(text)))}
    assert shown == {}, report(shown)


def collect(value: object, into: set[str]) -> None:
    if isinstance(value, str):
        if CHINESE.search(value):
            into.add(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            collect(key, into)
            collect(item, into)
    elif isinstance(value, (list, tuple)):
        for item in value:
            collect(item, into)


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({k.split("=")[0] for k in parts.query.split("&") if k})
    return re.sub(r"\d+", "#", parts.path) + "?" + "&".join(keys)


def crawl(client, language: str) -> dict[str, str]:
    """Every page reachable from the home page: {url: interface text}."""
    client.cookies["django_language"] = language
    client.raise_request_exception = False  # a broken page is the dead-link crawl's to report
    seen: set[str] = set()
    shapes: dict[str, int] = defaultdict(int)
    queue = deque(["/"])
    pages: dict[str, str] = {}
    plain = crawl.plain = {}  # type: ignore[attr-defined]
    while queue:
        url = queue.popleft()
        started = time.perf_counter()
        response = client.get(url, follow=True)  # /calendar/ sends on to this month
        if os.environ.get("YIBIAO_CRAWL_LOG"):
            print(f"{response.status_code} {time.perf_counter() - started:.2f}s {url}", flush=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        pages[url] = " ".join(page.text)
        plain[url] = " ".join(page.plain)
        for href in page.links:
            target = urljoin(url, href.split("#")[0])
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or any(target.startswith(s) for s in SKIP):
                continue
            seen.add(target)
            if shapes[shape(target)] < PER_SHAPE:
                shapes[shape(target)] += 1
                queue.append(target)
    return pages


def not_data(runs: set[str], exact: set[str], everything: str) -> set[str]:
    """The runs that are not data: not a stored value, nor (three characters or more) a piece
    of one, nor interface words around one (这是区卫生健康局将收到的表格: a department's
    name inside a sentence is taken out and what is left is looked at)."""
    left = set()
    for run in runs:
        if run in exact or len(run) >= 3 and run in everything:
            continue
        rest = run
        for value in sorted((v for v in exact if len(v) >= 2 and v in rest), key=len, reverse=True):
            rest = rest.replace(value, " ")
        if rest != run:
            left |= {piece for piece in CHINESE.findall(rest) if piece not in exact}
        else:
            left.add(run)
    return left


def english_leaks(text: str, exact: set[str], everything: str) -> set[str]:
    return not_data(set(CHINESE.findall(text)), exact, everything)


def report(leaks: dict[str, set[str]]) -> str:
    return "\n".join(f"{url}: {' | '.join(sorted(found)[:12])}" for url, found in sorted(leaks.items()))


@pytest.mark.parametrize("username", ROLES)
def test_every_page_reads_in_english(client, username):
    load_demo(seed=7, households=60)
    client.force_login(User.objects.get(username=username))
    pages = crawl(client, "en")
    exact, everything = data_strings()  # after the crawl: the file names its downloads audited
    assert len(pages) > 5
    leaks = {url: found for url, text in pages.items() if (found := english_leaks(text, exact, everything))}
    print(f"{username}: {len(pages)} pages in English, {len(leaks)} with Chinese outside data")
    assert leaks == {}, report(leaks)
    # A label in English followed by a Chinese full-width colon (Work ledger：…): the colon
    # belongs to the language, not to the template.
    colons = {url: set(found) for url, text in pages.items() if (found := ENGLISH_THEN_COLON.findall(text))}
    assert colons == {}, report(colons)


ENGLISH_THEN_COLON = re.compile(r"[A-Za-z][A-Za-z)]*\s*：")


@pytest.mark.parametrize("username", ROLES)
def test_every_page_reads_in_traditional(client, username):
    load_demo(seed=7, households=60)
    client.force_login(User.objects.get(username=username))
    pages = crawl(client, "zh-hant")
    exact, everything = data_strings()  # after the crawl: the file names its downloads audited
    leaks = {}
    for url, text in pages.items():
        found = {run for run in not_data(set(CHINESE.findall(text)), exact, everything)
                 if SIMPLIFIED_ONLY & set(run)}
        if found:
            leaks[url] = found
    print(f"{username}: {len(pages)} pages in Traditional, {len(leaks)} with Simplified-only characters")
    assert leaks == {}, report(leaks)


@pytest.mark.parametrize(("html", "text"), [
    ('<p>Name <span lang="zh">王秀英</span></p>', ["Name ", " "]),
    ('<p title="提示">x<br>y<input value="a"></p>', ["提示", "x", "y"]),
    ("<script>var a='中文'</script><b>ok</b>", ["ok"]),
    ('<td data-value>东塘村</td><td>Due</td>', ["Due"]),
    ('<html lang="zh-hant"><body><p>報表</p></body></html>', ["報表"]),
])
def test_the_reader_leaves_out_data_and_scripts(html, text):
    page = Page()
    page.feed(html)
    assert [t for t in page.text if t.strip()] == [t for t in text if t.strip()]


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_the_selector_names_each_language_in_its_own_words(client, language):
    client.cookies["django_language"] = language
    html = client.get("/login/").content.decode()
    options = re.findall(r'<option value="([a-z-]+)" lang="\1"[^>]*>([^<]+)</option>', html)
    assert options == [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
    assert "英语" not in html and "英語" not in html


@pytest.mark.parametrize(("language", "expected"), [
    ("zh-hans", ["2026年第4季度", "2026年11月", "2026年第48周"]),
    ("zh-hant", ["2026年第4季度", "2026年11月", "2026年第48週"]),
    ("en", ["2026 Q4", "2026-11", "2026 week 48"]),
])
def test_a_period_reads_in_the_page_language_and_stays_chinese_in_files(language, expected):
    from django.utils import translation

    from yibiao.reports.periods import parse_period

    periods = [parse_period(p) for p in ("2026Q4", "2026-11", "2026W48")]
    with translation.override(language):
        assert [p.shown for p in periods] == expected
        assert [p.label for p in periods] == ["2026年第4季度", "2026年11月", "2026年第48周"]


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Marital status", "Never married", "Daughter", "Female", "Han", "王秀英"]),
    ("zh-hant", ["婚姻狀況", "未婚", "女", "女", "漢族", "王秀英"]),
])
def test_dictionary_words_are_translated_and_data_is_not(language, words):
    from yibiao.dictionary.words import shown

    asked = [("婚姻状况", ""), ("未婚", ""), ("女", "family_relation"), ("女", "sex"), ("汉族", ""), ("王秀英", "")]
    assert [shown(text, code_list, language) for text, code_list in asked] == words


def test_every_element_and_code_value_has_english(db):
    from yibiao.dictionary.models import CodeItem, CodeList, Element
    from yibiao.dictionary.words import known

    missing = ([e.name_zh for e in Element.objects.all() if not known(e.name_zh)]
               + [c.name for c in CodeList.objects.all() if not known(c.name, c.key)]
               + [f"{i.code_list.key}:{i.name}" for i in CodeItem.objects.select_related("code_list")
                  if not known(i.name, i.code_list.key)])
    assert missing == []


@pytest.mark.parametrize("url", ["/no-such-page/", "/ledger/people/999999/", "/gate/999999/",
                                 "/burden/?from=2026-13", "/reports/tasks/999999/"])
def test_error_pages_read_in_english_and_traditional(client, world, url):
    """The pages a stale or wrong link leads to (404, 403, 400) speak the page's language too."""
    client.force_login(world.worker_a)
    client.raise_request_exception = False
    exact, everything = data_strings()
    for language, bad in (("en", lambda runs: runs), ("zh-hant", lambda runs: {r for r in runs if SIMPLIFIED_ONLY & set(r)})):
        client.cookies["django_language"] = language
        response = client.get(url)
        assert response.status_code in (400, 403, 404), (url, response.status_code)
        page = Page()
        page.feed(response.content.decode())
        assert bad(not_data(set(CHINESE.findall(" ".join(page.text))), exact, everything)) == set(), (language, url)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_import_flow_speaks_the_page_language(world, tmp_path, language, settings):
    """Upload, mapping, dry run and import: reached by forms, so the crawl never sees them.
    The roster's own headers and sample cells are data (marked lang); the elements offered,
    the badges and every row's problem are the interface."""
    from tests.sheetfactory import write_xlsx
    from tests.test_intake_web import ROSTER, logged_in

    settings.MEDIA_ROOT = tmp_path / "media"
    client = logged_in(world.worker_a)
    client.cookies["django_language"] = language
    path = write_xlsx(tmp_path / "roster.xlsx", ROSTER, merges=["A1:E1"])
    mapping_url = client.post("/intake/upload/", {"org": world.community_a.code, "file": path.open("rb")})["Location"]
    form = {"sheet": "Sheet1", "col-A": "", "was-A": "", "col-B": "person.name", "was-B": "person.name",
            "col-C": "person.id_number", "was-C": "person.id_number", "col-D": "person.relation_to_head",
            "was-D": "", "col-E": "person.phone", "was-E": "person.phone"}
    pages = {"mapping": client.get(mapping_url).content.decode(),
             "dry run": client.post(mapping_url + "run/", {**form, "action": "dry_run"}, HTTP_HX_REQUEST="true")
             .content.decode(),
             "import": client.post(mapping_url + "run/", {**form, "action": "import"}).content.decode()}
    exact, everything = data_strings()
    leaks = {}
    for name, html in pages.items():
        page = Page()
        page.feed(html)
        runs = not_data(set(CHINESE.findall(" ".join(page.text))), exact, everything)
        if language == "zh-hant":
            runs = {run for run in runs if SIMPLIFIED_ONLY & set(run)}
        if runs:
            leaks[name] = runs
    assert leaks == {}
    if language == "en":
        assert "check digit" in pages["dry run"]  # 坏号码's ID number, said in English


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_refused_forms_say_each_problem_in_the_page_language(client, world, language):
    """The household and person forms refused (bad phone, bad check digit, no name, a date
    that is not one): every problem beside its field is the interface, the names typed are data."""
    from tests.test_ledger_forms_keep_typing import BAD_CHECK, LIU, ZHAO
    from yibiao.ledger.models import Person
    from yibiao.ledger.records import PersonInput, write_people

    write_people(world.worker_a, world.grid_a, [PersonInput({"person.id_number": LIU, "person.name": "刘兵彬"})])
    liu = Person.objects.get(id_number=LIU)
    client.force_login(world.worker_a)
    client.cookies["django_language"] = language
    typed = {"刘兵彬", "王小红", "枫林路", "栋", "单元", "室", "岳麓区城管局", "新搬来的租户"}
    pages = {
        "household": client.post("/ledger/households/new/", {
            "org_unit": world.grid_a.code, "address": "枫林路12号3栋2单元501室", "number": "",
            "name_0": "刘兵彬", "id_number_0": LIU, "relation_0": "02", "phone_0": "12345",
            "name_1": "王小红", "id_number_1": BAD_CHECK, "relation_1": "20", "phone_1": "139",
            "name_2": "", "id_number_2": ZHAO, "relation_2": "30", "phone_2": "13700001111"}).content.decode(),
        "person": client.post(f"/ledger/people/{liu.pk}/edit/", {
            "version": liu.version, "person.name": "刘兵彬", "person.phone": "12345",
            "person.emergency_phone": "0731-88", "person.arrival_date": "2026-13-40",
            "person.work_unit": "岳麓区城管局", "person.remarks": "新搬来的租户"}).content.decode(),
    }
    exact, everything = data_strings()
    leaks = {}
    for name, html in pages.items():
        page = Page()
        page.feed(html)
        runs = not_data(set(CHINESE.findall(" ".join(page.text))), exact | typed, everything)
        if language == "zh-hant":
            runs = {run for run in runs if SIMPLIFIED_ONLY & set(run)}
        if runs:
            leaks[name] = runs
    assert leaks == {}
    if language == "en":
        assert "Phone" in pages["person"] and "Arrival date" in pages["person"]
