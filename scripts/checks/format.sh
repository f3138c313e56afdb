#!/usr/bin/env bash
# The Swift sources are formatted with the repository's .swift-format: formatting a copy of
# them changes nothing. `make format` applies it. Prints the differences and exits 1 otherwise.
set -euo pipefail
ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
FORMAT="$(command -v swift-format || true)"
[ -n "$FORMAT" ] || FORMAT="$(dirname "$(readlink -f "$(command -v swift)")")/swift-format"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cp -r "$ROOT/Sources" "$ROOT/Tests" "$ROOT/Package.swift" "$ROOT/.swift-format" "$TMP/"
rm -rf "$TMP/Tests/Fixtures"
(cd "$TMP" && "$FORMAT" format --parallel -i -r Sources Tests Package.swift)
status=0
diff -ru "$ROOT/Sources" "$TMP/Sources" || status=1
diff -ru -x Fixtures "$ROOT/Tests" "$TMP/Tests" || status=1
diff -u "$ROOT/Package.swift" "$TMP/Package.swift" || status=1
if [ "$status" -eq 0 ]; then echo "format: every Swift file is formatted"; else echo "format: run \`make format\`"; fi
exit "$status"
