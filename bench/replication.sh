#!/usr/bin/env bash
# Replication benchmark: for each engine, a primary and a replica behind the set's stable primary
# endpoint, with a client writing through it the whole time (a new connection per write, with the
# engine's own client). Measures how long writes are refused during a planned switchover (and how
# long the API call takes), and, with automatic failover on, how long after SIGKILL of the primary's
# engine and agent a write succeeds again (RTO) and how many acknowledged writes were lost.
#
#   bench/replication.sh                 start a private Coffer server, measure, stop it
#   bench/replication.sh --running       measure against the server of `./coffer up --background`
#   options: -n RUNS (3)  --engines mariadb,postgresql,redis  --failover-after SECONDS (5)
#            --output FILE (docs/benchmarks.md)
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

RUNS=3
ENGINES=(mariadb postgresql redis)
MODE=own # own | running
OUTPUT=$ROOT/docs/benchmarks.md
FAILOVER_AFTER=5
PASSWORD=Bench-pass-1

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

while [[ $# -gt 0 ]]; do
  case $1 in
    -n | --runs)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "-n needs a positive number of runs."
      RUNS=$2
      shift
      ;;
    --engines)
      IFS=, read -r -a ENGINES <<<"${2:-}"
      [[ ${#ENGINES[@]} -gt 0 ]] || die "--engines needs a list such as mariadb,postgresql,redis."
      shift
      ;;
    --failover-after)
      [[ ${2:-} =~ ^[0-9]+$ && ${2:-0} -ge 2 ]] || die "--failover-after needs a number of seconds >= 2."
      FAILOVER_AFTER=$2
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

for engine in "${ENGINES[@]}"; do
  case $engine in
    mariadb | postgresql | redis) ;;
    *) die "unknown engine '$engine' (known: mariadb, postgresql, redis)." ;;
  esac
done

# ---- one write with the engine's own client ------------------------------------------------------

# write_once ENGINE HOST PORT N: exit 0 only if the engine acknowledged the write of N. Passwords go
# through the clients' environment variables, never on a command line.
write_once() {
  local engine=$1 host=$2 port=$3 n=$4 out
  case $engine in
    mariadb)
      MYSQL_PWD=$PASSWORD timeout 5 mariadb --no-defaults --protocol=tcp --host="$host" --port="$port" \
        --user=app --connect-timeout=1 bench -e "insert into t values ($n)" >/dev/null 2>&1
      ;;
    postgresql)
      PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=1 timeout 5 "$PG_BIN/psql" -X -q -h "$host" -p "$port" \
        -U app -d bench -c "insert into t values ($n)" >/dev/null 2>&1
      ;;
    redis)
      # redis-cli exits 0 on error replies too: only the integer reply of SADD is an acknowledgement.
      out=$(REDISCLI_AUTH=$PASSWORD timeout 5 redis-cli -h "$host" -p "$port" --user app \
        SADD numbers "$n" 2>/dev/null) || return 1
      [[ $out =~ ^[01]$ ]]
      ;;
  esac
}

# read_all ENGINE HOST PORT: every written number, one per line.
read_all() {
  local engine=$1 host=$2 port=$3
  case $engine in
    mariadb)
      MYSQL_PWD=$PASSWORD mariadb --no-defaults --protocol=tcp --host="$host" --port="$port" \
        --user=app -N -B bench -e "select n from t"
      ;;
    postgresql)
      PGPASSWORD=$PASSWORD "$PG_BIN/psql" -X -q -At -h "$host" -p "$port" -U app -d bench \
        -c "select n from t"
      ;;
    redis)
      REDISCLI_AUTH=$PASSWORD redis-cli -h "$host" -p "$port" --user app SMEMBERS numbers
      ;;
  esac
}

make_table() {
  local engine=$1 host=$2 port=$3
  case $engine in
    mariadb)
      MYSQL_PWD=$PASSWORD mariadb --no-defaults --protocol=tcp --host="$host" --port="$port" \
        --user=app bench -e "create table t (n bigint primary key)"
      ;;
    postgresql)
      PGPASSWORD=$PASSWORD "$PG_BIN/psql" -X -q -h "$host" -p "$port" -U app -d bench \
        -c "create table t (n bigint primary key)"
      ;;
    redis) ;;
  esac
}

# ---- the writer: runs in the background until its flag file goes ---------------------------------

WRITER_PID=''
WRITER_LOG=''

start_writer() {
  local engine=$1 host=$2 port=$3
  WRITER_LOG=$BENCH_DIR/writes-$engine.log
  : >"$WRITER_LOG"
  touch "$BENCH_DIR/writing"
  (
    n=0
    while [[ -e $BENCH_DIR/writing ]]; do
      n=$((n + 1))
      if write_once "$engine" "$host" "$port" "$n"; then
        echo "$EPOCHREALTIME ok $n"
      else
        echo "$EPOCHREALTIME fail $n"
        sleep 0.02
      fi
    done >>"$WRITER_LOG"
  ) &
  WRITER_PID=$!
}

stop_writer() {
  rm -f "$BENCH_DIR/writing"
  if [[ -n $WRITER_PID ]]; then
    wait "$WRITER_PID" 2>/dev/null || true
  fi
  WRITER_PID=''
}

# longest_gap FROM TO: the longest time between two acknowledged writes around [FROM, TO].
longest_gap() {
  awk -v from="$1" -v to="$2" '
    $2 == "ok" { if (last != "" && $1 >= from && last <= to && $1 - last > gap) gap = $1 - last; last = $1 }
    END { printf "%.2f", gap + 0 }' "$WRITER_LOG"
}

# outage_after T K: seconds from T (just before the kill) to the first acknowledged write after
# the first write refused once the kill was done (K): writes on their way while the processes were
# being found may still succeed, and do not end the outage.
outage_after() {
  awk -v t="$1" -v k="$2" '
    $1 > k && $2 == "fail" && failed == "" { failed = $1 }
    failed != "" && $2 == "ok" && $1 > failed { printf "%.2f", $1 - t; found = 1; exit }
    END { if (!found) print "" }' "$WRITER_LOG"
}

# ---- the set -------------------------------------------------------------------------------------

set_field() {
  local id=$1 field=$2 reply
  reply=$(api GET "/instances/$id/replication")
  split_reply "$reply"
  printf '%s' "$REPLY_BODY" | json_field "replication.$field"
}

# Every member ACTIVE, none waiting to rejoin, the primary as wanted (if given).
await_set_settled() {
  local any=$1 primary=${2:-} deadline=$((SECONDS + ACTIVE_TIMEOUT_SECONDS)) reply
  while :; do
    reply=$(api GET "/instances/$any/replication")
    split_reply "$reply"
    if [[ $REPLY_CODE == 200 ]] && printf '%s' "$REPLY_BODY" | WANTED=$primary python3 -c '
import json, os, sys
s = json.load(sys.stdin)["replication"]
wanted = os.environ["WANTED"]
ok = (not wanted or s["primary"] == wanted) and all(
    not m["pending_rejoin"]
    and (m["role"] == "primary" if m["id"] == s["primary"] else m["role"] == "replica" and m["connected"])
    for m in s["members"])
sys.exit(0 if ok else 1)'; then
      local m all_active=yes
      for m in $(printf '%s' "$REPLY_BODY" | python3 -c '
import json, sys
print(" ".join(m["id"] for m in json.load(sys.stdin)["replication"]["members"]))'); do
        reply=$(api GET "/instances/$m")
        split_reply "$reply"
        [[ $(printf '%s' "$REPLY_BODY" | json_field instance.status) == ACTIVE ]] || all_active=no
      done
      [[ $all_active == yes ]] && return 0
    fi
    ((SECONDS < deadline)) || {
      say "bench: the set of $any did not settle within ${ACTIVE_TIMEOUT_SECONDS}s: $REPLY_BODY"
      return 1
    }
    sleep 0.2
  done
}

# SIGKILL for every process of an instance: its agent and its engine.
kill_instance() {
  local dir=$SERVER_HOME/instances/$1 proc cwd killed=0
  for proc in /proc/[0-9]*; do
    cwd=$(readlink "$proc/cwd" 2>/dev/null || true)
    if grep -qaF "$dir/" "$proc/cmdline" 2>/dev/null || [[ $cwd == "$dir" || $cwd == "$dir/"* ]]; then
      kill -KILL "${proc#/proc/}" 2>/dev/null && killed=$((killed + 1))
    fi
  done
  ((killed > 0)) || die "no process of instance $1 was found under $dir."
}

# Creates an instance and waits until it is ACTIVE; sets CREATED_ID. Runs in this shell (not in a
# $(...) subshell) so that cleanup knows the instance.
CREATED_ID=''
create_instance() {
  local body=$1 reply
  reply=$(api POST /instances "$body")
  split_reply "$reply"
  [[ $REPLY_CODE == 200 ]] || die "POST /instances answered HTTP $REPLY_CODE: $REPLY_BODY"
  CREATED_ID=$(printf '%s' "$REPLY_BODY" | json_field instance.id)
  CREATED_INSTANCES+=("$CREATED_ID")
  await_status "/instances/$CREATED_ID" instance.status ACTIVE "$ACTIVE_TIMEOUT_SECONDS" ||
    die "instance $CREATED_ID did not become ACTIVE."
}

declare -A SWITCH_GAPS SWITCH_CALLS FAILOVER_RTOS FAILOVER_LOST

measure_engine() {
  local engine=$1 objects primary replica host port ep_host ep_port run t0 t1 gap target reply
  say "bench: $engine: creating a primary and a replica..."
  objects='"users":[{"name":"app","password":"'$PASSWORD'"}]'
  if [[ $engine != redis ]]; then
    objects='"databases":[{"name":"bench"}],"users":[{"name":"app","password":"'$PASSWORD'","databases":[{"name":"bench"}]}]'
  fi
  create_instance '{"instance":{"name":"bench-repl-'"$engine-$RANDOM"'","flavorRef":"1","volume":{"size":1},'"$objects"',"datastore":{"type":"'"$engine"'"}}}'
  primary=$CREATED_ID
  reply=$(api GET "/instances/$primary")
  split_reply "$reply"
  host=$(printf '%s' "$REPLY_BODY" | json_field instance.endpoint.host)
  port=$(printf '%s' "$REPLY_BODY" | json_field instance.endpoint.port)
  make_table "$engine" "$host" "$port"
  create_instance '{"instance":{"name":"bench-repl-'"$engine-r-$RANDOM"'","replica_of":"'"$primary"'"}}'
  replica=$CREATED_ID
  await_set_settled "$primary" "$primary"
  ep_host=$(set_field "$primary" primary_endpoint.host)
  ep_port=$(set_field "$primary" primary_endpoint.port)
  start_writer "$engine" "$ep_host" "$ep_port"
  sleep 1

  local gaps=() calls=() rtos=() lost=()
  for ((run = 1; run <= RUNS; run++)); do
    target=$replica
    [[ $(set_field "$primary" primary) == "$replica" ]] && target=$primary
    t0=$(now)
    reply=$(api POST "/instances/$target/action" '{"promote_to_replica_source":{}}')
    [[ ${reply##*$'\n'} == 202 ]] || die "promote answered ${reply##*$'\n'}: ${reply%$'\n'*}"
    await_set_settled "$primary" "$target"
    t1=$(now)
    sleep 1
    gap=$(longest_gap "$t0" "$t1")
    gaps+=("$gap")
    calls+=("$(seconds_between "$t0" "$t1")")
    say "bench: $engine switchover $run: writes refused for at most ${gap}s; the call took $(seconds_between "$t0" "$t1")s"
  done

  reply=$(api PUT "/instances/$primary/replication" \
    '{"replication":{"auto_failover":true,"failover_after_seconds":'"$FAILOVER_AFTER"'}}')
  [[ ${reply##*$'\n'} == 200 ]] || die "the failover policy was refused: ${reply%$'\n'*}"
  local victim survivor acked missing rto killed
  for ((run = 1; run <= RUNS; run++)); do
    await_set_settled "$primary"
    victim=$(set_field "$primary" primary)
    sleep 1
    t0=$(now)
    kill_instance "$victim"
    killed=$(now)
    local deadline=$((SECONDS + 120))
    while rto=$(outage_after "$t0" "$killed") && [[ -z $rto ]]; do
      ((SECONDS < deadline)) || die "$engine: no write succeeded within 120 s of the kill."
      sleep 0.1
    done
    while survivor=$(set_field "$primary" primary) && [[ $survivor == "$victim" ]]; do
      ((SECONDS < deadline)) || die "$engine: the set still names $victim its primary."
      sleep 0.1
    done
    reply=$(api GET "/instances/$survivor")
    split_reply "$reply"
    # Acknowledged writes that the new primary does not have.
    acked=$(awk '$2 == "ok" { print $3 }' "$WRITER_LOG" | LC_ALL=C sort)
    missing=$(LC_ALL=C comm -23 <(printf '%s\n' "$acked") <(read_all "$engine" \
      "$(printf '%s' "$REPLY_BODY" | json_field instance.endpoint.host)" \
      "$(printf '%s' "$REPLY_BODY" | json_field instance.endpoint.port)" | LC_ALL=C sort) | grep -c . || true)
    rtos+=("$rto")
    lost+=("$missing")
    say "bench: $engine failover $run: writes again after ${rto}s; $missing acknowledged writes lost"
  done
  await_set_settled "$primary"
  stop_writer

  SWITCH_GAPS[$engine]="${gaps[*]}"
  SWITCH_CALLS[$engine]="${calls[*]}"
  FAILOVER_RTOS[$engine]="${rtos[*]}"
  FAILOVER_LOST[$engine]="${lost[*]}"

  # The replica first: a source with replicas cannot be deleted.
  local current
  current=$(set_field "$primary" primary)
  for id in $( [[ $current == "$primary" ]] && echo "$replica $primary" || echo "$primary $replica"); do
    delete_instance "$id" || true
  done
}

# ---- run -----------------------------------------------------------------------------------------

bench_init
ensure_engine_user
find_pg_bin
if [[ $MODE == own ]]; then
  start_own_server
fi
connect

for engine in "${ENGINES[@]}"; do
  measure_engine "$engine"
done

report=$BENCH_DIR/replication.md
{
  echo '## Switchover and failover'
  echo
  echo "A primary and one replica per engine, a client writing through the set's primary endpoint"
  echo "all the time (a new connection per write, with the engine's own client). **Switchover**:"
  # shellcheck disable=SC2016 # Markdown backquotes, not a command
  echo '`promote_to_replica_source` back and forth; *writes refused* is the longest time between two'
  echo 'acknowledged writes around the switchover, *call* the time until every member is ACTIVE again.'
  echo "**Failover**: automatic, \`failover_after_seconds\` = $FAILOVER_AFTER; SIGKILL of the primary's"
  echo 'engine and agent; *RTO* runs from the kill to the first acknowledged write after the first'
  echo 'refused one; *lost* counts acknowledged writes missing on the new primary (asynchronous sets).'
  echo 'Medians of the runs, then every sample. Aims: switchover under 2 s, failover under 10 s'
  echo '(Amazon RDS Multi-AZ documents 60–120 s for a failover).'
  echo
  echo '| engine | switchover: writes refused | switchover: call | failover: RTO | failover: acknowledged writes lost |'
  echo '|---|---|---|---|---|'
  for engine in "${ENGINES[@]}"; do
    # shellcheck disable=SC2086 # the sample lists are meant to split into words
    printf '| %s %s | %s s (%s) | %s s (%s) | %s s (%s) | %s |\n' \
      "$(engine_label "$engine")" "$(engine_version "$engine")" \
      "$(median ${SWITCH_GAPS[$engine]})" "${SWITCH_GAPS[$engine]// /, }" \
      "$(median ${SWITCH_CALLS[$engine]})" "${SWITCH_CALLS[$engine]// /, }" \
      "$(median ${FAILOVER_RTOS[$engine]})" "${FAILOVER_RTOS[$engine]// /, }" \
      "${FAILOVER_LOST[$engine]// /, }"
  done
  echo
  echo "- Run: $(date -u +%Y-%m-%dT%H:%MZ), $RUNS runs per engine; Coffer $(coffer_line)"
  machine_line
} >"$report"
write_section "$OUTPUT" replication "$report"
say "bench: wrote the replication section of $OUTPUT"
