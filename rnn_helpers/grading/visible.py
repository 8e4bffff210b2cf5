"""`visible`: run a student's function in a visible test cell under the hidden checks' guard.

A visible test calls the function through `grading.visible`, which returns
exactly what the function returned, so the test's own asserts stay as they
are:

    \"\"\"rnn_step_forward on fixed inputs with a batch of two.\"\"\"
    x = np.array([[1.0, -1.0], [0.5, 2.0]])
    h_prev = np.array([[0.1, -0.2, 0.3], [0.0, 0.4, -0.5]])
    Wx = np.array([[0.2, -0.1, 0.4], [0.3, 0.5, -0.2]])
    Wh = np.array([[0.1, 0.0, -0.3], [0.2, 0.1, 0.0], [-0.1, 0.3, 0.2]])
    b = np.array([0.05, -0.05, 0.1])
    h_next, _ = grading.visible("rnn_step_forward", rnn_step_forward, x, h_prev, Wx, Wh, b)
    assert np.allclose(h_next, np.tanh(x @ Wx + h_prev @ Wh + b), atol=1e-12)

While the function runs, the tracer of rnn_helpers/grading/guards.py watches
it as `check` does, with the rules of the function's hidden suites (their
`allow` building blocks, their torch_ok flag): a function that delegates to
the reference or to torch's recurrent layers, or that computes with torch in
a numpy exercise, raises AssertionError with the same message as the hidden
check, so Validate tells the student before they submit. Errors the function
raises itself (a stub's NotImplementedError) reach the cell unchanged. A wrong
result (or error) that matches a known mistake of the catalogue gets its
one-line explanation, "Your output matches a known mistake: ..."
(diagnosis.tell), as the hidden checks give it.
"""

from rnn_helpers.grading import checker, diagnosis, guards, registry


def _rules(name):
    """(allow, numpy_only) of function `name`, from all its hidden suites."""
    registry.load_cases()
    entries = [entry for (fname, _), entry in registry.SUITES.items() if fname == name]
    if not entries:
        raise LookupError(
            f"grading.visible: no hidden test suite for {name!r}, so its rules are unknown; "
            f"this is a bug in the course, not in your code"
        )
    allow = frozenset(a for entry in entries for a in entry.allow)
    return allow, not all(entry.torch_ok for entry in entries)


def visible(name, fn, *args, **kwargs):
    """Return fn(*args, **kwargs), run under the guard of the hidden checks of `name`.

    - name: the exercise function's name, as in grading.check
    - fn: the student's function called `name`

    Raises AssertionError with check's message when fn delegates to the
    reference or to torch's recurrent or attention code, computes with torch
    or another autodiff library (unless the function's suites are torch_ok),
    or when the notebook tampered with the grading.
    """
    __tracebackhide__ = True  # IPython then shows the call in the test cell, not our frames
    checker._audit(name, "before this test")
    if not callable(fn):
        checker._fail(f"{name} must be a function, got {type(fn).__name__}")
    allow, numpy_only = _rules(name)
    tracer = guards.Tracer(allow=allow, numpy_only=numpy_only)
    inputs = diagnosis.copy_inputs(args, kwargs)  # as they were, for the known mistakes
    try:
        with tracer:
            result = guards.student_call(fn, *args, **kwargs)
    except Exception as error:
        diagnosis.tell(name, fn, error, inputs)  # a note under the traceback when a known mistake fits
        raise
    verdict = tracer.verdict(name)
    if verdict is not None:
        checker._fail(verdict)
    checker._audit(name, "while the test ran")
    # A wrong result that matches a known mistake: its one-line explanation is
    # printed, and the cell's own assert fails below it (diagnosis.py).
    diagnosis.tell(name, fn, result, inputs)
    return result
