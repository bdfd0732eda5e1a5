#!/usr/bin/env bash
# `npm test`: lint, typecheck, unit, integration (embedded PostgreSQL, then Debian's PostgreSQL 15
# through DATABASE_URL), the docker-compose file check, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "Debian packages for the tests"
bash scripts/install-test-deps.sh

step "lint"
npm run --silent lint
step "typecheck"
npm run --silent typecheck
step "unit tests"
npx vitest run --project unit
step "integration tests (embedded PostgreSQL)"
env -u DATABASE_URL npx vitest run --project integration

step "integration tests (Debian PostgreSQL 15 through DATABASE_URL)"
read -r pg15_url pg15_dir < <(bash tests/peers/postgres15.sh start)
trap 'bash tests/peers/postgres15.sh stop "$pg15_dir"' EXIT
DATABASE_URL="$pg15_url" npx vitest run --project integration
bash tests/peers/postgres15.sh stop "$pg15_dir"
trap - EXIT

step "browser tests (Chromium)"
env -u DATABASE_URL npx vitest run --project e2e
