#!/bin/sh
# Runs upstream wazero's own tests (spec tests, engine integration tests,
# fuzz regressions, which this trimmed copy does not carry) against the
# loop-check patch, with WithCloseOnContextDone forced on for every compiler
# runtime and the check interval at 1 (the check block taken on every
# iteration: upstream's behaviour through the patched code shape), 2 and the
# default 1024. It copies the pristine module from the Go module cache,
# overlays this copy's patched files and patches/verify-hooks.diff (two
# test-only environment hooks: WZ_FORCE_TERM, WZ_INTERVAL), and runs
# `go test` there. About a minute per interval on 2 cores.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
pristine=${PRISTINE:-$(go env GOMODCACHE)/github.com/tetratelabs/wazero@v1.12.0}
if [ ! -d "$pristine/internal/integration_test/spectest" ]; then
	(cd "$here" && go mod download github.com/tetratelabs/wazero@v1.12.0) || true
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$pristine/." "$work/"
chmod -R u+w "$work"
for f in $(sed -n 's/^+++ b\/\([^[:space:]]*\).*/\1/p' "$here"/patches/no-watcher.diff "$here"/patches/loop-check.diff); do
	cp "$here/$f" "$work/$f"
done
(cd "$work" && patch -s -p1 < "$here/patches/verify-hooks.diff")
pkgs="./internal/integration_test/spectest/... ./internal/integration_test/engine/... ./internal/integration_test/fuzzcases/... ./internal/engine/wazevo/"
for interval in 1 2 1024; do
	echo "== WithCloseOnContextDone forced on, check interval $interval"
	(cd "$work" && WZ_FORCE_TERM=1 WZ_INTERVAL=$interval go test -count=1 $pkgs)
done
