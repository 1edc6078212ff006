#!/bin/sh
# Regenerates the patch files: a `diff -ruN` of the patched files against the
# pristine module (Go module cache copy), one file per patch. Run from
# anywhere.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
pristine=${PRISTINE:-$(go env GOMODCACHE)/github.com/tetratelabs/wazero@v1.12.0}

# make_patch NAME FILE...: writes patches/NAME.diff.
make_patch() {
	name=$1
	shift
	tmp=$(mktemp -d)
	for f in "$@"; do
		mkdir -p "$tmp/a/$(dirname "$f")" "$tmp/b/$(dirname "$f")"
		[ -f "$pristine/$f" ] && cp "$pristine/$f" "$tmp/a/$f"
		cp "$here/$f" "$tmp/b/$f"
	done
	(cd "$tmp" && diff -ruN a b) > "$here/patches/$name.diff" || [ $? -eq 1 ]
	rm -rf "$tmp"
	echo "wrote $here/patches/$name.diff"
}

make_patch no-watcher internal/wasm/module_instance.go
make_patch loop-check \
	internal/engine/wazevo/call_engine.go \
	internal/engine/wazevo/engine_cache.go \
	internal/engine/wazevo/wazevo_test.go \
	internal/engine/wazevo/frontend/frontend.go \
	internal/engine/wazevo/frontend/frontend_test.go \
	internal/engine/wazevo/frontend/lower.go \
	internal/engine/wazevo/wazevoapi/offsetdata.go
