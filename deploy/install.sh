#!/usr/bin/env bash
# What a class on a JupyterHub needs besides the course's venv: Node.js (Debian's,
# with apt, when missing) and configurable-http-proxy, the hub's proxy, from npm
# at the version locked in deploy/package-lock.json, into deploy/node_modules.
# JupyterHub itself is the `hub` extra of the package (scripts/setup.sh installs
# it; this script adds it to an existing .venv too). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi
npm ci --no-audit --no-fund --loglevel=error
if [ -x ../.venv/bin/python ] && ! ../.venv/bin/python -c "import jupyterhub" 2>/dev/null; then
    ../.venv/bin/python -m pip install --quiet -e "..[hub]"
fi
echo "hub: node $(node --version), configurable-http-proxy $(node_modules/.bin/configurable-http-proxy --version)"
