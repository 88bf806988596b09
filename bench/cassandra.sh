#!/usr/bin/env bash
# Cassandra benchmark: how long Coffer takes to give you a Cassandra node that answers CQL
# (POST /instances until ACTIVE) and a ring of three (POST /clusters until its task is NONE and
# every member ACTIVE), next to Cassandra's own start-up time as its log tells it (from its first
# log line to "Starting listening for CQL clients"), and the memory (RSS) of every node's JVM.
#
#   bench/cassandra.sh               start a private Coffer server, measure, stop it
#   bench/cassandra.sh --running     measure against the server of `./coffer up --background`
#   options: -n RUNS (3, single node; the ring is built once)  --flavor ID (3)
#            --output FILE (docs/benchmarks.md)
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

RUNS=3
MODE=own # own | running
OUTPUT=$ROOT/docs/benchmarks.md
FLAVOR=3 # m1.medium: 1 GB, the heap is half of it

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

while [[ $# -gt 0 ]]; do
  case $1 in
    -n | --runs)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "-n needs a positive number of runs."
      RUNS=$2
      shift
      ;;
    --flavor)
      [[ -n ${2:-} ]] || die "--flavor needs a flavor id."
      FLAVOR=$2
      shift
      ;;
    --output)
      [[ -n ${2:-} ]] || die "--output needs a file name."
      OUTPUT=$(readlink -m "$2")
      shift
      ;;
    --running) MODE=running ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown option: $1" ;;
  esac
  shift
done

bench_init
if [[ $MODE == own ]]; then
  start_own_server
fi
connect

reply=$(api GET /datastores/cassandra)
[[ ${reply##*$'\n'} == 200 ]] || die "this Coffer has no cassandra datastore (build the runtime:
       mvn -B package -pl cassandra-runtime, then restart the server)."

# rss_mb MEMBER_ID: the resident memory of the member's Cassandra JVM, in MB.
rss_mb() {
  local dir=$SERVER_HOME/instances/$1 proc
  for proc in /proc/[0-9]*; do
    if tr '\0' ' ' <"$proc/cmdline" 2>/dev/null | grep -q "CassandraDaemon" &&
      tr '\0' ' ' <"$proc/cmdline" 2>/dev/null | grep -qF "$dir/"; then
      awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "$proc/status"
      return 0
    fi
  done
  echo '?'
}

# own_start_seconds MEMBER_ID: Cassandra's own start-up time from its system.log.
own_start_seconds() {
  local log=$SERVER_HOME/instances/$1/log/system.log
  python3 - "$log" <<'EOF'
import re, sys, datetime
stamps = []
ready = None
pattern = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.]\d{3})")
try:
    lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
except OSError:
    print("?"); sys.exit(0)
def parse(s):
    return datetime.datetime.strptime(s.replace("T", " ").replace(",", "."), "%Y-%m-%d %H:%M:%S.%f")
first = None
for line in lines:
    m = pattern.search(line)
    if not m:
        continue
    if first is None:
        first = parse(m.group(1))
    if "Starting listening for CQL clients" in line:
        ready = parse(m.group(1))
        break
print("?" if first is None or ready is None else f"{(ready - first).total_seconds():.2f}")
EOF
}

single_samples=()
own_samples=()
single_rss=()
for ((run = 1; run <= RUNS; run++)); do
  started=$(now)
  split_reply "$(api POST /instances "{\"instance\":{\"name\":\"bench-cass-$run\",\"flavorRef\":\"$FLAVOR\",\"volume\":{\"size\":1},\"datastore\":{\"type\":\"cassandra\"}}}")"
  [[ $REPLY_CODE == 200 ]] || die "create answered HTTP $REPLY_CODE: $REPLY_BODY"
  id=$(printf '%s' "$REPLY_BODY" | json_field instance.id)
  CREATED_INSTANCES+=("$id")
  await_status "/instances/$id" instance.status ACTIVE 600 || die "the node did not become ACTIVE."
  single_samples+=("$(seconds_between "$started" "$(now)")")
  own_samples+=("$(own_start_seconds "$id")")
  single_rss+=("$(rss_mb "$id")")
  say "bench: single node run $run/$RUNS: Coffer ${single_samples[-1]}s (Cassandra's own start ${own_samples[-1]}s, RSS ${single_rss[-1]} MB)"
  delete_instance "$id" || die "could not delete the node."
done

# A ring of three, built once.
started=$(now)
nodes='{"flavorRef":"'$FLAVOR'","volume":{"size":1}}'
split_reply "$(api POST /clusters "{\"cluster\":{\"name\":\"bench-ring\",\"datastore\":{\"type\":\"cassandra\"},\"instances\":[$nodes,$nodes,$nodes]}}")"
[[ $REPLY_CODE == 200 ]] || die "cluster create answered HTTP $REPLY_CODE: $REPLY_BODY"
cluster=$(printf '%s' "$REPLY_BODY" | json_field cluster.id)
deadline=$((SECONDS + 900))
while :; do
  split_reply "$(api GET "/clusters/$cluster")"
  ready=$(printf '%s' "$REPLY_BODY" | python3 -c '
import json, sys
c = json.load(sys.stdin)["cluster"]
if "fault" in c: print("fault: " + c["fault"].get("message", "")); sys.exit()
print("yes" if c["task"]["name"] == "NONE" and c.get("status") == "ACTIVE" else "no")')
  [[ $ready == yes ]] && break
  [[ $ready != fault* ]] || die "the ring failed: $ready"
  ((SECONDS < deadline)) || die "the ring was not ACTIVE after 900 s."
  sleep 0.5
done
ring_seconds=$(seconds_between "$started" "$(now)")
mapfile -t members < <(printf '%s' "$REPLY_BODY" | python3 -c '
import json, sys
for i in json.load(sys.stdin)["cluster"]["instances"]: print(i["id"])')
ring_rss=()
for m in "${members[@]}"; do
  ring_rss+=("$(rss_mb "$m")")
done
say "bench: ring of three: Coffer ${ring_seconds}s, RSS ${ring_rss[*]} MB"
reply=$(api DELETE "/clusters/$cluster")
[[ ${reply##*$'\n'} == 202 ]] || say "bench: the ring could not be deleted: ${reply%$'\n'*}"
for m in "${members[@]}"; do
  wait_instance_gone "$m" || say "bench: member $m was not gone in time."
done

report=$BENCH_DIR/cassandra.md
{
  echo "## Cassandra: time to a node and to a ring"
  echo
  echo "Generated by \`bench/cassandra.sh\` on $(date -u +%Y-%m-%d) ($(coffer_line)); flavor $FLAVOR."
  machine_line
  echo "- Cassandra $(printf '%s' "$(api GET /datastores/cassandra)" | python3 -c '
import json, sys
text = sys.stdin.read().rsplit("\n", 1)[0]
vs = json.loads(text)["datastore"].get("versions", [])
print(", ".join(v["name"] for v in vs) or "?")') from the cassandra-runtime module, one JVM per node"
  echo
  echo "| what | Coffer (POST until ACTIVE), median of runs | runs | Cassandra's own start (log), median | RSS per node |"
  echo "|---|---|---|---|---|"
  echo "| one node | $(median "${single_samples[@]}") s | ${single_samples[*]} | $(median "${own_samples[@]}") s | ${single_rss[*]} MB |"
  echo "| ring of three | $ring_seconds s | 1 run | – | ${ring_rss[*]} MB |"
  echo
  echo "Cassandra's own start counts from its first log line to \"Starting listening for CQL"
  echo "clients\"; Coffer's time adds placing the instance (volume, agent JVM), the agent's"
  echo "configuration, the wait for a CQL login and the replacement of the default superuser by the"
  echo "agent's own role. A ring starts its members one at a time (Cassandra refuses concurrent"
  echo "bootstraps), then raises \`system_auth\`'s replication and repairs it."
} >"$report"
cat "$report"
write_section "$OUTPUT" cassandra "$report"
say "bench: results written to the section 'cassandra' of $OUTPUT"
