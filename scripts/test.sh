#!/usr/bin/env bash
# `npm test`: lint, typecheck, unit, integration (embedded PostgreSQL, then Debian's PostgreSQL 15
# through DATABASE_URL), the docker-compose file check, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# Each suite also writes a JSON report; the totals are printed at the end.
reports=test-results/reports
rm -rf "$reports" && mkdir -p "$reports"
suite() {
  local name=$1
  shift
  npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/$name.json" "$@"
}

# Whatever the tests write to the temporary directory (embedded PostgreSQL clusters, the apps' data
# directories of the browser tests, browser profiles, exports) goes under one directory of this run,
# removed however the run ends: a run killed or failed half way used to leave 300-500 MB per app (and
# sometimes its PostgreSQL running) in /tmp, until a later run found the disk full. Such leftovers of
# earlier runs, whose shell is gone, are removed first, and so are Podman peers whose service died.
remove_scratch() {
  local dir=$1
  # Servers started inside it (PostgreSQL names its data directory on its command line).
  pkill -TERM -f -- "$dir/" 2>/dev/null || true
  for _ in $(seq 1 50); do pgrep -f -- "$dir/" >/dev/null || break; sleep 0.1; done
  pkill -KILL -f -- "$dir/" 2>/dev/null || true
  rm -rf "$dir"
}
for old in /tmp/fleetlens-test-*; do
  [ -d "$old" ] || continue
  owner=$(cat "$old/.owner" 2>/dev/null || true)
  if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
  remove_scratch "$old"
done
for old in /tmp/fleetlens-podman-*; do
  [ -d "$old" ] || continue
  service=$(cat "$old/podman.pid" 2>/dev/null || true)
  if [ -n "$service" ] && kill -0 "$service" 2>/dev/null; then continue; fi
  bash tests/peers/podman.sh stop "$old" || true
done
TMPDIR=$(mktemp -d /tmp/fleetlens-test-XXXXXX)
export TMPDIR
chmod 755 "$TMPDIR"
echo $$ >"$TMPDIR/.owner"
pg15_dir=""
finish() {
  if [ -n "$pg15_dir" ]; then bash tests/peers/postgres15.sh stop "$pg15_dir" || true; fi
  remove_scratch "$TMPDIR"
}
trap finish EXIT

step "Debian packages for the tests"
bash scripts/install-test-deps.sh

step "lint"
npm run --silent lint
step "typecheck"
npm run --silent typecheck
step "unit tests"
suite unit --project unit
step "integration tests (embedded PostgreSQL)"
(unset DATABASE_URL; suite integration-embedded --project integration)

step "integration tests (Debian PostgreSQL 15 through DATABASE_URL)"
read -r pg15_url pg15_dir < <(bash tests/peers/postgres15.sh start)
DATABASE_URL="$pg15_url" suite integration-pg15 --project integration
bash tests/peers/postgres15.sh stop "$pg15_dir"
pg15_dir=""

step "browser tests (Chromium)"
(unset DATABASE_URL; suite e2e --project e2e)

# The totals decide the exit code, not only vitest's: a suite whose process exits 0 after failed
# tests (an exit hook of a dependency) must still fail the run, and so must a suite without a report.
node -e '
  const fs = require("fs");
  const expected = ["unit", "integration-embedded", "integration-pg15", "e2e"];
  let passed = 0, failed = 0, skipped = 0;
  const missing = expected.filter((name) => !fs.existsSync(`${process.argv[1]}/${name}.json`));
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${f}`, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
    if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) failed += r.numFailedTestSuites;
  }
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (missing.length > 0) console.log(`no report from: ${missing.join(", ")}`);
  process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
' "$reports"
