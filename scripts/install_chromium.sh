#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/test_browser.py) when it
# is missing. The tests drive /usr/bin/chromium with Playwright; they never
# download a browser. Needs root (or sudo) and the Debian package archive.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
