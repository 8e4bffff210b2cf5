"""Keep the course website offline: a Sphinx extension for the build and a check of its output.

As a Sphinx extension (book/_config.yml, `local_extensions`), it removes from
notebook outputs the style sheets that some libraries link from a CDN
(`CDN_STYLE_SHEETS`); the theme serves what they provided.

As a script, it checks a built site:

    python book/offline.py build/site/_build/html

It lists every script, style sheet, font, image or frame that a page or a style
sheet would fetch from an http(s) or protocol-relative URL, and exits 1 when
there is one. Links a reader follows (<a href>) are not loads and are allowed.
scripts/build_site.sh runs both.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.I)
# Attributes that make the browser fetch something, per tag.
_LOADS = {
    "script": ("src",),
    "link": ("href",),  # style sheets, preloads, icons, fonts
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
}
# rel values of <link> that name a page rather than load a resource.
_LINK_NOT_LOADED = {"canonical", "alternate", "next", "prev", "author", "license", "search", "index"}
# Style sheets that notebook outputs link from a CDN, and why dropping them is safe.
CDN_STYLE_SHEETS = {
    # matplotlib's Animation.to_jshtml(): icons of the player's buttons (<i class="fa fa-play">),
    # which the theme's own FontAwesome script (_static/scripts/fontawesome.js) draws.
    "https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css",
}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", re.I)


class _Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []  # (tag, attribute, url)
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "style":
            self._in_style = True
        rel = set((attrs.get("rel") or "").lower().split())
        if tag == "link" and rel and rel <= _LINK_NOT_LOADED:
            return
        for name in _LOADS.get(tag, ()):
            value = attrs.get(name) or ""
            urls = (
                [part.split()[0] for part in value.split(",") if part.strip()]
                if name == "srcset"
                else [value]
            )
            self.found += [(tag, name, url) for url in urls if _EXTERNAL.match(url)]
        style = attrs.get("style") or ""
        self.found += [(tag, "style", url) for url in _CSS_URL.findall(style) if _EXTERNAL.match(url)]

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += [("style", "url", url) for url in _CSS_URL.findall(data) if _EXTERNAL.match(url)]


def drop_cdn_style_sheets(html):
    """`html` without the <link> tags that load one of CDN_STYLE_SHEETS, and how many were dropped."""
    count = 0

    def drop(match):
        nonlocal count
        href = re.search(r"""href\s*=\s*["']([^"']+)""", match.group(0))
        if href and href.group(1) in CDN_STYLE_SHEETS:
            count += 1
            return ""
        return match.group(0)

    return re.sub(r"<link\b[^>]*>", drop, html, flags=re.I), count


def _strip_outputs(app, doctree, docname):
    """Sphinx `doctree-resolved`: drop CDN style sheets from the raw HTML of notebook outputs."""
    from docutils import nodes

    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        html, count = drop_cdn_style_sheets(node.astext())
        if count:
            node.replace(node.children[0], nodes.Text(html))


def setup(app):
    """Sphinx extension entry point."""
    app.connect("doctree-resolved", _strip_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def external_loads(html_dir):
    """Every network load of the site under `html_dir`, as 'file: <tag attr=url>' strings."""
    html_dir = Path(html_dir)
    found = []
    for page in sorted(html_dir.rglob("*.html")):
        parser = _Loads()
        parser.feed(page.read_text(errors="replace"))
        rel = page.relative_to(html_dir).as_posix()
        found += [f"{rel}: <{tag} {attr}={url}>" for tag, attr, url in parser.found]
    for sheet in sorted(html_dir.rglob("*.css")):
        rel = sheet.relative_to(html_dir).as_posix()
        found += [
            f"{rel}: url({url})"
            for url in _CSS_URL.findall(sheet.read_text(errors="replace"))
            if _EXTERNAL.match(url)
        ]
    return found


def main(argv):
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: python book/offline.py <built html folder>", file=sys.stderr)
        return 2
    found = external_loads(argv[1])
    if found:
        print(f"offline check: {len(found)} network load(s) in the built site:", file=sys.stderr)
        print("\n".join(f"  {line}" for line in found[:50]), file=sys.stderr)
        print(
            "Serve the file locally (book/_config.yml, html_static_path) or turn the feature off.",
            file=sys.stderr,
        )
        return 1
    print(f"offline check: no page of {argv[1]} loads anything from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
