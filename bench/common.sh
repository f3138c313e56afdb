# Shared helpers of bench/run and bench/callgrind (sourced, not run).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BENCH_TOOLS="$TOOLS/bench"          # openloop binary, generated bodies (cached), run logs
VENV="$TOOLS/bench-venv"
mkdir -p "$BENCH_TOOLS/data"

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() { # PORT SECONDS
  local deadline=$((SECONDS + ${2:-30}))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

wait_http_200() { # URL SECONDS
  local deadline=$((SECONDS + ${2:-60}))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ]; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# Tools: wrk (apt), valgrind (apt), cc, the Python venv (PyPI: aiohttp, confluent-kafka).
ensure_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v valgrind >/dev/null || missing+=(valgrind)
  command -v cc >/dev/null || missing+=(gcc)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; install them (apt-get install -y ${missing[*]})"
    say "installing ${missing[*]} (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; }
  fi
  if ! "$VENV/bin/python" -c 'import aiohttp, confluent_kafka' 2>/dev/null; then
    say "creating $VENV (aiohttp, confluent-kafka from PyPI)"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check aiohttp confluent-kafka >&2
  fi
  OPENLOOP="$BENCH_TOOLS/openloop"
  if [ ! -x "$OPENLOOP" ] || [ "$ROOT/bench/openloop.c" -nt "$OPENLOOP" ]; then
    cc -O2 -Wall -o "$OPENLOOP" "$ROOT/bench/openloop.c"
  fi
}

# Release builds of hookway, BenchBare and BenchProduce; sets HOOKWAY_BIN, BARE_BIN, PRODUCE_BIN.
build_release() {
  local attempt
  for product in hookway BenchBare BenchProduce; do
    for attempt in 1 2 3; do
      say "swift build -c release --product $product"
      if (cd "$ROOT" && swift build -c release --product "$product" >&2); then break; fi
      [ "$attempt" -lt 3 ] || die "release build of $product failed"
      say "build failed (another engineer's change or the .build lock?); retrying in 60 s"
      sleep 60
    done
  done
  local bin
  bin="$(cd "$ROOT" && swift build -c release --show-bin-path)"
  HOOKWAY_BIN="$bin/hookway"
  BARE_BIN="$bin/BenchBare"
  PRODUCE_BIN="$bin/BenchProduce"
}

# Signed bodies, cached: bodies_file N TAG → path.
bodies_file() {
  local f="$BENCH_TOOLS/data/bodies-$2-$1.tsv"
  if [ ! -s "$f" ]; then
    say "generating $1 signed Bitnob bodies ($2)"
    python3 "$ROOT/bench/gen_bodies.py" "$f.tmp" "$1" "$2" && mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# Starts a fresh Tansu (memory storage) on a free port: sets TANSU_PID, BROKER.
start_tansu() {
  local tansu port
  tansu="${HOOKWAY_TANSU:-$("$ROOT/scripts/bootstrap" --tansu-path)}"
  port="$(free_port)"
  setpriv --pdeathsig KILL -- "$tansu" broker --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" >"${1:-/dev/null}" 2>&1 &
  TANSU_PID=$!
  BROKER="127.0.0.1:$port"
  wait_port "$port" 30 || die "Tansu did not listen on $port"
}

stop_pid() { # PID [SECONDS]
  local pid=$1 deadline=$((SECONDS + ${2:-15}))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.1
  done
  wait "$pid" 2>/dev/null || true
}

# The process and its descendants.
tree_pids() {
  local p
  echo "$1"
  for p in $(pgrep -P "$1" 2>/dev/null); do tree_pids "$p"; done
}

# user+sys CPU seconds of a process tree (all threads).
cpu_seconds() {
  local total=0 p t
  for p in $(tree_pids "$1"); do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# Resets the peak RSS (VmHWM) of a process tree (clear_refs 5, Linux ≥ 4.0).
reset_peak_rss() {
  local p
  for p in $(tree_pids "$1"); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done
}

# Sum of VmHWM (MB) over a process tree (shared pages of several processes count more than once).
peak_rss_mb() {
  local p total=0 kb
  for p in $(tree_pids "$1"); do
    kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  awk -v k="$total" 'BEGIN { printf "%.1f", k / 1024 }'
}

# Other heavy work on the machine (other engineers' builds, fuzzers) — noted next to every
# result: 1-minute load, compiler processes, and the other processes using >10 % CPU right now
# (top, 0.5 s sample; the benchmark's own tools excluded).
other_load() {
  local builds others
  builds=$(pgrep -c -f 'swift-build|swift-frontend|swiftc|clang' 2>/dev/null || true)
  others=$(top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk '/^top -/ { n++ } n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 10 { print $12 }' |
    grep -v -E '^(wrk|hookway|BenchBare|tansu|python3?|openloop|top|valgrind.*)$' | sort | uniq -c | awk '{ printf "%s%s×%s", sep, $2, $1; sep = "+" }')
  echo "load1=$(cut -d' ' -f1 /proc/loadavg),other_builds=${builds:-0}${others:+,busy=$others}"
}

# Waits (up to BENCH_IDLE_WAIT seconds, default 60) until no swift build runs on the machine.
wait_quiet() {
  local deadline=$((SECONDS + ${BENCH_IDLE_WAIT:-60}))
  while pgrep -f 'swift-build|swift-frontend' >/dev/null 2>&1; do
    if [ $SECONDS -ge "$deadline" ]; then say "a build is still running; measuring anyway (noted as load)"; return 0; fi
    sleep 5
  done
}

# The lean peer's work for hookway: the repository's kafka and limits sections (linger.ms 1 as
# the peer), the bitnob source, one route to one topic.
one_topic_config() { # NAME → the path of routes.json under $OUT/NAME
  mkdir -p "$OUT/$1"
  python3 - "$ROOT/routes.json" "$OUT/$1/routes.json" <<'PY'
import json, sys
full = json.load(open(sys.argv[1]))
one = {k: full[k] for k in ("version", "kafka", "limits") if k in full}
one["sources"] = {"bitnob": full["sources"]["bitnob"]}
one["routes"] = [{"name": "one-topic", "match": {}, "to": ["webhooks.{provider}.{event}"]}]
# The lean peer's linger.ms.
one.setdefault("kafka", {}).setdefault("producer", {})["linger.ms"] = "1"
json.dump(one, open(sys.argv[2], "w"), indent=2)
PY
  echo "$OUT/$1/routes.json"
}

# A config directory per server: the repository's routes.json, verbatim, so relative paths
# (spool, ledger database) land in this run's directory, not in the shared var/.
config_copy() {
  mkdir -p "$OUT/$1"
  # Relative `file:` references (keys, allow-lists) point back into the repository.
  python3 - "$ROOT/routes.json" "$OUT/$1/routes.json" "$ROOT" <<'PY'
import json, sys
def fix(v):
    if isinstance(v, str) and v.startswith("file:") and not v.startswith("file:/"):
        return "file:" + sys.argv[3] + "/" + v[5:]
    if isinstance(v, list):
        return [fix(x) for x in v]
    if isinstance(v, dict):
        return {k: fix(x) for k, x in v.items()}
    return v
json.dump(fix(json.load(open(sys.argv[1]))), open(sys.argv[2], "w"), indent=2)
PY
  echo "$OUT/$1/routes.json"
}
