"""The project's own description of itself stays true: dependencies, docs, API coverage, paths."""

import inspect
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rnn_helpers"
API_PAGE = ROOT / "docs" / "exercise_api.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _name(requirement):
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower()


def _pyproject_dependencies():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _environment_pip_section():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return env, next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


# An exact torch version as pip writes it, torch==X.Y.Z (a sentence's final full stop left out).
_TORCH_PIN = re.compile(r"\btorch==([0-9][0-9A-Za-z.+]*[0-9A-Za-z])")


def _text(path):
    """The file's text, or None for a binary file."""
    try:
        return path.read_text()
    except (UnicodeDecodeError, OSError):
        return None


def _repository_files():
    """Files git tracks, and new files it would track (not ignored), that exist on disk."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    return [ROOT / p for p in listed if p and (ROOT / p).is_file()]


# ---------------------------------------------------------------- dependencies


def test_environment_yml_lists_the_same_requirements_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env, pip_section = _environment_pip_section()
    assert set(pip_section) == wanted, (
        f"only in pyproject: {sorted(wanted - set(pip_section))}; "
        f"only in environment.yml: {sorted(set(pip_section) - wanted)}"
    )
    assert "python=3.11" in env["dependencies"]


def test_torch_pin_of_setup_sh_is_admitted_by_pyproject_and_environment_yml_and_quoted_everywhere():
    from packaging.specifiers import SpecifierSet

    pins = set(_TORCH_PIN.findall((ROOT / "scripts" / "setup.sh").read_text()))
    assert len(pins) == 1, f"scripts/setup.sh should pin torch once as torch==X (the CPU wheel), found {pins}"
    pin = pins.pop()
    torch_spec = next(d for d in _pyproject_dependencies() if _name(d) == "torch")
    assert pin in SpecifierSet(torch_spec[len("torch") :]), (
        f"setup.sh installs torch=={pin}, which pyproject's {torch_spec!r} rejects: pip would then "
        "replace it with another (CUDA) build; widen the range or change the pin"
    )
    env_spec = next(d for d in _environment_pip_section()[1] if _name(d) == "torch")
    assert pin in SpecifierSet(env_spec[len("torch") :]), (
        f"environment.yml's {env_spec!r} rejects torch=={pin}"
    )
    # Every other mention of an exact torch version (README, docs, comments) is this one.
    stale = {
        f"{path.relative_to(ROOT)}: torch=={version}"
        for path in _repository_files()
        if path.suffix in (".md", ".sh", ".yml", ".toml", ".py", "")
        for version in _TORCH_PIN.findall(_text(path) or "")
        if version != pin
    }
    assert not stale, f"these name a torch version other than setup.sh's torch=={pin}: {sorted(stale)}"


def test_sqlalchemy_stays_on_the_2_0_series_that_the_gradebook_is_tested_with():
    from packaging.specifiers import SpecifierSet

    sqla = next(d for d in _pyproject_dependencies() if _name(d) == "sqlalchemy")
    spec = SpecifierSet(sqla[len("sqlalchemy") :])
    assert "2.0.30" in spec and "2.1.0" not in spec, f"pyproject's {sqla!r} should admit 2.0.x and not 2.1"


# ---------------------------------------------------------------- architecture page


def _tree_paths(markdown):
    """Paths named by the folder trees of a page: fenced blocks whose first line is a folder.

    Each line is `<indent><name>  <description>`, two spaces of indent per level;
    a folder's name ends in "/". The root line "./" stands for the repository.
    Returns repository-relative paths, folders with a trailing "/".
    """
    paths = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", markdown, flags=re.M | re.S):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or not lines[0].split()[0].endswith("/"):
            continue
        stack = []  # folder names from the root down to the current line's parent
        for line in lines:
            depth = (len(line) - len(line.lstrip(" "))) // 2
            name = line.split()[0]
            del stack[depth:]
            paths.append("".join(stack) + name)
            if name.endswith("/"):
                stack.append(name)
    return [p[2:] if p.startswith("./") else p for p in paths if p != "./"]


def test_tree_reader_follows_indentation():
    page = "text\n```text\nrnn_helpers/\n  data/   datasets\n    vocab.py  Vocab\n  cli.py  the CLI\n```\n"
    assert _tree_paths(page) == [
        "rnn_helpers/",
        "rnn_helpers/data/",
        "rnn_helpers/data/vocab.py",
        "rnn_helpers/cli.py",
    ]
    assert _tree_paths("```python\nx = 1\n```\n") == []


def _package_entries():
    """Every subpackage (with a trailing "/") and every module of rnn_helpers/, repository-relative."""
    entries = set()
    for path in PACKAGE.rglob("*"):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(ROOT).as_posix()
        if path.is_dir() and (path / "__init__.py").exists():
            entries.add(rel + "/")
        elif path.suffix == ".py" and path.name != "__init__.py":
            entries.add(rel)
    return entries


def test_architecture_page_names_every_subpackage_and_module_and_nothing_that_is_gone():
    named = set(_tree_paths(ARCHITECTURE.read_text()))
    listed = {p for p in named if p.startswith("rnn_helpers/")}
    missing = sorted(_package_entries() - listed)
    assert not missing, f"docs/architecture.md's rnn_helpers/ tree lacks {missing}: add a line for each"
    gone = sorted(p for p in listed if not (ROOT / p).exists())
    assert not gone, f"docs/architecture.md names {gone}, which do not exist: update its tree"


def test_architecture_page_names_every_top_level_folder_git_tracks():
    named = set(_tree_paths(ARCHITECTURE.read_text()))
    folders = {
        p.relative_to(ROOT).parts[0] + "/" for p in _repository_files() if len(p.relative_to(ROOT).parts) > 1
    }
    missing = sorted(folders - named)
    assert not missing, f"docs/architecture.md's repository tree lacks {missing}"


# ---------------------------------------------------------------- no paths outside the repository

# The character classes ("wor[k]") keep these patterns from matching themselves:
# this file is scanned like every other.
_ABSOLUTE = re.compile(
    r"(?<![\w.])/wor[k]/|(?<![\w.:])(?:/(?:home|Users)/[A-Za-z_][\w.-]*/|/roo[t]/)|[A-Za-z]:\\Users\\"
)
_RELATIVE = re.compile(r"(?<![\w.])((?:\.\./)+)([\w.-]*)")
_SEED_FILE = re.compile(r"\b[0-9]{3}_[0-9a-f]{16}\.txt\b")


def outside_references(rel_path, text):
    """Places in `text` (the content of repository file `rel_path`) that point outside the repository.

    - an absolute path into the machine's work area or a home folder;
    - a relative path with `../` that climbs above the repository root from
      the file's folder (a link to a folder beside the checkout);
    - the file name of a source document kept outside the repository.
    """
    found = [f"{rel_path}: {m.group(0)!r}" for m in _ABSOLUTE.finditer(text)]
    depth = len(Path(rel_path).parts) - 1  # folders between the root and the file
    for m in _RELATIVE.finditer(text):
        if m.group(1).count("../") > depth:
            found.append(f"{rel_path}: {m.group(0)!r} climbs out of the repository")
    found += [f"{rel_path}: {m.group(0)!r} names a file kept outside" for m in _SEED_FILE.finditer(text)]
    return found


@pytest.mark.parametrize(
    "rel_path, text",
    [
        # split with + so that this file passes its own scan
        ("README.md", "see `../" + "notes/api.md`"),
        ("course/README.md", "the sources in ../" + "../" + "seeds/"),
        ("tests/x.py", "open('/wor" + "k/main/data.txt')"),
        ("docs/a.md", "cd /ho" + "me/alice/rnn"),
        ("lectures/README.md", "source: 000_" + "0123456789abcdef.txt"),
    ],
)
def test_outside_reference_scanner_reports_each_kind(rel_path, text):
    assert outside_references(rel_path, text), f"not reported: {text!r} in {rel_path}"


def test_outside_reference_scanner_allows_paths_inside_the_repository():
    assert outside_references("course/README.md", "authored in ../solutions/<assignment>/") == []
    assert (
        outside_references("lectures/000.ipynb", "[ex](../exercises/01_rnn_forward/01_rnn_forward.ipynb)")
        == []
    )
    assert outside_references("README.md", "the tests drive /usr/bin/chromium; ./scripts/setup.sh") == []


def test_no_repository_file_refers_to_a_path_outside_the_repository():
    files = _repository_files()
    assert any(p.name == "README.md" for p in files), "git ls-files found nothing: is this a git checkout?"
    found = [
        hit
        for path in files
        if (text := _text(path)) is not None
        for hit in outside_references(path.relative_to(ROOT).as_posix(), text)
    ]
    assert not found, "paths outside the repository (name documents by title, paths relative):\n" + "\n".join(
        found
    )


# ---------------------------------------------------------------- exercise API and docstrings


def test_reference_exports_every_function_of_the_exercise_api():
    assert API_PAGE.exists(), f"{API_PAGE} is missing: the exercise API page is part of the repository"
    from rnn_helpers import reference

    names = re.findall(r"^\| `(\w+)\(", API_PAGE.read_text(), flags=re.M)
    assert len(names) >= 24, (
        f"read only {len(names)} functions from {API_PAGE}: has its table format changed?"
    )
    missing = [n for n in names if not callable(getattr(reference, n, None))]
    assert not missing, f"rnn_helpers.reference lacks {missing}"


# Arguments that are never arrays and whose docstring line need not say so:
# the opaque cache of a forward, an axis, a step size, a flag, integer sizes.
NOT_ARRAYS = {"cache", "axis", "eps", "scale", "input_size", "hidden_size"}
# A description that declares a value that is not an array (an int, a callable,
# a dict of arrays, ...) or that points to another function's docstring.
_NOT_ARRAY_KIND = re.compile(
    r"\b(?:int|float|number|scalar|dict|list|Generator|function)\b(?!\d| array)"
    r"|\b\w+\([\w, ]*\) ->"
    r"|\bas in \w+|\bas given to the forward\b"
)
# The end of the description of one name: next bullet, blank line, "; ",
# sentence end, or the next name's own description (", dh0 (", " and grads, ").
_CLAUSE_END = re.compile(r"\n\s*-\s|\n\s*\n|;\s|\.\s|(?:,|\s+and)\s+\w+(?:\s*\(|:\s|,\s)")


def _shape_statement(params):
    """A shape given in a docstring: a tuple of dimension letters such as (N, T, H), (3H,) or (n,)
    for an integer argument n, or one of the phrases that tie it to another array's shape."""
    dim = "|".join([r"[0-9]*[A-Z][a-z]?"] + [re.escape(p) for p in params])
    return re.compile(
        rf"\((?:{dim})(?:, (?:{dim}))*,?\)"
        r"|\bany shapes?\b|\bsame shapes?\b|\bthe shape(?: and dtype)? of\b|\bthe output of \w+\("
    )


def _descriptions(doc, name):
    """The text that follows each mention of `name` (after a list of names sharing it)."""
    blank = re.sub(r"\([^()]*\)", lambda m: "(" + "_" * (len(m.group()) - 2) + ")", doc)
    out = []
    for mention in re.finditer(rf"(?<![\w.\[]){re.escape(name)}\b", doc):
        starts = [mention.end()]
        shared = re.match(r"(?:, \w+)+(?=[:)])", doc[mention.end() :])  # "h0_f, h0_b: (N, H)"
        if shared:
            starts.append(mention.end() + shared.end())
        for start in starts:
            end = _CLAUSE_END.search(blank, start)  # "(N, T, D)" ends nothing
            out.append(doc[start : end.start() if end else len(doc)])
    return out


def shape_gaps(fn):
    """Array arguments and results of `fn` whose shape its docstring does not give."""
    doc = inspect.getdoc(fn) or ""
    params = list(inspect.signature(fn).parameters)
    shape = _shape_statement(params)
    gaps, results = [], []
    returns = re.search(r"\bReturns\s+(?:\(([\w, ]+)\)(?=:|\.|\s+with shapes)|(\w+))", doc)
    if returns and returns.group(1):
        results = [n.strip() for n in returns.group(1).split(",")]
        listed = re.match(r"\s+with shapes\s+((?:\([^)]*\)(?:,\s*|\s+and\s+)?)+)", doc[returns.end() :])
        if listed:  # "Returns (dx, dh0) with shapes (N, T, D), (N, H)": one shape per result
            n_shapes = len(re.findall(r"\([^)]*\)", listed.group(1)))
            if n_shapes != len(results):
                gaps.append(f"{len(results)} results but {n_shapes} shapes")
            results = []
    elif returns and returns.group(2) not in ("a", "an", "the"):
        results = [returns.group(2)]
    elif returns:  # "Returns an array of the same shape ...": the sentence must give it
        end = _CLAUSE_END.search(doc, returns.start())
        sentence = doc[returns.start() : end.start() if end else len(doc)]
        if not (shape.search(sentence) or _NOT_ARRAY_KIND.search(sentence)):
            gaps.append("the result")
    for name in params + results:
        if name not in NOT_ARRAYS and not any(
            shape.search(d) or _NOT_ARRAY_KIND.search(d) for d in _descriptions(doc, name)
        ):
            gaps.append(name)
    return gaps


def _documented(x, h0, Wx, Wh, b):
    """Run a tanh RNN.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (N, H) initial state
    - Wx: (D, H), Wh: (H, H), b: (H,)

    Returns (h, cache):
    - h: (N, T, H) every state
    - cache: for the backward
    """


def _without_shapes(x, h0, Wx, Wh, b):
    """Run a tanh RNN on inputs of the right shape.

    Inputs:
    - x: input sequence, one shape per batch
    - h0: initial state
    - Wx, Wh, b: the weights

    Returns (h, cache):
    - h: every state
    - cache: for the backward
    """


def _too_few_shapes(dh, cache):
    """Backward pass.

    Inputs:
    - dh: (N, T, H) upstream gradient
    - cache: from the forward

    Returns (dx, dh0, dWx) with shapes (N, T, D), (N, H).
    """


def test_shape_checker_accepts_shapes_and_rejects_docstrings_without_them():
    assert shape_gaps(_documented) == []
    assert shape_gaps(_without_shapes) == ["x", "h0", "Wx", "Wh", "b", "h"]
    assert shape_gaps(_too_few_shapes) == ["3 results but 2 shapes"]


def test_every_reference_function_documents_the_shape_of_each_array():
    from rnn_helpers import reference

    functions = [n for n in reference.__all__ if inspect.isfunction(getattr(reference, n))]
    assert functions, "rnn_helpers.reference exports no functions"
    gaps = {name: g for name in functions if (g := shape_gaps(getattr(reference, name)))}
    assert not gaps, (
        "these docstrings do not give the shape of every array argument and result "
        f"(write it as (N, T, H) after the name, or 'same shape as x'): {gaps}"
    )
