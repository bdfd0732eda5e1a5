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
trap 'bash tests/peers/postgres15.sh stop "$pg15_dir"' EXIT
DATABASE_URL="$pg15_url" suite integration-pg15 --project integration
bash tests/peers/postgres15.sh stop "$pg15_dir"
trap - EXIT

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
