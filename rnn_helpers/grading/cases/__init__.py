"""Hidden test suites, one module per assignment, registered with @suite.

`rnn_helpers.grading.check` imports these modules the first time it needs a
suite, so this package imports nothing itself: a broken case module then only
breaks the checks that need it, not the first cell of every notebook.
"""
