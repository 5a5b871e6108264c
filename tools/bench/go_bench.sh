#!/usr/bin/env bash
# The Go benchmark suite (go/bench, its own module): BenchmarkLuau/<benchmark>/<impl> for the
# impls project, floor, gopher-lua and gopher-luar. Writes the raw `go test -bench` output to
# target/bench/go-bench.txt (parsed by tools/bench_report.py) and prints the result lines.
#
#   BENCH_QUICK=1 tools/bench/go_bench.sh   # one pass, 200ms per benchmark: ~1 minute on 2 cores
#   tools/bench/go_bench.sh                 # full: 1s per benchmark, 5 passes (-count=5)
#
# Optional: GO_BENCH_FILTER=<regexp> narrows the run to matching sub-benchmarks, e.g.
# GO_BENCH_FILTER='call_(no|with)_args' (the pattern is BenchmarkLuau/<filter>).
# GO_BENCH_TIME / GO_BENCH_COUNT override -benchtime / -count.
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

if [[ "${BENCH_QUICK:-0}" == "1" ]]; then
  benchtime="${GO_BENCH_TIME:-200ms}"
  count="${GO_BENCH_COUNT:-1}"
else
  benchtime="${GO_BENCH_TIME:-1s}"
  count="${GO_BENCH_COUNT:-5}"
fi

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
tmp="$(mktemp target/bench/go-bench.XXXXXX)"
trap 'rm -f "$tmp"' EXIT

echo "go_bench: -benchtime=$benchtime -count=$count ($("$GO" version | awk '{print $3}'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
status=0
(cd go/bench && "$GO" test -run '^$' -bench "$pattern" -benchtime "$benchtime" -count "$count" -timeout 60m .) >"$tmp" 2>&1 || status=$?
mv "$tmp" "$out"
trap - EXIT
grep -E '^(Benchmark|ok|FAIL|---|panic)' "$out" || true
if [[ $status -ne 0 ]]; then
  echo "go_bench: go test failed (status $status); full output in $out" >&2
  exit $status
fi
echo "go_bench: wrote $out" >&2
