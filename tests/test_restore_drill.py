"""The restore drill (scripts/restore_drill.py) passes on this machine's PostgreSQL binaries.

The drill starts its own primary archiving WAL, loads a small county, takes a base backup,
writes a second county and two residents after it (the time T between them), restores the
backup twice from the archive pruned by pg_archivecleanup — to T and to the end — and
checks each copy. Here it runs at a small size; the assertions are on what each copy holds,
never on its timings.
Without Debian's server binaries it is skipped, except under CI=true, where it fails:
there the drill must run.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where the drill looks for them (scripts/restore_drill.py, pg_bin).
BINARIES = os.environ.get("YIBIAO_PG_BIN") or glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup")


def test_a_base_backup_and_the_wal_archive_restore_to_a_point_in_time_and_to_the_end(tmp_path):
    if not BINARIES:
        assert not os.environ.get("CI"), "CI=true: the restore drill needs PostgreSQL's server binaries"
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin "
                    "(Debian's postgresql package) to run the restore drill")
    env = {**os.environ, "YIBIAO_VAR_DIR": str(tmp_path / "var"), "YIBIAO_SECRET_KEY": "restore-drill"}
    run = subprocess.run([sys.executable, "scripts/restore_drill.py", "--people", "300",
                          "--people-after", "150", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    print(run.stdout, run.stderr[-3000:])  # shown by pytest when an assertion fails
    assert run.returncode == 0, "the drill failed: its output is above"
    drill = json.loads(run.stdout.strip().splitlines()[-1])
    assert drill["failures"] == []
    counts = drill["counts"]
    # The writes after the backup are what the archive must bring back.
    assert counts["target"]["people"] > counts["backed_up"]["people"]
    assert counts["end"]["people"] == counts["target"]["people"] + 1
    assert counts["end"]["facts"] > counts["target"]["facts"]
    # To T: everything up to it, not the resident registered after it.
    assert counts["to_time"] == counts["target"]
    assert drill["present"]["to_time"] == {"after_county": True, "marker_a": True, "marker_b": False}
    # To the end of the archive: every write.
    assert counts["to_end"] == counts["end"]
    assert drill["present"]["to_end"] == {"after_county": True, "marker_a": True, "marker_b": True}
    # Both restores ran from the archive after pg_archivecleanup removed what the base
    # backup no longer needs (what was written before it: the migrations, the first county).
    assert drill["sizes"]["base_backup"] > 0 and drill["sizes"]["archive_segments_removed"] >= 1
