#!/bin/sh
# Regenerates the patch file: a `diff -ruN` of the patched files against the
# pristine module (Go module cache copy). Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
pristine=${PRISTINE:-$(go env GOMODCACHE)/github.com/tetratelabs/wazero@v1.12.0}
files="
internal/wasm/module_instance.go
"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $files; do
	mkdir -p "$tmp/a/$(dirname "$f")" "$tmp/b/$(dirname "$f")"
	[ -f "$pristine/$f" ] && cp "$pristine/$f" "$tmp/a/$f"
	cp "$here/$f" "$tmp/b/$f"
done
(cd "$tmp" && diff -ruN a b) > "$here/patches/no-watcher.diff" || [ $? -eq 1 ]
echo "wrote $here/patches/no-watcher.diff"
