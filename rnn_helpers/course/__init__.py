"""The instructor pipeline behind `rnn-course`: release, autograde, feedback, report.

Modules, one job each:
- paths: where the course folders are (all configurable, for tests and the demo)
- nbgrader_cli: runs nbgrader commands as subprocesses from the course root
- preprocessors: the one autograde preprocessor chain; the release's stub naming
- release: generates exercises/ from solutions/, diffs and validates them
- hygiene: notebooks are committed without outputs
- precheck: reads a submission (never writes it) and lists its faults
- isolation: builds one student's throw-away course root, kills what it leaves
- sandbox, kernel_launcher: the graded kernel under bubblewrap (or namespace hiding), with limits
- worker: a long-lived grading process that runs nbgrader's autograder in-process
- scoring: recomputes scores from an autograded notebook, checks the temp gradebook
- autograde: schedules jobs on workers, merges trusted scores into the gradebook
- cluster: the same jobs on a Dask cluster (`rnn-course autograde --cluster`)
- results: the grader's record of each graded notebook (status, reason, notes)
- exchange: nbgrader's exchange workflow (release to students, collect, return feedback)
- feedback, report, gradebook_export: HTML feedback; grade table, fault lines, plot, CSV exports
- samples, tiny, demo: a sample class with faults, a tiny assignment, the end-to-end demo
"""
