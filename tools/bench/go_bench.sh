#!/usr/bin/env bash
# The Go benchmark suite (go/bench, its own module): BenchmarkLuau/<benchmark>/<impl> for the
# impls project, floor, cgo_floor, gopher-lua and gopher-luar. Writes the raw `go test -bench`
# output of every run to target/bench/go-bench.txt (parsed by tools/bench_report.py: the
# i-th line of a benchmark/impl is its i-th repetition) and target/bench/go-meta.json.
#
#   BENCH_QUICK=1 tools/bench/go_bench.sh   # 3 repetitions at 1s per run: ~5 minutes on 2 cores
#   tools/bench/go_bench.sh                 # full: 5 repetitions at 1s per run: ~9 minutes
#
# Isolation (issue 15): the suite is compiled once (go test -c); then every
# BenchmarkLuau/<benchmark>/<impl> pair runs in a process of its own, so no impl is measured
# on the heap, GC state or caches that another impl left behind. One repetition runs every
# pair once, in order; the repetitions follow each other, so a slow minute of the machine
# touches all impls alike and the report can pair repetition i of one impl with repetition
# i of another.
#
# Optional: GO_BENCH_FILTER=<regexp> narrows the run to matching sub-benchmarks, e.g.
# GO_BENCH_FILTER='call_(no|with)_args' (the pattern is BenchmarkLuau/<filter>).
# GO_BENCH_TIME / GO_BENCH_REPS override the time per run / the repetitions.
# GO_BENCH_ISOLATION=process (default) | settle (all pairs in one process, a full GC and a
# pause before each impl) | none (one process, no settle: how the suite used to run); the
# last two exist to compare (docs/benchmarks.md).
#
# Every op is one call. The call_* and memory_pressure benchmarks run ONE Luau loop of b.N
# calls (the same script for every impl); the others are Go loops of b.N ops. Time-based
# -benchtime (not Nx) because ops differ by five orders of magnitude (a call: ~100 ns,
# fib_27: ~10-60 ms).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

GO="${GO:-go}"
export GOTOOLCHAIN=local CGO_ENABLED=1
# The package links through pkg-config (luau-embed.pc of `make native`), as under make.
export PKG_CONFIG_PATH="$ROOT/target/native/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# Quick differs from full in the repetitions only: shorter runs change what the GC-bound peers
# measure (gopher-lua's memory_pressure, call_error_pcall and register_1000_funcs do more GC
# cycles per op in a longer run), so quick ratios would not agree with full ones.
benchtime="${GO_BENCH_TIME:-1s}"
if [[ "${BENCH_QUICK:-0}" == "1" ]]; then
  reps="${GO_BENCH_REPS:-3}"
else
  reps="${GO_BENCH_REPS:-5}"
fi
isolation="${GO_BENCH_ISOLATION:-process}"
case "$isolation" in
  process | settle | none) ;;
  *) echo "go_bench: GO_BENCH_ISOLATION must be process, settle or none" >&2; exit 2 ;;
esac

pattern='^BenchmarkLuau$'
if [[ -n "${GO_BENCH_FILTER:-}" ]]; then
  pattern="^BenchmarkLuau\$/${GO_BENCH_FILTER}"
fi

# The binding links target/native/libluau_embed.a (release build of Luau + the wrapper).
if [[ ! -f target/native/libluau_embed.a ]]; then
  make --no-print-directory native >&2
fi

mkdir -p target/bench
out=target/bench/go-bench.txt
bin="$ROOT/target/bench/go-bench.test"
tmp="$(mktemp target/bench/go-bench.XXXXXX)"
trap 'rm -f "$tmp"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before="$(load)"
echo "go_bench: $isolation isolation, $reps repetitions at -benchtime=$benchtime ($("$GO" version | awk '{print $3}'), $(nproc) cores, load $load_before)" >&2
(cd go/bench && "$GO" test -c -o "$bin" .)

status=0
run() { # run <bench pattern> <benchtime>: one process, its output appended to $tmp
  "$bin" -test.run '^$' -test.bench "$1" -test.benchtime "$2" -test.timeout 30m >>"$tmp" 2>&1
}
if [[ "$isolation" == "process" ]]; then
  # The pairs, from one pass of every benchmark at one op each (also a smoke test).
  list="$(mktemp target/bench/go-list.XXXXXX)"
  "$bin" -test.run '^$' -test.bench "$pattern" -test.benchtime 1x -test.timeout 30m >"$list" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    cat "$list" >&2
    rm -f "$list"
    echo "go_bench: the suite failed (status $status)" >&2
    exit $status
  fi
  mapfile -t pairs < <(sed -nE 's|^BenchmarkLuau/([^/ ]+)/([^ ]+)-[0-9]+[[:space:]].*|\1/\2|p' "$list")
  rm -f "$list"
  if [[ ${#pairs[@]} -eq 0 ]]; then
    echo "go_bench: no benchmarks match $pattern" >&2
    exit 1
  fi
  echo "go_bench: ${#pairs[@]} benchmark/impl pairs, each in its own process" >&2
  for ((rep = 1; rep <= reps; rep++)); do
    echo "go_bench: repetition $rep/$reps (load $(load))" >&2
    for pair in "${pairs[@]}"; do
      run "^BenchmarkLuau\$/^${pair%%/*}\$/^${pair#*/}\$" "$benchtime" || { status=$?; break 2; }
    done
  done
else
  settle=1
  [[ "$isolation" == "none" ]] && settle=0
  for ((rep = 1; rep <= reps; rep++)); do
    echo "go_bench: repetition $rep/$reps (load $(load))" >&2
    LUAU_BENCH_SETTLE=$settle run "$pattern" "$benchtime" || { status=$?; break; }
  done
fi
mv "$tmp" "$out"
trap - EXIT
cat >target/bench/go-meta.json <<EOF
{"isolation": "$isolation", "repetitions": $reps, "benchtime": "$benchtime", "go": "$("$GO" version | awk '{print $3}')", "cores": $(nproc), "load_before": "$load_before", "load_after": "$(load)"}
EOF
if [[ $status -ne 0 ]]; then
  grep -E '^(--- FAIL|FAIL|panic|\s+bench_test)' "$out" >&2 || true
  echo "go_bench: a benchmark failed (status $status); full output in $out" >&2
  exit $status
fi
echo "go_bench: wrote $out ($(grep -c '^BenchmarkLuau/' "$out") result lines; load $(load))" >&2
