#!/bin/sh
# Build pcicheck's container image from Debian packages and this repository, without pulling a base
# image: mmdebstrap makes the root file system, pip installs pcicheck (a wheel built from the commit)
# and Checkov (its own venv) from hash-locked wheels, GNU tar writes one deterministic layer, umoci
# packs it as an OCI image layout. Then the image is unpacked again and smoke-tested in a chroot as
# its non-root user on a read-only root (`pcicheck --help`, a manifests scan, an IaC scan with the
# image's Checkov).
#
#   sudo image/build.sh                    # -> build/image (OCI layout), tag pcicheck:<version>-<commit>
#   OUT=/tmp/oci MIRROR=http://snapshot.debian.org/archive/debian/20261201T000000Z \
#     SECURITY_MIRROR=http://snapshot.debian.org/archive/debian-security/20261201T000000Z image/build.sh
#
# Needs root (mmdebstrap --mode=root, chroot), mmdebstrap, umoci, git, GNU tar, Debian's python3 (3.11,
# matching the image's: the wheels are downloaded for it) and BUILD_PYTHON with hatchling (the dev venv).
# Reproducible: every time stamp is SOURCE_DATE_EPOCH (the commit's time), the Python dependencies
# are the locks' hashes, and the Debian packages are what MIRROR serves for SUITE at build time (pin
# them across time with a snapshot.debian.org MIRROR; the build prints the package list it used).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
OUT=${OUT:-$repo/build/image}
BUILD_PYTHON=${BUILD_PYTHON:-$repo/.venv/bin/python}
PY=/usr/bin/python3.11  # the image's Python (bookworm): wheels are fetched for its tags
commit=$(git -C "$repo" rev-parse "${COMMIT:-HEAD}^{commit}")  # COMMIT: build another commit
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct "$commit")}
export SOURCE_DATE_EPOCH
at() { git -C "$repo" show "$commit:$1"; }  # every input is read from the commit, not the working tree
version=$(at pyproject.toml | sed -n 's/^version = "\(.*\)"/\1/p')
checkov=$(at pcicheck/iac/checkov_env.py | sed -n 's/^CHECKOV_VERSION = "\(.*\)"/\1/p')
TAG=${TAG:-$version-$(echo "$commit" | cut -c1-12)}
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

[ "$(id -u)" = 0 ] || { echo "build.sh: needs root (mmdebstrap --mode=root, chroot)" >&2; exit 2; }
for tool in mmdebstrap umoci git tar "$PY" "$BUILD_PYTHON"; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (apt-get install mmdebstrap umoci python3)" >&2; exit 2; }
done
work=$(mktemp -d /var/tmp/pcicheck-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
step() { printf '%s build.sh: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

step "wheels (pcicheck $version from $commit; dependencies from image/*.lock)"
mkdir -p "$work/src" "$work/wheels/app" "$work/wheels/checkov"
git -C "$repo" archive --format=tar "$commit" | tar -x -C "$work/src"  # the commit, not the working tree
"$BUILD_PYTHON" -m pip wheel --quiet --no-deps --no-build-isolation -w "$work/wheels/app" "$work/src"
fetch() {  # hash-checked, binary only, for the image's interpreter
  "$PY" -m pip --isolated download --quiet --no-deps --only-binary=:all: --require-hashes -r "$1" -d "$2"
}
at image/requirements.lock > "$work/wheels/requirements.lock"
at image/checkov.lock > "$work/wheels/checkov.lock"
fetch "$work/wheels/requirements.lock" "$work/wheels/app"
fetch "$work/wheels/checkov.lock" "$work/wheels/checkov"

step "root file system (Debian $SUITE, $SUITE-updates and $SUITE-security from $MIRROR and $SECURITY_MIRROR)"
# Inside the chroot, with a clean environment (no PIP_* from the host): offline installs from the wheel folder; pip compiles byte code, which is
# deterministic because SOURCE_DATE_EPOCH selects hash-checked .pyc files.
cat > "$work/install.sh" <<INSTALL
set -eu
export SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
w=/tmp/wheels
python3 -m venv /opt/pcicheck
/opt/pcicheck/bin/pip install --quiet --no-deps --require-hashes -r \$w/requirements.lock --find-links \$w/app
/opt/pcicheck/bin/pip install --quiet --no-deps \$w/app/pcicheck-$version-*.whl
/opt/pcicheck/bin/pip check
# Checkov where pcicheck.iac.checkov_env looks first after --checkov: \$PCICHECK_CACHE/checkov-<version>,
# marked finished; it never shares pcicheck's environment.
c=/opt/pcicheck-cache/checkov-$checkov
python3 -m venv \$c
\$c/bin/pip install --quiet --no-deps --require-hashes -r \$w/checkov.lock --find-links \$w/checkov
\$c/bin/pip check
echo $checkov > \$c/.pcicheck-installed
for venv in /opt/pcicheck \$c; do \$venv/bin/pip uninstall --quiet --yes pip; done  # nothing installs at run time
echo 'pcicheck:x:65532:65532:pcicheck:/nonexistent:/usr/sbin/nologin' >> /etc/passwd
echo 'pcicheck:x:65532:' >> /etc/group
echo 'pcicheck:!:0::::::' >> /etc/shadow
rm -rf /tmp/wheels /tmp/install.sh
INSTALL
# Documentation goes (copyright files stay: they are the licences); so do logs and caches.
mmdebstrap --mode=root --variant=minbase --format=directory \
  --include=python3,python3-venv,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="cp -a '$work/wheels' '$work/install.sh' \"\$1/tmp/\"" \
  --customize-hook='chroot "$1" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh /tmp/install.sh' \
  --customize-hook="chroot \"\$1\" dpkg-query -W -f '\${Package} \${Version}\n' > '$work/packages.txt'" \
  --customize-hook='rm -rf "$1"/var/log/* "$1"/var/cache/ldconfig/aux-cache "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id' \
  "$SUITE" "$work/rootfs" \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"

step "OCI image $OUT:$TAG"
# One layer, written by GNU tar so that it depends on the files alone: sorted names, every time stamp
# clamped to SOURCE_DATE_EPOCH, numeric owners, no atime/ctime.
tar --create --file="$work/layer.tar" --directory="$work/rootfs" --sort=name --numeric-owner \
  --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime --format=posix \
  --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' .
rm -rf "$OUT"
umoci init --layout "$OUT"
umoci new --image "$OUT:$TAG"
history="--history.created=$created --history.author=pcicheck/image/build.sh"
umoci raw add-layer --image "$OUT:$TAG" $history --history.created_by="mmdebstrap $SUITE + pip (image/build.sh)" "$work/layer.tar"
umoci config --image "$OUT:$TAG" $history --history.created_by="umoci config (image/build.sh)" \
  --created="$created" --author=pcicheck --architecture=amd64 --os=linux \
  --config.user=65532:65532 --config.workingdir=/tmp \
  --config.entrypoint=/opt/pcicheck/bin/pcicheck --config.cmd=--help \
  --config.env=PATH=/opt/pcicheck/bin:/usr/local/bin:/usr/bin:/bin \
  --config.env=HOME=/tmp --config.env=PCICHECK_CACHE=/opt/pcicheck-cache --config.env=PYTHONDONTWRITEBYTECODE=1 \
  --config.label=org.opencontainers.image.title=pcicheck \
  --config.label=org.opencontainers.image.version="$version" \
  --config.label=org.opencontainers.image.revision="$commit" \
  --config.label=org.opencontainers.image.created="$created" \
  --config.label=org.opencontainers.image.licenses=Apache-2.0
umoci gc --layout "$OUT"
cp "$work/packages.txt" "$OUT/debian-packages.txt"

step "smoke test: the unpacked image, as uid 65532 on a read-only root with a tmpfs /tmp"
umoci unpack --image "$OUT:$TAG" "$work/bundle" >/dev/null
root="$work/bundle/rootfs"
mkdir -p "$root/smoke"
git -C "$repo" archive "$commit" fixtures/k8s/sample.yaml fixtures/iac/k8s/bad | tar -x -C "$root/smoke"
unshare --mount --fork sh -eu -c '
  root=$1
  mount --bind "$root" "$root" && mount -o remount,bind,ro "$root"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  run() { chroot --userspec=65532:65532 "$root" env -i HOME=/tmp PCICHECK_CACHE=/opt/pcicheck-cache \
    PATH=/opt/pcicheck/bin:/usr/bin:/bin "$@"; }
  run pcicheck --help | head -3
  run pcicheck version
  set +e
  run pcicheck scan --manifests /smoke/fixtures/k8s/sample.yaml --out /tmp/pack --fail-on critical --quiet
  rc=$?
  [ "$rc" -le 1 ] && [ -s "$root/tmp/pack/index.html" ] || { echo "manifests scan: exit $rc" >&2; exit 1; }
  echo "manifests scan: exit $rc, pack: $(ls "$root/tmp/pack" | tr "\n" " ")"
  run pcicheck iac /smoke/fixtures/iac/k8s/bad --format json --output /tmp/iac.json --quiet
  rc=$?
  [ "$rc" -le 1 ] || { echo "iac scan: exit $rc" >&2; exit 1; }
  printf "iac scan: exit %s, " "$rc"
  run /opt/pcicheck/bin/python -c "import json; d = json.load(open(\"/tmp/iac.json\")); \
c = d[\"snapshot\"][\"request\"][\"iac\"][\"checkov\"]; print(\"Checkov\", c[\"version\"], \"from\", c[\"source\"], c[\"path\"])"
' sh "$root"

digest=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$OUT/index.json")
size=$(du -sb "$OUT/blobs" | cut -f1)
unpacked=$(stat -c %s "$work/layer.tar")
step "done in $(($(date +%s) - started)) s: $OUT:$TAG manifest $digest; $size bytes compressed, $unpacked unpacked (tar); $(wc -l < "$OUT/debian-packages.txt") Debian packages"
echo "$digest"
