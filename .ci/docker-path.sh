#!/usr/bin/env bash
# The Docker path, exercised for real (issue 11): a local engine with stand-in images
# (../shared/docker-offline), `compose up --build` with a SCIM write through it and Prometheus
# scraping all three services, then the integration suites through testcontainers (no
# DATABASE_URL / REDIS_URL). Everything is removed at the end, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

kit=../shared/docker-offline
if [ ! -x "$kit/ensure-docker" ]; then echo "missing $kit/ensure-docker" >&2; exit 1; fi
# postgres:15-alpine is what testcontainers runs (the DATABASE_URL path's major version);
# postgres:17-alpine is compose's.
images="postgres=postgres:17-alpine+postgres:15-alpine,redis=redis:7-alpine,node=node:24-slim"
images+=",sinks=jaegertracing/jaeger:2.21.0+axllent/mailpit:v1.26,prometheus=prom/prometheus:v3.5.0"
eval "$("$kit/ensure-docker" --print-env --images "$images")"

project=scimflow-ci-$$
compose() { COMPOSE_PROJECT_NAME=$project "$kit/compose" "$@"; }
cleanup() {
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  "$kit/stop-docker" >/dev/null 2>&1 || true
}
trap cleanup EXIT

started=$SECONDS
compose up -d --build --wait
echo "docker-path: compose up --build healthy after $((SECONDS - started)) s"
node tools/compose-smoke.mjs http://127.0.0.1:8080 http://127.0.0.1:9090 "${ADMIN_TOKEN:-change-me-local-admin-token}"
compose down -v --remove-orphans

started=$SECONDS
env -u DATABASE_URL -u REDIS_URL npx jest -c tests/integration/jest.config.js
echo "docker-path: integration suites through testcontainers in $((SECONDS - started)) s"
