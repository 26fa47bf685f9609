#!/usr/bin/env bash
# Runs a command against a local 3-master Redis Cluster (Debian's redis-server and redis-cli),
# with REDIS_CLUSTER_NODES pointing at it, then shuts the cluster down:
#   tools/with-redis-cluster.sh npx jest -c tests/integration/jest.config.js ...
# Ports: REDIS_CLUSTER_BASE_PORT (default 7101) and the next two.
set -euo pipefail
base=${REDIS_CLUSTER_BASE_PORT:-7101}
ports=("$base" "$((base + 1))" "$((base + 2))")
dir=$(mktemp -d)

stop_cluster() {
  for port in "${ports[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap stop_cluster EXIT

for port in "${ports[@]}"; do
  mkdir -p "$dir/$port"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
    --cluster-node-timeout 5000 --save "" --appendonly no --dir "$dir/$port" --daemonize yes \
    --logfile "$dir/$port/redis.log" --maxmemory-policy noeviction
done
for port in "${ports[@]}"; do
  for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
for _ in $(seq 1 100); do
  redis-cli -p "$base" cluster info | grep -q 'cluster_state:ok' && break
  sleep 0.1
done
redis-cli -p "$base" cluster info | grep -q 'cluster_state:ok' || { echo "the Redis Cluster did not form" >&2; exit 1; }
echo "Redis Cluster up on ${ports[*]}"

export REDIS_CLUSTER_NODES
REDIS_CLUSTER_NODES=$(printf '127.0.0.1:%s,' "${ports[@]}" | sed 's/,$//')
"$@"
