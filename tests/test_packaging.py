"""The project's own description of itself stays true: dependencies, README, API coverage."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
API_PAGE = ROOT.parent / "shared" / "EXERCISE_API.md"


def _name(requirement):
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_requirements_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip_section) == wanted, (
        f"only in pyproject: {sorted(wanted - set(pip_section))}; "
        f"only in environment.yml: {sorted(set(pip_section) - wanted)}")
    assert "python=3.11" in env["dependencies"]


def test_torch_range_admits_the_pinned_cpu_wheel():
    from packaging.specifiers import SpecifierSet
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch_spec = next(d for d in deps if _name(d) == "torch")
    assert "2.13.0" in SpecifierSet(torch_spec[len("torch"):])
    sqla = next(d for d in deps if _name(d) == "sqlalchemy")
    assert "2.1.0" not in SpecifierSet(sqla[len("sqlalchemy"):])


def test_readme_describes_every_folder_and_module():
    readme = (ROOT / "README.md").read_text()
    modules = [p.stem for p in (ROOT / "rnn_helpers").glob("*.py")
               if not p.stem.startswith("_")]
    packages = [p.name for p in (ROOT / "rnn_helpers").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()]
    missing = [m for m in modules + packages if f"`{m}" not in readme]
    assert not missing, f"README does not describe rnn_helpers modules: {missing}"
    for folder in ["course/", "solutions/", "exercises/", "lectures/", "rnn_helpers/", "tests/"]:
        if (ROOT / folder).exists():
            assert f"`{folder}" in readme, f"README does not describe {folder}"


def test_reference_exports_every_function_of_the_exercise_api():
    assert API_PAGE.exists(), f"{API_PAGE} is missing: the API page lives in shared/ beside the repo"
    from rnn_helpers import reference
    names = re.findall(r"^\| `(\w+)\(", API_PAGE.read_text(), flags=re.M)
    assert len(names) >= 24  # the four exercise sets list 24 functions
    missing = [n for n in names if not callable(getattr(reference, n, None))]
    assert not missing, f"rnn_helpers.reference lacks {missing}"


def test_every_reference_function_documents_shapes():
    import inspect
    from rnn_helpers import reference
    undocumented = [name for name in reference.__all__
                    if inspect.isfunction(getattr(reference, name))
                    and not re.search(r"\([A-Z0-9]+(, [A-Z0-9+*]+)*,?\)|shape", getattr(reference, name).__doc__ or "")]
    assert not undocumented, f"docstrings without shapes: {undocumented}"
