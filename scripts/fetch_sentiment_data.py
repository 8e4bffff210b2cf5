#!/usr/bin/env python
"""Install the human-labelled movie-review sentences used by the lectures.

The VADER ground-truth sets (Hutto and Gilbert, ICWSM 2014; MIT licence) ship
only in the source distribution of vaderSentiment 3.3.2, inside
additional_resources/hutto_ICWSM_2014.tar.gz. This script asks pip for that
sdist (a package registry, like every other install step), checks its SHA-256,
and copies the movie-review file and the licence into the data folder of
rnn_helpers.data.corpora (<environment>/share/rnn_course/vader, or
$RNN_COURSE_DATA/vader), which lies outside git.

Usage (from the repository root, with the course environment's python):
    python scripts/fetch_sentiment_data.py [--sdist PATH] [--force]
Safe to run again: it does nothing when the file is already there.
"""

import argparse
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rnn_helpers.data import corpora  # noqa: E402  (the path above makes the checkout importable)

VERSION = "3.3.2"
SDIST = f"vaderSentiment-{VERSION}.tar.gz"
SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER = f"vaderSentiment-{VERSION}/additional_resources/hutto_ICWSM_2014.tar.gz"
LICENCE = f"vaderSentiment-{VERSION}/LICENSE.txt"


def download_sdist(folder):
    """pip download the sdist (no wheel, no dependencies) into folder; return its path."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"vaderSentiment=={VERSION}",
            "-d",
            str(folder),
        ],
        check=True,
    )
    return Path(folder) / SDIST


def extract(sdist, target, sha256=SHA256):
    """Check the sdist's hash and write the movie-review file and the licence into target.

    Returns the path of the written ground-truth file.
    """
    data = Path(sdist).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256:
        raise RuntimeError(f"{sdist}: SHA-256 {digest} differs from the expected {sha256}")
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as outer:
        inner_bytes = outer.extractfile(INNER).read()
        (target / "LICENSE.txt").write_bytes(outer.extractfile(LICENCE).read())
    with tarfile.open(fileobj=io.BytesIO(inner_bytes), mode="r:gz") as inner:
        member = f"hutto_ICWSM_2014/{corpora.SENTIMENT_FILE}"
        text = inner.extractfile(member).read()
    out = target / corpora.SENTIMENT_FILE
    # Written through a temporary name so an interrupted run never leaves half a file.
    tmp = out.with_suffix(".part")
    tmp.write_bytes(text)
    tmp.replace(out)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", help="use this vaderSentiment-3.3.2.tar.gz instead of pip download")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    target = corpora.sentiment_path().parent
    if corpora.sentiment_path().exists() and not args.force:
        print(f"fetch_sentiment_data: already installed in {target}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        sdist = Path(args.sdist) if args.sdist else download_sdist(tmp)
        out = extract(sdist, target)
    n = len(corpora.load_movie_sentiment()[0])
    print(f"fetch_sentiment_data: {n} rated movie-review sentences in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
