"""The gradebook on PostgreSQL, through nbgrader's db_url.

A PostgreSQL server (Debian's `postgresql` package: initdb and pg_ctl) runs
on 127.0.0.1 from a temporary data folder for this module. The demo's class
(`rnn-course demo`: honest, buggy and faulty students) hands in the tiny
assignment and is released, graded and reported twice: with the default
SQLite gradebook (the truth) and with course/nbgrader_config.py setting
c.CourseDirectory.db_url to a database on that server. The reports must read
the same, and the scores must be in the server's tables.
"""

import csv
import glob
import io
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from rnn_helpers import cli
from rnn_helpers.course import autograde, demo, release
from rnn_helpers.course.cluster import free_port
from rnn_helpers.course.paths import make_course
from rnn_helpers.course.tiny import TINY, released_tiny_course, write_tiny_assignment

CELL_TIMEOUT = 5  # s: the endless loop's test cell is interrupted after it


def postgres_bin():
    """The folder of initdb and pg_ctl: Debian keeps them in /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).parent
    pytest.fail(
        "PostgreSQL's initdb is missing: install Debian's postgresql "
        "(`bash scripts/install_system_packages.sh`, or `apt-get install postgresql`)"
    )


class Server:
    """A PostgreSQL server on 127.0.0.1:port with its data in a temporary folder.

    PostgreSQL refuses to run as root: as root, the server runs as the
    `postgres` user (made by Debian's package) or `nobody`, owning the folder.
    """

    def __init__(self):
        self.bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="rnn-pg-"))
        self.as_user = []
        if os.geteuid() == 0:
            user = next(u for u in ("postgres", "nobody") if _user_exists(u))
            entry = pwd.getpwnam(user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            self.as_user = ["runuser", "-u", user, "--"]
        self.data, self.port = self.folder / "data", free_port()
        self._run("initdb", "-D", self.data, "-U", "grader", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -h 127.0.0.1 -k {self.folder}"
        self._run("pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-o", options, "-w", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "grader", "gradebook")
        self.url = f"postgresql://grader@127.0.0.1:{self.port}/gradebook"

    def _run(self, program, *args):
        cmd = self.as_user + [str(self.bin / program), *map(str, args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"

    def query(self, sql):
        import psycopg2

        with psycopg2.connect(self.url) as con, con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def report_of(paths):
    """`rnn-course report` as printed, and grades.csv's rows."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--top", str(paths.top), "report"]) == 0
    with open(paths.reports / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    return out.getvalue(), rows


def comparable(printed, paths):
    """The report without what differs between two runs: the course's folder
    and the seconds each job took (`3.1 s`)."""
    return re.sub(r" *\d+\.\d s\b", " T s", printed.replace(str(paths.top), "<top>"))


@pytest.fixture(scope="module")
def server():
    pg = Server()
    yield pg
    pg.stop()


@pytest.fixture(scope="module")
def both(server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("postgres")
    sqlite = released_tiny_course(tmp / "sqlite")
    pg = make_course(tmp / "pg")
    with open(pg.course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.CourseDirectory.db_url = {server.url!r}\n")
    write_tiny_assignment(pg.solutions)
    release.generate(pg)
    for paths in (sqlite, pg):
        demo.build_class(paths)
        autograde.autograde(paths, jobs=2, cell_timeout=CELL_TIMEOUT, progress=False)
    return sqlite, pg


def test_course_config_db_url_is_the_gradebook(both, server):
    _, pg = both
    assert pg.db_url == server.url
    assert not pg.gradebook.exists()  # no SQLite gradebook was made on the side


def test_scores_are_in_the_servers_tables(both, server):
    totals = dict(
        server.query(
            "SELECT st.id, SUM(g.auto_score) FROM grade g "
            "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "JOIN student st ON sa.student_id = st.id GROUP BY st.id"
        )
    )
    # truth: the tiny notebook's points (add_one 1 + 2 hidden, double 1); the bug loses the
    # hidden 2, the endless loop double's 1; a notebook that could not be graded has no
    # score (NULL), never 0
    assert totals == {
        "ada-full": 4,
        "ben-partial": 3,
        "cy-blank": 0,
        "hal-buggy": 2,
        "dee-loops-forever": 3,
        "eli-kills-kernel": None,
        "fay-invalid-json": None,
        "gus-edits-tests": 0,
    }


def test_report_reads_the_same_as_with_sqlite(both):
    sqlite, pg = both
    (printed_sqlite, rows_sqlite), (printed_pg, rows_pg) = report_of(sqlite), report_of(pg)
    assert f"== {TINY}" in printed_pg and "ada-full " in printed_pg
    assert comparable(printed_pg, pg) == comparable(printed_sqlite, sqlite)

    def without_time(rows):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    assert without_time(rows_pg) == without_time(rows_sqlite)
    assert len(rows_pg) == 8 * 2  # a row per student and function (add_one, double)
