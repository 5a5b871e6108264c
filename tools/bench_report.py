#!/usr/bin/env python3
"""Benchmark report: merges the Go and Rust suites into one summary, table and chart.

Inputs (whichever exist):
  target/bench/go-bench.txt  raw `go test -bench` output; lines named
                             BenchmarkLuau/<benchmark>/<impl>-<procs>
  target/bench/rust.json     a JSON list of records written by the Rust suite

Outputs:
  target/bench/summary.json  [{"benchmark", "language", "impl", "ns_per_op", "allocs_per_op", ...}]
  target/bench/summary.md    table: ns/op, allocs/op, ratio to floor, ratio to peer; targets
  target/bench/ratios.svg    chart of the ratios per benchmark and language
and prints the table. impl is "project", "floor" or a peer's name. Standard library only.
"""
import argparse
import json
import math
import os
import re
import sys

PEERS = {"go": ["gopher-lua", "gopher-luar"], "rust": ["mlua"]}
GO_LINE = re.compile(r"^BenchmarkLuau/(?P<bench>[\w.-]+)/(?P<impl>[\w.-]+?)(?:-\d+)?\s+(?P<iters>\d+)\s+(?P<rest>.*)$")

# (language, benchmark, what, limit, description). what: "floor" / "peer" ratio, "ns" absolute,
# "allocs" absolute, or "linear" (register_1000_funcs vs 1000 x register_func), or "typed".
TARGETS = [
    ("rust", "call_no_args", "floor", 1.8, "<= 1.8x floor"),
    ("rust", "call_with_args", "floor", 1.25, "<= 1.25x floor"),
    ("rust", "call_return_string", "floor", 1.2, "<= 1.2x floor"),
    ("rust", "call_error_pcall", "floor", 1.2, "<= 1.2x the floor's lua_error path"),
    ("rust", "call_error_pcall_1000_globals", "floor", 1.2, "<= 1.2x floor with 1,000 extra globals"),
    ("rust", "register_func", "floor", 1.3, "<= 1.3x floor"),
    ("go", "call_no_args", "peer", 0.65, "<= 0.65x gopher-lua"),
    ("go", "call_with_args", "peer", 0.55, "<= 0.55x gopher-lua"),
    ("go", "call_return_string", "peer", 0.8, "<= 0.8x gopher-lua"),
    ("go", "call_no_args", "allocs", 0, "0 allocs/op"),
    ("go", "call_with_args", "allocs", 0, "0 allocs/op"),
    ("go", "call_return_string", "allocs", 0, "0 allocs/op"),
    ("go", "register_func", "ns", 400, "<= 400 ns"),
    ("go", "luau_call_from_host", "peer", 2.0, "<= 2x gopher-lua"),
    ("go", "fib_27", "peer", 0.25, "<= 0.25x gopher-lua"),
    ("go", "register_1000_funcs", "linear", 1.2, "<= 1.2x 1000 x register_func"),
    ("rust", "register_1000_funcs", "linear", 1.2, "<= 1.2x 1000 x register_func"),
    ("go", "call_with_args_typed", "typed", 1.5, "<= 1.5x call_with_args (raw RegisterFunc)"),
    ("rust", "call_with_args_typed", "typed", 1.5, "<= 1.5x call_with_args (raw register_func)"),
]


def parse_go(text):
    records = []
    for line in text.splitlines():
        m = GO_LINE.match(line.strip())
        if not m:
            continue
        fields = m.group("rest").split()
        metrics = {}
        for value, unit in zip(fields[0::2], fields[1::2]):
            try:
                metrics[unit] = float(value)
            except ValueError:
                pass
        if "ns/op" not in metrics:
            continue
        record = {"benchmark": m.group("bench"), "language": "go", "impl": m.group("impl"),
                  "ns_per_op": metrics.pop("ns/op"), "allocs_per_op": metrics.pop("allocs/op", None)}
        if "B/op" in metrics:
            record["bytes_per_op"] = metrics.pop("B/op")
        if metrics:
            record["metrics"] = metrics
        records.append(record)
    return merge_repeats(records)


def merge_repeats(records):
    """-count=N gives N lines per benchmark: keep the median ns/op (noisy machines)."""
    groups = {}
    for r in records:
        groups.setdefault((r["benchmark"], r["language"], r["impl"]), []).append(r)
    merged = []
    for key, rs in groups.items():
        rs = sorted(rs, key=lambda r: r["ns_per_op"])
        merged.append(rs[len(rs) // 2])
    return merged


def index(records):
    return {(r["language"], r["benchmark"], r["impl"]): r for r in records}


def ratio(records_by_key, language, benchmark, impl, base_impl):
    a = records_by_key.get((language, benchmark, impl))
    b = records_by_key.get((language, benchmark, base_impl))
    if not a or not b or not b["ns_per_op"]:
        return None
    return a["ns_per_op"] / b["ns_per_op"]


def evaluate_targets(by_key):
    results = []
    for language, bench, what, limit, text in TARGETS:
        value = None
        if what == "floor":
            value = ratio(by_key, language, bench, "project", "floor")
        elif what == "peer":
            value = ratio(by_key, language, bench, "project", PEERS[language][0])
        elif what == "ns":
            r = by_key.get((language, bench, "project"))
            value = r["ns_per_op"] if r else None
        elif what == "allocs":
            r = by_key.get((language, bench, "project"))
            value = r.get("allocs_per_op") if r else None
        elif what == "linear":
            many = by_key.get((language, bench, "project"))
            one = by_key.get((language, "register_func", "project"))
            value = many["ns_per_op"] / (1000 * one["ns_per_op"]) if many and one and one["ns_per_op"] else None
        elif what == "typed":
            value = ratio_between(by_key, language, bench, "call_with_args")
        status = "n/a" if value is None else ("met" if value <= limit else "MISSED")
        results.append({"language": language, "benchmark": bench, "target": text, "value": value, "status": status})
    return results


def ratio_between(by_key, language, bench, base_bench):
    a = by_key.get((language, bench, "project"))
    b = by_key.get((language, base_bench, "project"))
    if not a or not b or not b["ns_per_op"]:
        return None
    return a["ns_per_op"] / b["ns_per_op"]


def fmt(x, digits=2):
    if x is None:
        return "–"
    if digits == 0 or abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def table(records, by_key):
    rows = ["| benchmark | language | impl | ns/op | allocs/op | ratio to floor | ratio to peer |",
            "|---|---|---|---:|---:|---:|---:|"]
    for r in sorted(records, key=lambda r: (r["benchmark"], r["language"], r["impl"] != "project", r["impl"])):
        lang, bench, impl = r["language"], r["benchmark"], r["impl"]
        to_floor = ratio(by_key, lang, bench, impl, "floor") if impl != "floor" else None
        peer = next((p for p in PEERS.get(lang, []) if (lang, bench, p) in by_key), None)
        to_peer = ratio(by_key, lang, bench, impl, peer) if peer and impl != peer else None
        peer_text = f"{fmt(to_peer)} ({peer})" if to_peer is not None else "–"
        rows.append(f"| {bench} | {lang} | {impl} | {fmt(r['ns_per_op'], 1)} | {fmt(r.get('allocs_per_op'), 0)} "
                    f"| {fmt(to_floor)} | {peer_text} |")
    return "\n".join(rows)


def targets_table(results):
    rows = ["| language | benchmark | target | measured | status |", "|---|---|---|---:|---|"]
    for t in results:
        rows.append(f"| {t['language']} | {t['benchmark']} | {t['target']} | {fmt(t['value'])} | {t['status']} |")
    return "\n".join(rows)


def svg_chart(records, by_key):
    """Horizontal bars: project's ratio to the floor and to the main peer, per benchmark."""
    bars = []
    for lang in ("go", "rust"):
        for bench in sorted({r["benchmark"] for r in records if r["language"] == lang}):
            for base, label in (("floor", "floor"), (PEERS[lang][0], PEERS[lang][0])):
                value = ratio(by_key, lang, bench, "project", base)
                if value is not None:
                    bars.append((f"{lang} {bench} / {label}", value, base == "floor"))
    if not bars:
        return "<svg xmlns='http://www.w3.org/2000/svg' width='400' height='40'><text x='10' y='25'>no data</text></svg>"
    label_w, bar_w, row_h, top = 330, 420, 18, 40
    max_v = max(v for _, v, _ in bars)
    scale_max = max(2.0, math.ceil(max_v))
    height = top + row_h * len(bars) + 30
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{label_w + bar_w + 80}' height='{height}' "
           "font-family='sans-serif' font-size='11'>",
           "<text x='10' y='20' font-size='14'>luau-embed: time per op relative to the floor (raw C) and the peer; "
           "1.0 = equal, lower is better</text>"]
    x1 = label_w + bar_w / scale_max
    out.append(f"<line x1='{x1:.1f}' y1='{top - 6}' x2='{x1:.1f}' y2='{height - 25}' stroke='#444' stroke-dasharray='3,3'/>")
    for i, (label, value, is_floor) in enumerate(bars):
        y = top + i * row_h
        width = bar_w * min(value, scale_max) / scale_max
        color = "#4c78a8" if is_floor else "#f58518"
        out.append(f"<text x='{label_w - 6}' y='{y + 12}' text-anchor='end'>{label}</text>")
        out.append(f"<rect x='{label_w}' y='{y + 2}' width='{width:.1f}' height='{row_h - 5}' fill='{color}'/>")
        out.append(f"<text x='{label_w + width + 4:.1f}' y='{y + 12}'>{value:.2f}x</text>")
    out.append(f"<text x='{label_w}' y='{height - 8}'>blue: ratio to floor; orange: ratio to peer "
               f"(gopher-lua for Go, mlua for Rust); axis 0..{scale_max:.0f}x</text>")
    out.append("</svg>")
    return "\n".join(out)


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.path.join(root, "target", "bench"))
    parser.add_argument("--require", default="", help="comma-separated languages that must have results")
    args = parser.parse_args(argv)
    records = []
    go_path = os.path.join(args.dir, "go-bench.txt")
    if os.path.exists(go_path):
        with open(go_path, encoding="utf-8") as f:
            records += parse_go(f.read())
    rust_path = os.path.join(args.dir, "rust.json")
    if os.path.exists(rust_path):
        with open(rust_path, encoding="utf-8") as f:
            records += merge_repeats(json.load(f))
    for language in filter(None, args.require.split(",")):
        if not any(r["language"] == language for r in records):
            print(f"bench_report: no {language} results in {args.dir}", file=sys.stderr)
            return 1
    by_key = index(records)
    targets = evaluate_targets(by_key)
    with open(os.path.join(args.dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(sorted(records, key=lambda r: (r["benchmark"], r["language"], r["impl"])), f, indent=1)
    md = table(records, by_key)
    with open(os.path.join(args.dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write("# Benchmarks\n\n" + md + "\n\n## Targets\n\n" + targets_table(targets) + "\n")
    with open(os.path.join(args.dir, "ratios.svg"), "w", encoding="utf-8") as f:
        f.write(svg_chart(records, by_key))
    print(md)
    print()
    print(targets_table(targets))
    print(f"\nwrote {args.dir}/summary.json, summary.md, ratios.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
