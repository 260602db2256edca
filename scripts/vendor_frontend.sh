#!/usr/bin/env bash
# Re-vendor the pinned front-end packages from the npm registry (needs node/npm; run by hand
# when upgrading, never at install time). GOV.UK Frontend is used without the GOV.UK
# typeface and crown, which are reserved for GOV.UK: the @font-face rules are stripped so
# pages fall back to the system sans-serif, and the crest and font files are not copied.
set -euo pipefail
GOVUK_FRONTEND=5.14.0
HTMX=2.0.7
AXE_CORE=4.11.0
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$GOVUK_FRONTEND" "htmx.org@$HTMX" "axe-core@$AXE_CORE" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
static="$root/src/wraparound/core/static/vendor"
rm -rf "$static" && mkdir -p "$static/htmx"
gf="govuk-frontend-$GOVUK_FRONTEND/package/dist/govuk"
python3 - "$gf/govuk-frontend.min.css" "$static/govuk-frontend/govuk-frontend.min.css" <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css = re.sub(r"@font-face\{[^}]*\}", "", css)
css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
open(sys.argv[2], "w", encoding="utf-8").write(css)
PY
cp "$gf/govuk-frontend.min.js" "$static/govuk-frontend/"
sed -i 's|//# sourceMappingURL=.*||' "$static/govuk-frontend/govuk-frontend.min.js"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$static/htmx/"
grep -m1 "\"license\"" "govuk-frontend-$GOVUK_FRONTEND/package/package.json" > "$static/govuk-frontend/LICENSE.txt"
cp "htmx.org-$HTMX/package/LICENSE" "$static/htmx/LICENSE"
axe="$root/tests/browser/vendor"
mkdir -p "$axe" && cp "axe-core-$AXE_CORE/package/axe.min.js" "$axe/" && cp "axe-core-$AXE_CORE/package/LICENSE" "$axe/LICENSE-axe-core"
printf 'govuk-frontend %s\nhtmx.org %s\n' "$GOVUK_FRONTEND" "$HTMX" > "$static/VERSIONS"
printf 'axe-core %s\n' "$AXE_CORE" > "$axe/VERSION"
echo "vendored govuk-frontend $GOVUK_FRONTEND, htmx $HTMX, axe-core $AXE_CORE"
