"""Install the course's JupyterLab settings into the running Python environment.

    .venv/bin/python scripts/install_lab_settings.py [--check]

JupyterLab reads settings that override its defaults from
{sys.prefix}/share/jupyter/lab/settings/overrides.json. The course's choices
are in jupyter/overrides.json (no news pop-up, no update check, no extension
manager, line numbers in code cells, every cell kept in the page). They are
merged into that file, so other packages' overrides are kept. Safe to run
again; --check only reports whether the installed settings are current.
Run it with the environment's own python: sys.prefix decides where it goes.
"""

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "jupyter" / "overrides.json"
TARGET = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def merged(installed, ours):
    """installed updated with ours, plugin by plugin (our values win)."""
    out = {plugin: dict(values) for plugin, values in installed.items()}
    for plugin, values in ours.items():
        out.setdefault(plugin, {}).update(values)
    return out


def missing(installed, ours):
    """'plugin: key' for every one of our settings the installed file lacks or changes."""
    return [
        f"{plugin}: {key}"
        for plugin, values in ours.items()
        for key, value in values.items()
        if installed.get(plugin, {}).get(key) != value
    ]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only report; exit 1 when not current")
    args = p.parse_args(argv)
    ours = json.loads(SOURCE.read_text())
    installed = json.loads(TARGET.read_text()) if TARGET.exists() else {}
    if args.check:
        stale = missing(installed, ours)
        for line in stale:
            print(f"not installed: {line}")
        print(f"{TARGET}: {'out of date' if stale else 'current'}")
        return 1 if stale else 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(merged(installed, ours), indent=2) + "\n")
    print(f"JupyterLab settings installed: {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
