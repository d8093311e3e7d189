#!/usr/bin/env bash
# A local cluster to try cluster mode (docs/operations.md, "A cluster of nodes"): a
# 3-member etcd and 3 ipledgerd nodes on 127.0.0.1, all under ./var/cluster/.
#
#   tools/cluster.sh          build (if needed), initialize the first time, start all six
#   tools/cluster.sh status   each node's /readyz
#   tools/cluster.sh restore nN [nM]   restore node nN from an online backup of node nM
#                             (default n1), as docs/operations.md says for a node left
#                             behind the batches etcd keeps; then start it again
#   tools/cluster.sh stop     stop the nodes, then etcd (by the pids this script saved)
#
# etcd members listen for clients on 127.0.0.1:23791-23793 (peers 23801-23803); the nodes
# on http://127.0.0.1:8091-8093 (cluster "local", nodes n1-n3). Every node starts from a
# copy of one `ipledger init` directory, as in production. Try: kill the leader (its pid
# is in var/cluster/nN.pid) and watch another node take over within the lease (3 s).
# IPLEDGER_BUILD (default build/dev) names the build tree to use.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${IPLEDGER_BUILD:-build/dev}
dir=var/cluster
etcd_clients="http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793"

status() {
  for i in 1 2 3; do
    printf 'n%s http://127.0.0.1:809%s/readyz  ' "$i" "$i"
    curl -s --max-time 2 "http://127.0.0.1:809$i/readyz" || printf 'unreachable'
    echo
  done
}

stop_pidfile() {  # stop_pidfile FILE: SIGTERM the saved pid, if it still runs
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

case "${1:-start}" in
  status) status; exit 0 ;;
  restore)
    node=${2:?usage: tools/cluster.sh restore nN [nM]} from=${3:-n1}
    [ "$node" != "$from" ] && [ -d "$dir/$node" ] && [ -d "$dir/$from" ] ||
      { echo "cluster.sh: restore needs two different nodes of $dir" >&2; exit 2; }
    stop_pidfile "$dir/$node.pid"
    rm -rf "$dir/$node.restore"
    "$build/tools/ipledger" backup --data-dir "$dir/$from" --out "$dir/$node.restore"
    rm -rf "$dir/$node.old" && mv "$dir/$node" "$dir/$node.old" && mv "$dir/$node.restore" "$dir/$node"
    echo "cluster.sh: $node restored from $from (the old directory is $dir/$node.old); starting it" ;;
  stop)
    for i in 1 2 3; do stop_pidfile "$dir/n$i.pid"; done
    for i in 1 2 3; do stop_pidfile "$dir/etcd$i.pid"; done
    echo "cluster.sh: stopped"; exit 0 ;;
  start) ;;
  -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "cluster.sh: unknown command '$1' (try --help)" >&2; exit 2 ;;
esac

command -v etcd >/dev/null || tools/deps.sh
if [ ! -x "$build/tools/ipledgerd" ] || [ ! -x "$build/tools/ipledger" ]; then
  cmake --preset "$(basename "$build")" -G Ninja >/dev/null
  cmake --build "$build" -j"$(nproc)" --target ipledger ipledgerd
fi
mkdir -p "$dir"

# etcd: three members of one etcd cluster.
initial="e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803"
for i in 1 2 3; do
  if [ -f "$dir/etcd$i.pid" ] && kill -0 "$(cat "$dir/etcd$i.pid")" 2>/dev/null; then continue; fi
  etcd --name "e$i" --data-dir "$dir/etcd$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$initial" --initial-cluster-token ipledger-local \
    >"$dir/etcd$i.log" 2>&1 &
  echo $! >"$dir/etcd$i.pid"
done
for _ in $(seq 100); do
  curl -s --max-time 1 -X POST -d '{"key":"AA=="}' http://127.0.0.1:23791/v3/kv/range | grep -q header && break
  sleep 0.2
done

# One data directory, copied to every node the first time.
if [ ! -d "$dir/n1" ]; then
  "$build/tools/ipledger" init --data-dir "$dir/n1" --origin localhost/ipledger-cluster
  cp -a "$dir/n1" "$dir/n2"
  cp -a "$dir/n1" "$dir/n3"
fi
for i in 1 2 3; do
  if [ -f "$dir/n$i.pid" ] && kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null; then continue; fi
  "$build/tools/ipledgerd" --data-dir "$dir/n$i" --listen "127.0.0.1:809$i" \
    --etcd "$etcd_clients" --cluster local --node "n$i" --advertise "http://127.0.0.1:809$i" \
    >"$dir/n$i.out" 2>"$dir/n$i.log" &
  echo $! >"$dir/n$i.pid"
done
sleep 2
status
cat <<MSG
cluster.sh: etcd on 127.0.0.1:23791-23793, nodes on http://127.0.0.1:8091-8093 ($dir/).
  Writes go to any node (a follower answers 307 to the leader; curl -L follows it);
  registry key for the genesis participant: $dir/n1/registry.key.
  tools/cluster.sh status | tools/cluster.sh stop
MSG
