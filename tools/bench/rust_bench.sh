#!/usr/bin/env bash
# The Rust benchmark suites (criterion, release profile): rust/bench (impls project and floor,
# benches/project.rs) and rust/bench-mlua (impl mlua, its own binary: mlua links its own
# copy of Luau). Writes target/bench/rust.json, a JSON list of records
#   {"benchmark", "language": "rust", "impl", "ns_per_op", "allocs_per_op", "bytes_per_op",
#    "metrics": {...}}
# read by tools/bench_report.py, and prints one line per record.
#
#   BENCH_QUICK=1 tools/bench/rust_bench.sh   # warm-up 0.3 s, measurement 1 s, 10 samples
#   tools/bench/rust_bench.sh                 # criterion's defaults (3 s, 5 s, 100 samples)
#
# Optional: RUST_BENCH_FILTER=<regexp> is passed to criterion (e.g. 'call_(no|with)_args');
# RUST_BENCH_SUITES="project mlua" chooses the suites (default both).
#
# Every op is one call (see rust/bench/src/lib.rs): criterion times `iter_custom` routines
# whose iteration is one op, so ns_per_op is the median of criterion's per-iteration
# estimate (target/criterion/<benchmark>/<impl>/new/estimates.json). allocs_per_op,
# bytes_per_op and memory_pressure's metrics come from an untimed counting pass of each
# bench binary (a counting #[global_allocator]), appended to a side file as JSON lines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

CARGO="${CARGO:-cargo}"
args=(--noplot)
if [[ "${BENCH_QUICK:-0}" == "1" ]]; then
  args+=(--warm-up-time 0.3 --measurement-time 1 --sample-size 10)
fi
if [[ -n "${RUST_BENCH_FILTER:-}" ]]; then
  args+=("$RUST_BENCH_FILTER")
fi
suites="${RUST_BENCH_SUITES:-project mlua}"

mkdir -p target/bench
side="$(mktemp "$ROOT/target/bench/rust-side.XXXXXX")"
stamp="$(mktemp "$ROOT/target/bench/rust-stamp.XXXXXX")"
trap 'rm -f "$side" "$stamp"' EXIT
export LUAU_BENCH_SIDE="$side"
export CRITERION_HOME="$ROOT/target/criterion"

echo "rust_bench: ${args[*]} ($(rustc --version | awk '{print $2}'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
for suite in $suites; do
  case "$suite" in
    project) pkg=luau-embed-bench bench=project ;;
    mlua) pkg=luau-embed-bench-mlua bench=mlua ;;
    *) echo "rust_bench: unknown suite '$suite' (project, mlua)" >&2; exit 2 ;;
  esac
  "$CARGO" bench --quiet -p "$pkg" --bench "$bench" -- "${args[@]}" 2>&1 |
    { grep -vE '^(Benchmarking .*: (Warming up|Collecting|Analyzing)|side: )' >&2 || true; }
done

python3 - "$side" "$stamp" "$CRITERION_HOME" target/bench/rust.json <<'EOF'
import json, os, sys

side_path, stamp_path, crit, out_path = sys.argv[1:5]
since = os.path.getmtime(stamp_path)
side = {}
with open(side_path, encoding="utf-8") as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            side[(r["benchmark"], r["impl"])] = r
records = []
for bench in sorted(os.listdir(crit)) if os.path.isdir(crit) else []:
    for impl in sorted(os.listdir(os.path.join(crit, bench))):
        est = os.path.join(crit, bench, impl, "new", "estimates.json")
        if not os.path.isfile(est) or os.path.getmtime(est) < since:
            continue  # not measured in this run
        with open(est, encoding="utf-8") as f:
            ns = json.load(f)["median"]["point_estimate"]  # ns per iteration = per op
        r = {"benchmark": bench, "language": "rust", "impl": impl, "ns_per_op": ns,
             "allocs_per_op": None}
        s = side.get((bench, impl))
        if s:
            r["allocs_per_op"] = s["allocs_per_op"]
            r["bytes_per_op"] = s["bytes_per_op"]
            if s.get("metrics"):
                r["metrics"] = s["metrics"]
        records.append(r)
if not records:
    sys.exit("rust_bench: no criterion results from this run")
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(records, f, indent=1)
for r in records:
    extra = " ".join(f"{k}={v:g}" for k, v in r.get("metrics", {}).items())
    allocs = "-" if r["allocs_per_op"] is None else f"{r['allocs_per_op']:.2f}"
    print(f"{r['benchmark']:<32} {r['impl']:<8} {r['ns_per_op']:>14.1f} ns/op {allocs:>8} allocs/op {extra}")
print(f"rust_bench: wrote {out_path} ({len(records)} records)", file=sys.stderr)
EOF
