"""The throwaway PostgreSQL cluster of the tests (issue 8 §2): by default it trades durability for
speed; `crash_safe=True` keeps every acknowledged commit through an immediate stop (a crash), as
the fault tests need."""

import subprocess
from pathlib import Path

from junheng_kit.processes import PostgresCluster


def psql(cluster: PostgresCluster, sql: str) -> str:
    command = [str(cluster.bin / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port)]
    command += ["-U", "postgres", "-tAc", sql]
    if cluster.as_root:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def test_a_crash_safe_cluster_keeps_an_acknowledged_commit_through_an_immediate_stop() -> None:
    cluster = PostgresCluster(crash_safe=True).start()
    try:
        assert psql(cluster, "SHOW synchronous_commit") == "on"
        psql(cluster, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
        cluster.stop()  # -m immediate: no shutdown checkpoint, as after kill -9
        cluster.start()
        assert psql(cluster, "SELECT count(*) FROM kept") == "1"
    finally:
        cluster.discard()


def test_the_default_cluster_commits_asynchronously_for_speed() -> None:
    cluster = PostgresCluster().start()
    try:
        assert psql(cluster, "SHOW synchronous_commit") == "off"
    finally:
        cluster.discard()


def test_a_discarded_cluster_leaves_no_data_directory_behind(tmp_path: Path) -> None:
    own = PostgresCluster().start()
    own.discard()
    assert not own.workdir.exists()  # a test session's cluster would leak gigabytes otherwise
    given = PostgresCluster(tmp_path / "pg").start()
    given.discard()
    assert (tmp_path / "pg" / "data").exists()  # the caller's directory stays the caller's
