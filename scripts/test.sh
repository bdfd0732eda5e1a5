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

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${f}`, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$reports"
