#!/usr/bin/env bash
# Build the course website (Jupyter Book 1.x) into build/site/_build/html/.
#
#   bash scripts/build_site.sh           # lectures run in full mode, as a student runs them
#   bash scripts/build_site.sh --fast    # RNN_COURSE_FAST=1: shorter training (CI)
#
# jupyter-book needs every page under one folder, so this script stages copies
# of START_HERE.ipynb, lectures/, exercises/ and the docs pages named in
# book/_toc.yml into build/site/ (git-ignored, rebuilt from scratch each time),
# adds a local MathJax (npm package `mathjax`, pinned and checksummed, kept in
# build/vendor/) and builds there. Lectures are executed during the build;
# exercises are shown unexecuted. The build fails when a lecture fails or when
# a page loads a script, style sheet, font or image from the network.
set -euo pipefail
cd "$(dirname "$0")/.."

SITE=build/site
MATHJAX_VERSION=3.2.2
# npm's `dist.integrity` for mathjax@3.2.2 (sha512 of the tarball, base64).
MATHJAX_SHA512="Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
MATHJAX_DIR="build/vendor/mathjax-$MATHJAX_VERSION"
PY=.venv/bin/python
JB=.venv/bin/jupyter-book

for arg in "$@"; do
    case "$arg" in
        --fast) export RNN_COURSE_FAST=1 ;;
        *) echo "build_site.sh: unknown argument '$arg' (use --fast or nothing)" >&2; exit 2 ;;
    esac
done
if [ ! -x "$JB" ]; then
    echo "build_site.sh: $JB is missing: run 'bash scripts/setup.sh' (it installs the 'site' extra)" \
         "or '.venv/bin/python -m pip install -e \".[site]\"'" >&2
    exit 1
fi
start=$(date +%s)

# 1. MathJax 3, once, from the npm registry; checked against the pinned checksum.
if [ ! -f "$MATHJAX_DIR/es5/tex-mml-chtml.js" ]; then
    command -v npm >/dev/null || { echo "build_site.sh: npm is needed once to fetch MathJax (apt-get install npm)" >&2; exit 1; }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "mathjax@$MATHJAX_VERSION" >/dev/null)
    got=$("$PY" -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tmp/mathjax-$MATHJAX_VERSION.tgz")
    if [ "$got" != "$MATHJAX_SHA512" ]; then
        echo "build_site.sh: mathjax-$MATHJAX_VERSION.tgz has sha512 $got, expected $MATHJAX_SHA512" >&2
        exit 1
    fi
    tar -xzf "$tmp/mathjax-$MATHJAX_VERSION.tgz" -C "$tmp"
    rm -rf "$MATHJAX_DIR" && mkdir -p "$MATHJAX_DIR"
    mv "$tmp/package/es5" "$MATHJAX_DIR/es5"
fi

# 2. Stage the book: the configuration, then the pages the table of contents names.
rm -rf "$SITE"
mkdir -p "$SITE/lectures" "$SITE/docs"
cp book/_config.yml book/_toc.yml "$SITE/"
mkdir -p "$SITE/_ext" && cp book/offline.py "$SITE/_ext/"
cp START_HERE.ipynb "$SITE/"
cp lectures/*.ipynb "$SITE/lectures/"
for assignment in exercises/*/; do
    name=$(basename "$assignment")
    mkdir -p "$SITE/exercises/$name"
    cp "$assignment$name.ipynb" "$SITE/exercises/$name/"
done
cp docs/notation.md docs/glossary.md docs/exercise_api.md "$SITE/docs/"
# Only what the pages load: the combined TeX component, its extensions, fonts and menu.
# (Not under _static/: jupyter-book would add every .js file there to every page.)
mj="$SITE/_mathjax/mathjax"
mkdir -p "$mj/output"
cp "$MATHJAX_DIR/es5/tex-mml-chtml.js" "$mj/"
cp -r "$MATHJAX_DIR/es5/input" "$MATHJAX_DIR/es5/ui" "$MATHJAX_DIR/es5/a11y" "$MATHJAX_DIR/es5/sre" "$mj/"
cp -r "$MATHJAX_DIR/es5/output/chtml" "$mj/output/"

# 3. Build. Figures need the notebook's inline backend, not the Agg that pytest sets.
unset MPLBACKEND
export PATH="$PWD/.venv/bin:$PATH"
echo "site: building ($([ "${RNN_COURSE_FAST:-0}" = 1 ] && echo fast || echo full) mode: lectures are executed)"
"$JB" build "$SITE" --builder html --warningiserror --keep-going --quiet

# 4. Offline: no page may load a script, style sheet, font or image from the network.
"$PY" book/offline.py "$SITE/_build/html"
echo "$(date -u +%FT%TZ) mode=$([ "${RNN_COURSE_FAST:-0}" = 1 ] && echo fast || echo full)" > "$SITE/_build/html/.built"
echo "site: built in $(( $(date +%s) - start )) s -> $SITE/_build/html/index.html"
