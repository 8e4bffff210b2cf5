#!/usr/bin/env bash
# Install the Debian packages the tests and the grader need, those missing only:
#   chromium    the browser tests (tests/test_browser.py) drive /usr/bin/chromium
#               with Playwright; they never download a browser
#   bubblewrap  the grading kernel's sandbox (rnn_helpers/course/sandbox.py);
#               without it grading still works, with weaker isolation and a warning
#   postgresql  the gradebook on a PostgreSQL server (tests/test_postgres.py starts
#               one from /usr/lib/postgresql/<version>/bin in a temporary folder)
# Idempotent and quiet: when all are installed it only prints their versions.
# Needs root (or sudo) and the Debian package archive.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
echo "bubblewrap: $(bwrap --version)"
echo "postgresql: $("$(ls -d /usr/lib/postgresql/*/bin/initdb | tail -n 1)" --version)"
