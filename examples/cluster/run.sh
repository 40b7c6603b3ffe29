#!/usr/bin/env bash
# Three isoedge nodes on one JetStream server behind nginx, all on loopback. With the default ports:
#   nginx :18100 (edge) and :18200 (admin) → nodes a, b, c (edge 18101-18103, admin 18201-18203) → nats-server :4222
# CLUSTER_PORT_BASE=N moves them all: edge N (nginx), N+1..N+3 (nodes), admin N+100 (nginx), N+101..N+103;
# NATS_PORT moves nats-server. The configs it runs are nginx.conf and nats.conf with those ports, written to
# tmp/N/ (with the data: each start begins empty); logs go to logs/N/.
# Needs nats-server and nginx (apt-get install -y nats-server nginx). Ctrl-C (or SIGTERM) stops everything.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
NODE="$ROOT/node_modules/.bin/node"
BASE=${CLUSTER_PORT_BASE:-18100}
NATS_PORT=${NATS_PORT:-4222}
port() { [[ $2 =~ ^[0-9]+$ ]] && (( $2 >= 1 && $2 <= $3 )) || { echo "run.sh: $1=$2: want a port number from 1 to $3" >&2; exit 2; }; }
port CLUSTER_PORT_BASE "$BASE" $((65535 - 103))
port NATS_PORT "$NATS_PORT" 65535
EDGE=$BASE ADMIN=$((BASE + 100))
STATE="$PWD/tmp/$BASE" LOGS="$PWD/logs/$BASE"

listening() { (: < "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$NATS_PORT" $(seq "$EDGE" $((EDGE + 3))) $(seq "$ADMIN" $((ADMIN + 3))); do
  if listening "$p"; then echo "run.sh: something already listens on 127.0.0.1:$p (another run.sh?); set CLUSTER_PORT_BASE / NATS_PORT" >&2; exit 1; fi
done

rm -rf "$STATE"
mkdir -p "$STATE" "$LOGS"
# The checked-in configs with this run's ports (`;t` ends a line's substitutions at its first, so a
# port that is renamed is not renamed again by the next rule) and the JetStream data under tmp/.
ports=()
for i in 0 1 2 3; do
  ports+=(-e "s/127\\.0\\.0\\.1:$((18100 + i))\\b/127.0.0.1:$((EDGE + i))/;t" -e "s/127\\.0\\.0\\.1:$((18200 + i))\\b/127.0.0.1:$((ADMIN + i))/;t")
done
sed "${ports[@]}" nginx.conf > "$STATE/nginx.conf"
sed -e "s/127\\.0\\.0\\.1:4222\\b/127.0.0.1:$NATS_PORT/" -e "s|\"\\./nats-data\"|\"$STATE/nats-data\"|" nats.conf > "$STATE/nats.conf"

pids=()
names=()
cleanup() { trap - EXIT INT TERM; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start() { names+=("$1"); shift; "$@" & pids+=($!); }
# Runs its arguments until they succeed; fails with the log of a process that exited meanwhile, or after 60 s.
until_up() {
  local deadline=$((SECONDS + 60)) i
  until "$@"; do
    for i in "${!pids[@]}"; do
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "run.sh: ${names[$i]} exited; the end of $LOGS/${names[$i]}.log:" >&2; tail -n 20 "$LOGS/${names[$i]}.log" >&2; exit 1
      fi
    done
    if (( SECONDS > deadline )); then echo "run.sh: not up after 60 s ($*); logs in $LOGS" >&2; exit 1; fi
    sleep 0.2
  done
}

start nats nats-server -c "$STATE/nats.conf" > "$LOGS/nats.log" 2>&1
until_up listening "$NATS_PORT"
for i in 1 2 3; do
  name=$(printf "\\x$(printf %x $((96 + i)))")   # a, b, c
  start "node-$name" "$NODE" --no-node-snapshot "$ROOT/src/main.ts" serve --store "nats://127.0.0.1:$NATS_PORT" --node-name "$name" \
    --edge-port $((EDGE + i)) --admin-port $((ADMIN + i)) --data-dir "$STATE/node-$name" --examples false --log-level warn \
    > "$LOGS/node-$name.log" 2>&1
done
# -p: nginx's pid file and temporary files go to tmp/N/; -e: its startup messages to stderr, not /var/log.
start nginx nginx -p "$STATE/" -c nginx.conf -e stderr > "$LOGS/nginx.log" 2>&1
for i in 1 2 3; do until_up curl -sf -o /dev/null "http://127.0.0.1:$((ADMIN + i))/readyz"; done
until_up curl -sf -o /dev/null "http://127.0.0.1:$ADMIN/readyz"
echo "cluster up: edge http://127.0.0.1:$EDGE  admin http://127.0.0.1:$ADMIN  (nodes a, b, c; nats 127.0.0.1:$NATS_PORT; logs in $LOGS)"
# Not `wait -n`: one node stopping (try `pkill -f 'node-name b'`) leaves the others, and nginx, serving.
wait
