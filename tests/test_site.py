"""The course website, opened page by page in headless Chromium, offline.

The site is built by `bash scripts/build_site.sh --fast` into build/site/
(a build already there is reused when its staged copies equal the files of the
working tree, as after CI's build step), served with `python -m http.server` on
127.0.0.1, and every page of book/_toc.yml is opened: it must answer 200, log
no console error, fetch nothing outside the server, show every image, render
every formula with MathJax (no raw TeX left), and link only to pages and
anchors that exist. Screenshots go to screenshots/site/.
Needs /usr/bin/chromium (`bash scripts/install_system_packages.sh`) and the `site`
extra (`bash scripts/setup.sh`).
"""

import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # reported by the browser fixture as a failure, not a collection error
    sync_playwright = None

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, REPO, SCREENSHOTS, TIMEOUT_MS, serve_folder, stop_server

SITE = REPO / "build" / "site"
HTML = SITE / "_build" / "html"
BUILD_TIMEOUT_S = 1800  # lectures run during the build; 2 shared cores


def _toc_pages():
    """The pages of the table of contents, in its order (paths without suffix)."""
    toc = yaml.safe_load((REPO / "book" / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


# Every page of the site: the table of contents, the landing redirect and Sphinx's own two.
PAGES = ["index", *_toc_pages(), "genindex", "search"]


def _staged_pairs():
    """(file in the repository, its copy in build/site/) for every input of the build."""
    pairs = [(REPO / "book" / name, SITE / name) for name in ("_config.yml", "_toc.yml")]
    pairs.append((REPO / "book" / "offline.py", SITE / "_ext" / "offline.py"))
    pairs += [
        (REPO / f"{page}{suffix}", SITE / f"{page}{suffix}")
        for page in _toc_pages()
        for suffix in (".ipynb", ".md")
        if (REPO / f"{page}{suffix}").exists()
    ]
    return pairs


def _build_is_current():
    """True when build/site/ holds a finished build of exactly the working tree's pages."""
    if not (HTML / ".built").exists():
        return False
    return all(copy.exists() and copy.read_bytes() == src.read_bytes() for src, copy in _staged_pairs())


@pytest.fixture(scope="module")
def site():
    """The built site's html folder: reused when current, else built now in fast mode."""
    if not _build_is_current():
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # conftest's Agg would leave the lectures without figures
        result = subprocess.run(
            ["bash", "scripts/build_site.sh", "--fast"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
        if result.returncode != 0:
            tail = (result.stdout + result.stderr)[-6000:]
            pytest.fail(f"scripts/build_site.sh --fast failed ({result.returncode}):\n{tail}", pytrace=False)
    return HTML


@pytest.fixture(scope="module")
def server(site):
    with tempfile.TemporaryDirectory() as tmp:
        srv = serve_folder(site, Path(tmp) / "http.log")
        yield srv
        stop_server(srv)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/install_system_packages.sh`", pytrace=False)
    if sync_playwright is None:
        pytest.fail("Playwright for Python is missing: `.venv/bin/pip install -e '.[dev]'`", pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots_dir():
    folder = SCREENSHOTS / "site"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _Fetched:
    """Bodies of the site's URLs, fetched once per test module (links repeat on every page)."""

    def __init__(self):
        self.cache = {}

    def __call__(self, url):
        """(status, text) of a GET of `url`; text is '' for non-HTML."""
        if url not in self.cache:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    body = response.read()
                    kind = response.headers.get("Content-Type", "")
                    self.cache[url] = (
                        response.status,
                        body.decode(errors="replace") if "html" in kind else "",
                    )
            except urllib.error.HTTPError as err:
                self.cache[url] = (err.code, "")
        return self.cache[url]


@pytest.fixture(scope="module")
def fetched():
    return _Fetched()


def _has_anchor(html, fragment):
    fragment = urllib.parse.unquote(fragment)
    return re.search(rf"""\b(?:id|name)\s*=\s*["']{re.escape(fragment)}["']""", html) is not None


# JavaScript run in the page after it loaded: images, math and links as the browser sees them.
_WAIT_FOR_IMAGES = """async () => {
    for (const img of document.images) img.loading = 'eager';
    await Promise.all([...document.images].map(img => img.complete ? null :
        new Promise(done => { img.onload = img.onerror = done; })));
}"""
_BROKEN_IMAGES = (
    "() => [...document.images].filter(i => !(i.naturalWidth > 0)).map(i => i.currentSrc || i.src)"
)
_MATH_STATE = """async () => {
    const math = [...document.querySelectorAll('.math')];
    if (math.length && window.MathJax && MathJax.startup) await MathJax.startup.promise;
    // Raw TeX left in the text a reader sees (code, scripts and typeset math excluded).
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let raw = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const inside = node.parentElement.closest('pre, code, script, style, textarea, mjx-container');
        if (inside) continue;
        raw += (node.textContent.match(/\\$\\$|\\\\\\(|\\\\\\[|\\\\begin\\{/g) || []).length;
    }
    return {
        elements: math.length,
        mathjax: window.MathJax && MathJax.version || null,
        typeset: math.filter(el => el.querySelector('mjx-container')).length,
        errors: [...document.querySelectorAll('mjx-merror')]
            .map(el => el.getAttribute('data-mjx-error') || el.textContent),
        raw,
    };
}"""
_LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_with_its_figures_math_and_links(name, server, browser, fetched, shots_dir):
    """The page answers 200, fetches nothing else, logs no error; images, math and links work."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    outside, failed, errors = [], [], []

    def only_local(route):
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: failed.append(f"{req.url} ({req.failure})"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} ({r.status})"))
    try:
        response = page.goto(f"{server.url}/{name}.html", wait_until="load")
        assert response is not None and response.status == 200, (
            f"{name}.html: HTTP {response and response.status}"
        )
        if name == "index":  # the site's entry point forwards to the table of contents' root
            page.wait_for_url(f"{server.url}/{PAGES[1]}.html")
            page.wait_for_load_state("load")
        page.evaluate(_WAIT_FOR_IMAGES)
        math = page.evaluate(_MATH_STATE)
        page.screenshot(path=str(shots_dir / f"{PAGES.index(name):02d}_{name.replace('/', '_')}.png"))
        broken = page.evaluate(_BROKEN_IMAGES)
        links = page.evaluate(_LINKS)
        figures = page.locator(".cell_output img")
        if name.startswith("lectures/") and figures.count():
            figures.first.scroll_into_view_if_needed()
            page.screenshot(
                path=str(shots_dir / f"{PAGES.index(name):02d}_{name.replace('/', '_')}_figure.png")
            )
        n_figures = figures.count()
    finally:
        context.close()

    problems = []  # every failed check of the page, reported together
    if outside:
        problems.append(f"requests outside the local server (the site must work offline): {outside}")
    if failed:
        problems.append(f"failed requests: {failed}")
    if errors:
        problems.append(f"console errors: {errors}")
    if broken:
        problems.append(f"images that did not load: {broken}")
    if name.startswith("lectures/") and n_figures == 0:
        # Lectures are executed at build time: their figures are part of the page.
        problems.append("no figure in the cell outputs: was the lecture executed with a plot backend?")
    if math["elements"] and not (math["mathjax"] or "").startswith("3."):
        problems.append(f"MathJax 3 did not load: {math}")
    elif math["typeset"] != math["elements"]:
        problems.append(
            f"{math['elements'] - math['typeset']} of {math['elements']} formulas not typeset by MathJax"
        )
    if math["errors"]:
        problems.append(f"MathJax could not typeset: {math['errors'][:10]}")
    if math["raw"]:
        problems.append(f"{math['raw']} pieces of raw TeX ($$, \\(, \\[ or \\begin) left in the page's text")
    for link in sorted(set(links)):
        if not link.startswith(server.url + "/"):
            continue  # external links are for the reader to follow; nothing is fetched
        target, _, fragment = link.partition("#")
        status, html = fetched(target)
        if status != 200:
            problems.append(f"broken link {link} (HTTP {status})")
        elif fragment and html and not _has_anchor(html, fragment):
            problems.append(f"broken link {link} (no anchor #{fragment} on that page)")
    assert not problems, f"{server.url}/{name}.html:\n- " + "\n- ".join(problems)


def test_every_built_page_is_in_the_list_of_pages_checked(site):
    built = {
        p.relative_to(site).with_suffix("").as_posix()
        for p in site.rglob("*.html")
        if p.relative_to(site).parts[0] not in ("_static", "_sources", "_images")
    }
    assert built == set(PAGES), (
        f"built but not checked: {sorted(built - set(PAGES))}; missing: {sorted(set(PAGES) - built)}"
    )


def test_lecture_pages_come_from_executed_notebooks_and_exercise_pages_from_unexecuted_ones(site):
    """Lectures show outputs; exercises show their stubs without outputs (they would only raise)."""
    for name in _toc_pages():
        page = (site / f"{name}.html").read_text()
        outputs = len(re.findall(r'class="cell_output', page))
        if name.startswith("lectures/"):
            assert outputs > 0, f"{name}: no cell outputs: the lecture was not executed"
        elif name.startswith("exercises/"):
            assert outputs == 0, f"{name}: has {outputs} cell outputs: exercises must not be executed"


def test_offline_check_reports_scripts_and_style_sheets_from_the_network(tmp_path):
    """book/offline.py finds a CDN script, style sheet and CSS font; it ignores links and local files."""
    sys.path.insert(0, str(REPO / "book"))
    try:
        import offline
    finally:
        sys.path.remove(str(REPO / "book"))
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn.example/s.css">'
        '<a href="https://example.org/paper.pdf">paper</a><link rel="canonical" href="https://example.org/a">'
        '<script src="_static/local.js"></script><img src="_images/f.png">'
    )
    (tmp_path / "s.css").write_text(
        "@font-face { src: url('https://fonts.example/f.woff2'); } b { x: url(f.png) }"
    )
    found = offline.external_loads(tmp_path)
    assert len(found) == 3 and all("example/" in f for f in found), found
    html, dropped = offline.drop_cdn_style_sheets(
        '<p>x</p><link rel="stylesheet" href="'
        + next(iter(offline.CDN_STYLE_SHEETS))
        + '"><link href="keep.css">'
    )
    assert dropped == 1 and html == '<p>x</p><link href="keep.css">', html


def test_glossary_lists_40_to_70_terms_in_alphabetical_order():
    terms = re.findall(r"^\*\*(.+?)\.?\*\*$", (REPO / "docs" / "glossary.md").read_text(), flags=re.M)
    assert 40 <= len(terms) <= 70, f"docs/glossary.md has {len(terms)} terms (**Term.** lines); keep 40 to 70"
    keys = [t.casefold() for t in terms]
    out_of_order = [(a, b) for a, b in zip(terms, terms[1:]) if a.casefold() > b.casefold()]
    assert keys == sorted(keys), f"docs/glossary.md is not alphabetical at: {out_of_order}"


def _start_here_order():
    """Lectures and exercises in the order START_HERE.ipynb links them (paths without suffix)."""
    import json

    cells = json.loads((REPO / "START_HERE.ipynb").read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.findall(r"\]\(((?:lectures|exercises)/[\w/]+)\.ipynb\)", text)


def test_website_and_readme_follow_start_heres_reading_order():
    order = _start_here_order()
    lectures = sorted(f"lectures/{p.stem}" for p in (REPO / "lectures").glob("*.ipynb"))
    exercises = sorted(f"exercises/{p.parent.name}/{p.stem}" for p in (REPO / "exercises").glob("*/*.ipynb"))
    assert sorted(order) == sorted(lectures + exercises), (
        f"START_HERE.ipynb should link every lecture and exercise once; it links {order}"
    )
    toc = [page for page in _toc_pages() if page.startswith(("lectures/", "exercises/"))]
    assert toc == order, f"book/_toc.yml orders the course as {toc}, START_HERE.ipynb as {order}"
    # README's student path names the same steps: "lecture 001, ..., exercise `01_rnn_forward`, ...".
    readme = (REPO / "README.md").read_text()
    path = re.search(r"\*\*Where to start:\*\*(.*?)\n\d\. ", readme, flags=re.S)
    assert path, "README.md has no '**Where to start:**' step in its student path"
    steps = re.findall(r"lecture (\d{3})|exercise `(\w+)`", path.group(1))
    named = [f"lecture {n}" if n else f"exercise {a}" for n, a in steps]
    wanted = [
        f"lecture {p.split('/')[1][:3]}" if p.startswith("lectures/") else f"exercise {p.split('/')[1]}"
        for p in order
    ]
    assert named == wanted, f"README.md's student path reads {named}, START_HERE.ipynb {wanted}"
