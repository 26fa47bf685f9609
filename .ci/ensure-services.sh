#!/usr/bin/env bash
# Starts the machine's Postgres and Redis when they don't answer (they are Debian services here,
# and there is no Docker engine for testcontainers). Waits until both accept connections.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi

for _ in $(seq 1 60); do
  if pg_up && redis_up; then echo "postgres and redis are up"; exit 0; fi
  sleep 1
done
echo "postgres or redis did not come up" >&2
exit 1
