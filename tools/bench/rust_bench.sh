#!/usr/bin/env bash
# The Rust benchmark suites (criterion, release profile): rust/bench (impls project and floor,
# benches/project.rs) and rust/bench-mlua (impl mlua, its own binary: mlua links its own
# copy of Luau). Writes target/bench/rust.json, a JSON list of records, one per repetition,
#   {"benchmark", "language": "rust", "impl", "rep", "ns_per_op", "allocs_per_op",
#    "bytes_per_op", "metrics": {...}}
# read by tools/bench_report.py (which takes the median and the spread), and
# target/bench/rust-meta.json; prints one line per record.
#
#   BENCH_QUICK=1 tools/bench/rust_bench.sh   # 3 repetitions, warm-up 0.5 s, measurement 1.5 s
#   tools/bench/rust_bench.sh                 # 5 repetitions, the same timing
#
# Isolation (issue 15): each bench binary is built once (cargo bench --no-run); then every
# <benchmark>/<impl> pair runs in a process of its own (criterion --exact <pair>), with a
# fresh CRITERION_HOME (no comparison with an earlier run), so no impl is measured on the
# allocator state or caches another one left behind. One repetition runs every pair once;
# the repetitions follow each other (see go_bench.sh).
#
# Optional: RUST_BENCH_FILTER=<regexp> keeps the matching pairs (e.g. 'call_(no|with)_args');
# RUST_BENCH_SUITES="project mlua" chooses the suites (default both); RUST_BENCH_REPS and
# RUST_BENCH_ARGS (criterion options, replacing the timing ones above) override the defaults.
# RUST_BENCH_ISOLATION=process (default) | none (each suite in one process, as it used to
# run; to compare).
#
# Every op is one call (see rust/bench/src/lib.rs): criterion times `iter_custom` routines
# whose iteration is one op, so ns_per_op is the median of criterion's per-iteration
# estimate (<CRITERION_HOME>/<benchmark>/<impl>/new/estimates.json). allocs_per_op,
# bytes_per_op and memory_pressure's metrics come from an untimed counting pass of each
# bench binary (a counting #[global_allocator]) in the first repetition, appended to a side
# file as JSON lines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

CARGO="${CARGO:-cargo}"
# Quick differs from full in the repetitions only (see go_bench.sh), so their ratios agree.
timing="--warm-up-time 0.5 --measurement-time 1.5 --sample-size 50 --nresamples 20000"
if [[ "${BENCH_QUICK:-0}" == "1" ]]; then
  reps="${RUST_BENCH_REPS:-3}"
else
  reps="${RUST_BENCH_REPS:-5}"
fi
read -r -a crit_args <<<"${RUST_BENCH_ARGS:-$timing}"
suites="${RUST_BENCH_SUITES:-project mlua}"
isolation="${RUST_BENCH_ISOLATION:-process}"
case "$isolation" in
  process | none) ;;
  *) echo "rust_bench: RUST_BENCH_ISOLATION must be process or none" >&2; exit 2 ;;
esac

mkdir -p target/bench
side="$(mktemp "$ROOT/target/bench/rust-side.XXXXXX")"
raw="$(mktemp "$ROOT/target/bench/rust-raw.XXXXXX")"
home="$(mktemp -d "$ROOT/target/bench/criterion.XXXXXX")"
trap 'rm -rf "$side" "$raw" "$home"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before="$(load)"
echo "rust_bench: $isolation isolation, $reps repetitions, ${crit_args[*]} ($(rustc --version | awk '{print $2}'), $(nproc) cores, load $load_before)" >&2

# The bench binaries (one build; cargo prints their paths as JSON messages).
declare -A exe
for suite in $suites; do
  case "$suite" in
    project) pkg=luau-embed-bench ;;
    mlua) pkg=luau-embed-bench-mlua ;;
    *) echo "rust_bench: unknown suite '$suite' (project, mlua)" >&2; exit 2 ;;
  esac
  exe[$suite]="$("$CARGO" bench --quiet --locked -p "$pkg" --bench "$suite" --no-run --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "bench" in m["target"]["kind"]:
        print(m["executable"])')"
  [[ -x "${exe[$suite]}" ]] || { echo "rust_bench: no bench binary for $suite" >&2; exit 1; }
done

# collect <suite> <rep>: every estimates.json under $home into $raw (then $home is emptied).
collect() {
  python3 - "$home" "$1" "$2" >>"$raw" <<'EOF'
import json, os, sys
home, suite, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
for bench in sorted(os.listdir(home)):
    if not os.path.isdir(os.path.join(home, bench)) or bench == "report":
        continue
    for imp in sorted(os.listdir(os.path.join(home, bench))):
        est = os.path.join(home, bench, imp, "new", "estimates.json")
        if os.path.isfile(est):
            with open(est, encoding="utf-8") as f:
                ns = json.load(f)["median"]["point_estimate"]  # ns per iteration = per op
            print(json.dumps({"benchmark": bench, "impl": imp, "rep": rep, "ns_per_op": ns}))
EOF
  rm -rf "${home:?}"/*
}

quiet() { grep -vE '^(Benchmarking .*: (Warming up|Collecting|Analyzing)|side: )' >&2 || true; }

status=0
export CRITERION_HOME="$home"
if [[ "$isolation" == "process" ]]; then
  declare -A pairs
  total=0
  for suite in $suites; do
    list="$("${exe[$suite]}" --bench --list 2>/dev/null | sed -nE 's/^([^ ]+\/[^ ]+): benchmark$/\1/p')"
    if [[ -n "${RUST_BENCH_FILTER:-}" ]]; then
      list="$(grep -E -- "$RUST_BENCH_FILTER" <<<"$list" || true)"
    fi
    pairs[$suite]="$list"
    total=$((total + $(grep -c . <<<"$list" || true)))
  done
  echo "rust_bench: $total benchmark/impl pairs, each in its own process" >&2
  for ((rep = 1; rep <= reps; rep++)); do
    echo "rust_bench: repetition $rep/$reps (load $(load))" >&2
    for suite in $suites; do
      for pair in ${pairs[$suite]}; do
        if [[ $rep -eq 1 ]]; then export LUAU_BENCH_SIDE="$side"; else unset LUAU_BENCH_SIDE; fi
        "${exe[$suite]}" --bench --noplot "${crit_args[@]}" --exact "$pair" 2>&1 | quiet
        [[ ${PIPESTATUS[0]} -eq 0 ]] || { status=1; echo "rust_bench: $suite $pair failed" >&2; }
        collect "$suite" "$rep"
      done
    done
  done
else
  for ((rep = 1; rep <= reps; rep++)); do
    echo "rust_bench: repetition $rep/$reps (load $(load))" >&2
    for suite in $suites; do
      if [[ $rep -eq 1 ]]; then export LUAU_BENCH_SIDE="$side"; else unset LUAU_BENCH_SIDE; fi
      "${exe[$suite]}" --bench --noplot "${crit_args[@]}" ${RUST_BENCH_FILTER:+"$RUST_BENCH_FILTER"} 2>&1 | quiet
      [[ ${PIPESTATUS[0]} -eq 0 ]] || { status=1; echo "rust_bench: suite $suite failed" >&2; }
      collect "$suite" "$rep"
    done
  done
fi
[[ $status -eq 0 ]] || exit $status

cat >target/bench/rust-meta.json <<EOF
{"isolation": "$isolation", "repetitions": $reps, "criterion": "${crit_args[*]}", "rust": "$(rustc --version | awk '{print $2}')", "cores": $(nproc), "load_before": "$load_before", "load_after": "$(load)"}
EOF

python3 - "$side" "$raw" target/bench/rust.json <<'EOF'
import json, sys

side_path, raw_path, out_path = sys.argv[1:4]
side = {}
with open(side_path, encoding="utf-8") as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            side[(r["benchmark"], r["impl"])] = r
records = []
with open(raw_path, encoding="utf-8") as f:
    for line in f:
        if not line.strip():
            continue
        m = json.loads(line)
        r = {"benchmark": m["benchmark"], "language": "rust", "impl": m["impl"], "rep": m["rep"],
             "ns_per_op": m["ns_per_op"], "allocs_per_op": None}
        s = side.get((m["benchmark"], m["impl"]))
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
    print(f"{r['benchmark']:<32} {r['impl']:<8} rep {r['rep']} {r['ns_per_op']:>14.1f} ns/op {allocs:>8} allocs/op {extra}")
print(f"rust_bench: wrote {out_path} ({len(records)} records; load {open('/proc/loadavg').read().split()[0]})",
      file=sys.stderr)
EOF
