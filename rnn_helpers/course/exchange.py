"""The nbgrader exchange: how a class on a shared machine (a JupyterHub) hands work around.

    publish(paths, names, due)   `nbgrader release_assignment`: exercises/<A> -> <root>/<course>/outbound/<A>
    collect(paths, names)        `nbgrader collect --update`: each student's latest submission by its
                                 timestamp -> build/submitted/<student>/<A>/, and a collection log
    return_feedback(paths, names)  `rnn-course feedback`, then `nbgrader release_feedback`
    report_lines(paths)          report lines: late, submitted more than once, under another's name

Grading in between is `rnn-course autograde` (isolated, parallel); students use
nbgrader's Assignment List (fetch, submit, fetch feedback). The exchange root
and the course id are nbgrader settings, `Exchange.root` and
`CourseDirectory.course_id`, read from course/nbgrader_config.py: by default
build/exchange (writable on a single machine), or $RNN_COURSE_EXCHANGE, which
the hub of deploy/ sets.

Folders and modes (nbgrader's own, plus two sticky bits set here):
    <root>/                 1777  anyone may create, nobody may rename another's entry
      <course>/             0755  the instructor's
        outbound/<A>/       0755  releases: everyone reads
        inbound/            3733  students create <student>+<A>+<timestamp>+<random>, cannot list
        feedback/           0711  <hash of the submission's secret>.html, cannot list
With one Unix account per student (deploy/'s "class" accounts) a student can
neither list nor guess another's submission or feedback. With one account for
everyone (deploy/'s "trial" accounts) these modes protect nothing: any student
can read every file of the exchange.
"""

import json
import os
import pwd
import shutil
import stat

from rnn_helpers.course.nbgrader_cli import nbgrader

# Each student's collected submissions: {assignment: {student: {"timestamp", "submissions", "owner"}}}
LOG_NAME = "exchange_log.json"


class ExchangeError(RuntimeError):
    """The exchange is not set up the way publish, collect or return_feedback needs."""


def settings(paths):
    """(exchange root, course id) as nbgrader reads them from course/nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader

    config_file = paths.course / "nbgrader_config.py"
    if not config_file.exists():
        raise ExchangeError(f"{config_file} is missing: the course's nbgrader settings live there")
    config = PyFileConfigLoader(config_file.name, str(paths.course)).load_config()
    root = config.Exchange.get("root", "/usr/local/share/nbgrader/exchange")  # nbgrader's default
    course_id = config.CourseDirectory.get("course_id", "")
    if not course_id:
        raise ExchangeError(f"no CourseDirectory.course_id in {config_file}: students find a course by it")
    return str(root), str(course_id)


def _course_folder(paths):
    root, course_id = settings(paths)
    return os.path.join(root, course_id)


def _add_mode(path, bits):
    """Add mode bits to a folder this process owns (others' folders are left as they are)."""
    st = os.stat(path)
    if st.st_uid == os.geteuid() and (st.st_mode & bits) != bits:
        os.chmod(path, stat.S_IMODE(st.st_mode) | bits)


def publish(paths, names, due=None):
    """Release each assignment of `names` to the exchange; return printable lines.

    due: a due date for every assignment published ("2026-12-01 17:00", UTC
    unless an offset is given), stored in the gradebook, where nbgrader reads it
    to mark late submissions. An assignment the gradebook does not know yet is
    generated first (`rnn-course release` does the same), since grading needs it.
    """
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    from rnn_helpers.course.release import generate

    root, course_id = settings(paths)
    os.makedirs(os.path.dirname(os.path.abspath(root)), exist_ok=True)
    unknown = [n for n in names if not (paths.exercises / n).is_dir()]
    if unknown:
        raise ExchangeError(
            f"not in {paths.exercises}: {unknown}; released assignments: {paths.released_assignments()}"
        )
    lines = []
    paths.build.mkdir(parents=True, exist_ok=True)
    with Gradebook(paths.db_url) as gb:
        missing = [n for n in names if n not in {a.name for a in gb.assignments}]
    if missing:
        generate(paths, missing)
        lines.append(f"recorded {', '.join(missing)} in the gradebook ({paths.gradebook})")
    for name in names:
        nbgrader(paths, "release_assignment", name, "--force")
        if due is not None:
            with Gradebook(paths.db_url) as gb:
                gb.update_or_create_assignment(name, duedate=parse_utc(due))
        lines.append(
            f"published {name} to {os.path.join(root, course_id, 'outbound', name)}"
            + (f", due {parse_utc(due)} UTC" if due else "")
        )
    # Sticky bits: nbgrader leaves the root 0777 and the inbound folder 2733, so
    # a student could rename the course folder, or delete a submission whose
    # name they learnt; with +t only the owner of an entry may.
    _add_mode(root, stat.S_ISVTX)
    _add_mode(os.path.join(root, course_id, "inbound"), stat.S_ISVTX)
    return lines


def _inbound_records(inbound, assignment):
    """{student: [(timestamp, folder name, owner), ...]} of the submissions of one assignment."""
    from nbgrader.utils import parse_utc

    found = {}
    for entry in os.listdir(inbound):
        parts = entry.rsplit("+", 3)  # student+assignment+timestamp[+random]; a student id may hold '+'
        if len(parts) == 4 and parts[1] != assignment:
            parts = entry.rsplit("+", 2)  # no random part
        if len(parts) < 3 or parts[1] != assignment:
            continue
        try:
            when = parse_utc(parts[2])
        except Exception:
            continue
        try:
            owner = pwd.getpwuid(os.stat(os.path.join(inbound, entry)).st_uid).pw_name
        except KeyError:
            owner = "unknown"
        found.setdefault(parts[0], []).append((when, entry, owner))
    return found


def collect(paths, names):
    """Copy each student's latest submission of each assignment into
    build/submitted (nbgrader's `collect --update`: by the submission's
    timestamp, newer replaces older) and record what was collected. Returns lines."""
    course = _course_folder(paths)
    inbound = os.path.join(course, "inbound")
    if not os.path.isdir(inbound):
        raise ExchangeError(f"no {inbound}: publish an assignment first (`rnn-course publish A`)")
    log = _load_log(paths)
    lines = []
    for name in names:
        # nbgrader's owner check only logs a warning nobody reads: report_lines says it instead.
        nbgrader(paths, "collect", name, "--update", overrides={"CollectApp.check_owner": False})
        records = _inbound_records(inbound, name)
        entries = log.setdefault(name, {})
        for student, subs in sorted(records.items()):
            when, _, owner = max(subs)
            entries[student] = {"timestamp": str(when), "submissions": len(subs), "owner": owner}
        lines.append(f"collected {name}: {len(records)} student(s) into {paths.submitted}")
    _save_log(paths, log)
    return lines


def _load_log(paths):
    path = paths.build / LOG_NAME
    return json.loads(path.read_text()) if path.exists() else {}


def _save_log(paths, log):
    paths.build.mkdir(parents=True, exist_ok=True)
    (paths.build / LOG_NAME).write_text(json.dumps(log, indent=1, sort_keys=True))


def return_feedback(paths, names):
    """Generate feedback (`rnn-course feedback`) and release it to the exchange,
    where each student fetches their own from the Assignment List. Returns lines."""
    from rnn_helpers.course.feedback import feedback

    feedback(paths, assignments=names)
    lines = []
    for name in names:
        by_hand = []
        for folder in sorted(paths.feedback.glob(f"*/{name}")):
            student = folder.parent.name
            submitted = paths.submitted / student / name
            # release_feedback names each page by the submission's secret, which
            # nbgrader's autograde would carry over: our grader copies only notebooks.
            for kept in ("timestamp.txt", "submission_secret.txt"):
                if (submitted / kept).exists():
                    shutil.copy(submitted / kept, folder / kept)
            if not (folder / "submission_secret.txt").exists():
                by_hand.append(student)
                continue
            _alias_renamed(folder, submitted)
        overrides = {"CourseDirectory.student_id_exclude": ",".join(by_hand)} if by_hand else None
        nbgrader(paths, "release_feedback", name, overrides=overrides)
        released = len(list(paths.feedback.glob(f"*/{name}"))) - len(by_hand)
        lines.append(f"released feedback on {name} to {released} student(s)")
        lines += [
            f"  {s}: not submitted through the exchange, feedback stays in {paths.feedback / s / name}"
            for s in by_hand
        ]
    return lines


def _alias_renamed(folder, submitted):
    """A student fetches feedback by the names of the notebooks they submitted:
    when one notebook was handed in under another name (graded as the expected
    one), give its page that name too."""
    pages = {p.stem for p in folder.glob("*.html")}
    handed_in = {p.stem for p in submitted.glob("*.ipynb")}
    unmatched_pages, unmatched_notebooks = pages - handed_in, handed_in - pages
    if len(unmatched_pages) == 1 and len(unmatched_notebooks) == 1:
        page, notebook = unmatched_pages.pop(), unmatched_notebooks.pop()
        shutil.copy(folder / f"{page}.html", folder / f"{notebook}.html")


def _duration(seconds):
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min" if minutes else f"{int(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days {hours % 24} h"


def report_lines(paths):
    """Lines for the grade report: late submissions (the gradebook's due date and
    submission timestamps), resubmissions and submissions under another's name
    (the collection log)."""
    from nbgrader.api import Gradebook

    lines = []
    if paths.gradebook.exists():
        with Gradebook(paths.db_url) as gb:
            for assignment in sorted(gb.assignments, key=lambda a: a.name):
                for sub in sorted(assignment.submissions, key=lambda s: s.student.id):
                    if assignment.duedate and sub.timestamp and sub.timestamp > assignment.duedate:
                        late = (sub.timestamp - assignment.duedate).total_seconds()
                        lines.append(
                            f"{sub.student.id} / {assignment.name}: LATE by {_duration(late)}: "
                            f"submitted {sub.timestamp:%Y-%m-%d %H:%M} UTC, "
                            f"due {assignment.duedate:%Y-%m-%d %H:%M} UTC"
                        )
    log = _load_log(paths)
    me = pwd.getpwuid(os.geteuid()).pw_name
    for assignment in sorted(log):
        for student, entry in sorted(log[assignment].items()):
            if entry["submissions"] > 1:
                lines.append(
                    f"{student} / {assignment}: submitted {entry['submissions']} times: "
                    f"graded the latest ({entry['timestamp'][:16]} UTC)"
                )
            if entry["owner"] not in (student, me):
                lines.append(
                    f"{student} / {assignment}: SUBMITTED BY ANOTHER ACCOUNT: the files belong to "
                    f"{entry['owner']}, not {student}: check before releasing grades"
                )
    return lines
