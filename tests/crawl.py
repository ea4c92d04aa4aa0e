"""Follow every link a signed-in person is shown, from the home page and the navigation.

Used by tests/test_no_dead_ends.py on the demo county, and runnable by hand against any
database (`python -m tests.crawl worker1` with DJANGO_SETTINGS_MODULE set). A link is an
`a[href]` inside the site; each page is fetched once, HTML pages are read for more links,
anything else (xlsx, csv, ics, images) is fetched for its status only. Pages that differ
only by a query string (a calendar's next month, a list's page 2) are followed a few times
per path, not forever.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from django.urls import Resolver404, resolve

SKIP_PREFIXES = ("/logout/", "/admin/", "/i18n/", "/static/")  # not the product's own pages
QUERIES_PER_PATH = 4  # ?month=…, ?page=…: enough to prove the links work, not to walk forever
PAGES_PER_VIEW = 40  # distinct paths per URL pattern (one org unit page per unit would be 44,703)
DEAD = (403, 404, 500)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


@dataclass
class Crawl:
    pages: int = 0  # responses fetched
    html: int = 0
    downloads: int = 0
    links: int = 0  # a[href] seen, counting repeats
    statuses: Counter = field(default_factory=Counter)
    dead: list[str] = field(default_factory=list)  # "403 /org/43/ ← /org/430104001001/"
    skipped: set[str] = field(default_factory=set)


def internal(href: str, base: str) -> str | None:
    """The site path (with query) an href leads to, or None for another site, mailto:, #."""
    if href.startswith(("mailto:", "tel:", "javascript:", "#")):
        return None
    parts = urlsplit(urljoin("http://testserver" + base, href))
    if parts.netloc != "testserver":
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def view_name(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return "?"
    return match.view_name


def crawl(client: Any, start: str = "/") -> Crawl:
    """Fetch every page reachable from `start` through links, as the client's user."""
    found = Crawl()
    queue: deque[tuple[str, str]] = deque([(start, "")])
    seen: set[str] = {start}
    per_path: Counter = Counter()
    per_view: Counter = Counter()
    paths: set[str] = set()
    while queue:
        url, came_from = queue.popleft()
        response = client.get(url)
        found.pages += 1
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            target = internal(response["Location"], url)
            found.statuses[status] += 1
            if target and target not in seen and not target.startswith("/login/"):
                seen.add(target)
                queue.append((target, url))
            continue
        found.statuses[status] += 1
        if status in DEAD:
            found.dead.append(f"{status} {url} ← {came_from or 'start'}")
        content_type = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if not content_type.startswith("text/html"):
            found.downloads += 1
            continue
        found.html += 1
        parser = Links()
        parser.feed(body.decode("utf-8", "replace"))
        for href in parser.hrefs:
            found.links += 1
            target = internal(href, url)
            if target is None or target in seen:
                continue
            if target.startswith(SKIP_PREFIXES):
                found.skipped.add(target)
                continue
            path = urlsplit(target).path
            if path in paths and per_path[path] >= QUERIES_PER_PATH:
                continue
            name = view_name(path)
            if path not in paths and per_view[name] >= PAGES_PER_VIEW:
                continue
            if path not in paths:
                per_view[name] += 1
                paths.add(path)
            per_path[path] += 1
            seen.add(target)
            queue.append((target, url))
    return found
