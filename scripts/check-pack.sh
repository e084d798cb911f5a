#!/usr/bin/env bash
# Proves that the package a user installs carries the same patched drivers the tests ran.
#
# postgres and kysely-postgres-js are patched with patch-package (patches/), and they are
# bundleDependencies: `npm pack` copies them, patched, out of node_modules into the tarball.
# This script packs, installs the tarball into a fresh directory with its own package.json
# (as a user would), and checks that the installed copies carry the patch lines and are the
# ones chronos resolves. Takes about a minute; not part of `npm test`.
#
#   scripts/check-pack.sh            pack, install, check
#   scripts/check-pack.sh --run      also start the installed chronosd and GET /healthz
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/chronos-check-pack.XXXXXX")
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "check-pack: FAIL: $*" >&2; exit 1; }

cd "$root"
# The checkout's node_modules must be patched before packing (postinstall does it; re-run
# it so a stale node_modules cannot slip an unpatched copy into the tarball).
npx --no-install patch-package >/dev/null
# npm pack runs `prepare` (the build) first; a build error stops here.
npm pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { tail -n 30 "$work/pack.log" >&2; fail "npm pack failed"; }
tgz=$(cd "$work" && ls chronosd-*.tgz 2>/dev/null | head -n 1)
[ -n "$tgz" ] || { tail -n 30 "$work/pack.log" >&2; fail "npm pack produced no tarball"; }
grep -q "bundled deps: 2" "$work/pack.log" || fail "npm pack did not bundle postgres and kysely-postgres-js"
echo "check-pack: packed $tgz"

for f in node_modules/postgres/src/connection.js node_modules/postgres/src/index.js \
         node_modules/postgres/cjs/src/connection.js node_modules/postgres/cjs/src/index.js \
         node_modules/kysely-postgres-js/dist/index.js node_modules/kysely-postgres-js/dist/index.cjs; do
  tar -xzOf "$work/$tgz" "package/$f" >/dev/null 2>&1 || fail "tarball lacks $f"
done

mkdir "$work/app"
cd "$work/app"
echo '{ "name": "check-pack-app", "version": "1.0.0", "private": true }' > package.json
npm install --silent --no-audit --no-fund "$work/$tgz" >/dev/null
echo "check-pack: installed into $work/app"

pkg=node_modules/chronosd/node_modules
check() { # file, pattern, expected count
  local n
  n=$(grep -c -- "$2" "$1" || true)
  [ "$n" -eq "$3" ] || fail "$1: expected $3 lines matching '$2', found $n"
  echo "check-pack: ok  $1: $n x '$2'"
}
check "$pkg/postgres/src/connection.js" "chronos patch" 3
check "$pkg/postgres/src/index.js" "chronos patch" 3
check "$pkg/postgres/cjs/src/connection.js" "chronos patch" 3
check "$pkg/postgres/cjs/src/index.js" "chronos patch" 3
check "$pkg/kysely-postgres-js/dist/index.js" "prepare: true" 1
check "$pkg/kysely-postgres-js/dist/index.cjs" "prepare: true" 1

# The patched copies must be the ones chronos loads, not some other copy up the tree.
resolved=$(cd node_modules/chronosd && node --input-type=module -e \
  "console.log(import.meta.resolve('postgres') + ' ' + import.meta.resolve('kysely-postgres-js'))")
case "$resolved" in
  *"/chronosd/node_modules/postgres/"*" "*"/chronosd/node_modules/kysely-postgres-js/"*) ;;
  *) fail "chronosd resolves the drivers elsewhere: $resolved" ;;
esac
echo "check-pack: ok  chronosd resolves the bundled drivers"

if [ "${1:-}" = "--run" ]; then
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  # As root the embedded PostgreSQL runs as the postgres user, which must reach the data dir.
  chmod 755 "$work"
  ./node_modules/.bin/chronosd --port "$port" --data-dir "$work/data" >"$work/chronosd.log" 2>&1 &
  daemon=$!
  for _ in $(seq 1 60); do
    body=$(curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null) && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 1
  done
  [ -n "${body:-}" ] || { tail -n 20 "$work/chronosd.log" >&2; fail "the installed chronosd did not answer /healthz"; }
  echo "check-pack: ok  installed chronosd /healthz: $body"
fi

echo "check-pack: PASS"
