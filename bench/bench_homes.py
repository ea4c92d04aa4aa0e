#!/usr/bin/env python3
"""Each role's home page on the demo county: median and p95 time, queries, size (not a test).

Issue 16's target: page load p95 under 300 ms on the demo county. The home page must count
in the database, never load whole tables (yibiao/accounts/homes.py). Run against a database
seeded by `yibiao demo` (3000 households by default):

    DATABASE_URL=sqlite:////tmp/demo/yibiao.sqlite3 YIBIAO_VAR_DIR=/tmp/demo yibiao demo --no-serve
    DATABASE_URL=sqlite:////tmp/demo/yibiao.sqlite3 YIBIAO_VAR_DIR=/tmp/demo .venv/bin/python bench/bench_homes.py

Times are Django's test client in process (no network, no server): what the view, the
queries and the template cost.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yibiao.settings")

ROUNDS = 50
ROLES = ["admin", "reviewer", "officer", "worker1", "worker2"]


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yibiao.accounts.models import User

    print(f"database: {connection.vendor}, {ROUNDS} requests per role")
    for name in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=name))
        assert client.get("/").status_code == 200
        times = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        times.sort()
        p95 = times[int(0.95 * len(times)) - 1]
        print(f"{name:9} median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
              f"queries {len(queries):3}  {len(response.content) // 1024} KiB")


if __name__ == "__main__":
    main()
