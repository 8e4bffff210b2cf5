"""The instructor pipeline behind `rnn-course`: release, autograde, feedback, report.

Modules, one job each:
- paths: where the course folders are (all configurable, for tests and the demo)
- nbgrader_cli: runs nbgrader commands as subprocesses from the course root
- release: generates exercises/ from solutions/, diffs and validates them
- precheck: reads a submission (never writes it) and lists its faults
- isolation: builds one student's throw-away course root, kills what it leaves
- worker: a long-lived grading process that runs nbgrader's autograder in-process
- scoring: recomputes scores from an autograded notebook, checks the temp gradebook
- autograde: schedules jobs on workers, merges trusted scores into the gradebook
- results: the grader's record of each graded notebook (status, reason, notes)
- feedback, report: HTML feedback; grade table, fault lines and a plot
- samples, demo: a sample class with faults and the end-to-end demo
"""
