#!/bin/sh
# Re-resolve image/requirements.lock (pcicheck's runtime dependencies) and image/checkov.lock (Checkov
# in its own environment) with hashes from PyPI, for the image's Python (Debian bookworm: CPython 3.11,
# x86_64). pcicheck's dependencies are pinned to the versions of the environment the test suite ran in
# (DEV_PYTHON's `pip freeze`), Checkov to pcicheck.iac.checkov_env.CHECKOV_VERSION with the dependencies
# it resolves today. Run by hand when a dependency should move; build.sh only reads the locks.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
DEV_PYTHON=${DEV_PYTHON:-$repo/.venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -m venv "$tmp/v"
pip="$tmp/v/bin/pip --isolated --disable-pip-version-check"
"$DEV_PYTHON" -m pip freeze --exclude-editable | grep -v '^-e ' > "$tmp/dev.txt"
git -C "$repo" archive --format=tar HEAD | tar -x -C "$tmp" --one-top-level=src
$pip install --quiet --dry-run --ignore-installed --only-binary=:all: -c "$tmp/dev.txt" --report "$tmp/app.json" "$tmp/src"
/usr/bin/python3 "$here/lock.py" "$tmp/app.json" --skip pcicheck > "$here/requirements.lock"
version=$(sed -n 's/^CHECKOV_VERSION = "\(.*\)"/\1/p' "$repo/pcicheck/iac/checkov_env.py")
$pip install --quiet --dry-run --ignore-installed --report "$tmp/checkov.json" "checkov==$version"
/usr/bin/python3 "$here/lock.py" "$tmp/checkov.json" > "$here/checkov.lock"
wc -l "$here/requirements.lock" "$here/checkov.lock"
