#!/usr/bin/env python3
"""Benchmark report: merges the Go and Rust suites into one summary, table and chart.

Inputs (whichever exist):
  target/bench/go-bench.txt  raw `go test -bench` output; lines named
                             BenchmarkLuau/<benchmark>/<impl>-<procs>, one per repetition
  target/bench/rust.json     a JSON list of records written by the Rust suite, one per
                             repetition
  target/bench/*-meta.json   how each suite ran (isolation, repetitions, machine load)

Every (benchmark, impl) is measured several times, each time in a process of its own
(tools/bench/go_bench.sh, rust_bench.sh). A record keeps the median ns/op with its spread
(min-max over the repetitions). A ratio (impl / base impl) is median / median, and its spread
is what the two spreads allow: from the fastest repetition of impl over the slowest of base to
the slowest over the fastest - the ratio of any repetition of one to any repetition of the
other lies in it. (Pairing repetition i with repetition i gave narrower spreads that two runs
of `make bench` did not reproduce: the pairs ran minutes apart, in processes of their own, so
nothing ties repetition i of one impl to repetition i of another.)

Outputs:
  target/bench/summary.json  [{"benchmark", "language", "impl", "ns_per_op" (the median),
                             "ns_min", "ns_max", "samples", "repetitions", "isolation",
                             "allocs_per_op", ..., "ratios": {<base impl>: {"ratio", "min",
                             "max"}}}]: one record per (benchmark, language, impl); its ratios
                             to "floor", "cgo_floor" and the main peer where they ran
  target/bench/summary.md    tables: per benchmark (project next to floor, cgo_floor and
                             peer), per impl, targets
  target/bench/ratios.svg    chart of project's ratios (median, whiskers: the spread)
and prints the tables. impl is "project", "floor", "cgo_floor" (Go: the raw floor plus one
C -> Go callback) or a peer's name. --compare DIR checks that every ratio of this run agrees
with the run in DIR (a copy of target/bench) within the reported spreads. Standard library only.
"""
import argparse
import json
import math
import os
import re
import sys

PEERS = {"go": ["gopher-lua", "gopher-luar"], "rust": ["mlua"]}
FLOORS = ("floor", "cgo_floor")
GO_LINE = re.compile(r"^BenchmarkLuau/(?P<bench>[\w.-]+)/(?P<impl>[\w.-]+?)(?:-\d+)?\s+(?P<iters>\d+)\s+(?P<rest>.*)$")

# (language, benchmark, what, limit, description). what: "floor" / "cgo_floor" / "peer" ratio,
# "ns" absolute, "allocs" absolute, "linear" (register_1000_funcs vs 1000 x register_func), or
# "typed" (call_with_args_typed vs call_with_args).
TARGETS = [
    ("rust", "call_no_args", "floor", 1.8, "<= 1.8x floor"),
    ("rust", "call_with_args", "floor", 1.25, "<= 1.25x floor"),
    ("rust", "call_return_string", "floor", 1.2, "<= 1.2x floor"),
    ("rust", "call_error_pcall", "floor", 1.2, "<= 1.2x the floor's lua_error path"),
    ("rust", "call_error_pcall_1000_globals", "floor", 1.2, "<= 1.2x floor with 1,000 extra globals"),
    ("rust", "register_func", "floor", 1.3, "<= 1.3x floor"),
    ("go", "call_no_args", "cgo_floor", 1.15, "<= 1.15x cgo floor"),
    ("go", "call_with_args", "cgo_floor", 1.15, "<= 1.15x cgo floor"),
    ("go", "call_return_string", "cgo_floor", 1.15, "<= 1.15x cgo floor"),
    ("go", "call_no_args", "peer", 0.9, "<= 0.9x gopher-lua"),
    ("go", "call_with_args", "peer", 0.9, "<= 0.9x gopher-lua"),
    ("go", "call_return_string", "peer", 0.9, "<= 0.9x gopher-lua"),
    ("go", "call_no_args", "allocs", 0, "0 allocs/op"),
    ("go", "call_with_args", "allocs", 0, "0 allocs/op"),
    ("go", "call_return_string", "allocs", 0, "0 allocs/op"),
    ("go", "register_func", "ns", 400, "<= 400 ns"),
    # Host -> Luau calls (issue 12): the typed forms (Go Function.CallFloat, Rust call_typed).
    ("go", "luau_call_from_host", "peer", 1.2, "<= 1.2x gopher-lua (typed form)"),
    ("go", "luau_call_from_host", "allocs", 0, "0 allocs/op (typed form)"),
    ("rust", "luau_call_from_host", "peer", 0.9, "<= 0.9x mlua (typed form)"),
    ("go", "fib_27", "peer", 0.25, "<= 0.25x gopher-lua"),
    ("go", "register_1000_funcs", "linear", 1.2, "<= 1.2x 1000 x register_func"),
    ("rust", "register_1000_funcs", "linear", 1.2, "<= 1.2x 1000 x register_func"),
    ("go", "call_with_args_typed", "typed", 1.5, "<= 1.5x call_with_args (raw RegisterFunc)"),
    ("rust", "call_with_args_typed", "typed", 1.5, "<= 1.5x call_with_args (raw register_func)"),
    # Containment (issue 10): "floor" of these is the project with the stop not armed.
    ("go", "fib_27_deadline", "floor", 1.05, "armed deadline <= 1.05x unarmed"),
    ("go", "fib_27_cancel", "floor", 1.05, "armed cancel <= 1.05x unarmed"),
    ("rust", "fib_27_deadline", "floor", 1.05, "armed deadline <= 1.05x unarmed"),
    ("rust", "fib_27_cancel", "floor", 1.05, "armed cancel <= 1.05x unarmed"),
    # Threads (issue 11).
    ("go", "resume_yield", "peer", 1.0, "<= 1.0x gopher-lua"),
    ("go", "resume_yield", "allocs", 0, "0 allocs/op once the thread exists"),
    ("rust", "resume_yield", "peer", 0.5, "<= 0.5x mlua (its round trip: a script-side coroutine.yield)"),
    # Loading code (issue 14): "floor" of load_bytecode is compiling the source each time.
    ("go", "load_bytecode", "floor", 0.3, "stored bytecode into a new state <= 0.3x compiling the source"),
    ("rust", "load_bytecode", "floor", 0.3, "stored bytecode into a new state <= 0.3x compiling the source"),
    # Native code generation (issue 14): "floor" of fib_27_native is the same call interpreted;
    # the Rust peer is mlua with its luau-jit feature (the same CodeGen sources).
    ("go", "fib_27_native", "floor", 0.7, "native <= 0.7x the interpreter"),
    ("rust", "fib_27_native", "floor", 0.7, "native <= 0.7x the interpreter"),
    ("rust", "fib_27_native", "peer", 1.0, "<= 1.0x mlua with luau-jit"),
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


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return None
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def merge_repeats(records):
    """One record per (benchmark, language, impl) from its repetitions, in the order given:
    the median ns/op, its min-max and the samples; the other fields (allocs, metrics) come
    from the repetition nearest the median (allocs from the first repetition that has them)."""
    groups = {}
    for r in records:
        groups.setdefault((r["benchmark"], r["language"], r["impl"]), []).append(r)
    merged = []
    for rs in groups.values():
        samples = [r["ns_per_op"] for r in rs]
        mid = median(samples)
        out = dict(min(rs, key=lambda r: abs(r["ns_per_op"] - mid)))
        out.pop("rep", None)
        if out.get("allocs_per_op") is None:
            out["allocs_per_op"] = next((r["allocs_per_op"] for r in rs if r.get("allocs_per_op") is not None), None)
        if out.get("bytes_per_op") is None and any(r.get("bytes_per_op") is not None for r in rs):
            out["bytes_per_op"] = next(r["bytes_per_op"] for r in rs if r.get("bytes_per_op") is not None)
        out.update(ns_per_op=mid, ns_min=min(samples), ns_max=max(samples), samples=samples)
        cpu = [r["metrics"]["cpu-ns/op"] for r in rs if "cpu-ns/op" in (r.get("metrics") or {})]
        if len(cpu) == len(rs):
            out.update(cpu_ns_per_op=median(cpu), cpu_min=min(cpu), cpu_max=max(cpu), cpu_samples=cpu)
        merged.append(out)
    return merged


def index(records):
    return {(r["language"], r["benchmark"], r["impl"]): r for r in records}


def samples_of(record, clock):
    """A record's per-repetition times: wall ns/op, or (clock "cpu") process CPU ns/op."""
    if clock == "cpu":
        return record.get("cpu_samples")
    return record.get("samples") or [record["ns_per_op"]]


def ratio_of_samples(sa, sb):
    """(median, min, max) of sa / sb: median(sa) / median(sb), spread min(sa) / max(sb) to
    max(sa) / min(sb) (the repetitions are independent processes: see the module docstring)."""
    if not sa or not sb or not all(sb):
        return None
    return median(sa) / median(sb), min(sa) / max(sb), max(sa) / min(sb)


def ratio_stats(by_key, language, benchmark, impl, base_impl, clock="wall"):
    """(median, min, max) of impl / base_impl, or None (see ratio_of_samples)."""
    a = by_key.get((language, benchmark, impl))
    b = by_key.get((language, benchmark, base_impl))
    if not a or not b:
        return None
    return ratio_of_samples(samples_of(a, clock), samples_of(b, clock))


def ratio(by_key, language, benchmark, impl, base_impl):
    s = ratio_stats(by_key, language, benchmark, impl, base_impl)
    return s[0] if s else None


def main_peer(by_key, language, benchmark):
    return next((p for p in PEERS.get(language, []) if (language, benchmark, p) in by_key), None)


def all_ratios(records, by_key):
    """Every impl's ratio to each floor and to the main peer of its benchmark."""
    out = []
    for r in sorted(records, key=sort_key):
        lang, bench, impl = r["language"], r["benchmark"], r["impl"]
        peer = main_peer(by_key, lang, bench)
        for base in FLOORS + ((peer,) if peer else ()):
            if base == impl or (impl == "floor" and base == "cgo_floor"):
                continue
            s = ratio_stats(by_key, lang, bench, impl, base)
            if s:
                x = {"language": lang, "benchmark": bench, "impl": impl, "base": base,
                     "ratio": s[0], "min": s[1], "max": s[2]}
                c = ratio_stats(by_key, lang, bench, impl, base, clock="cpu")
                if c:
                    x["cpu"] = {"ratio": c[0], "min": c[1], "max": c[2]}
                out.append(x)
    return out


def evaluate_targets(by_key):
    results = []
    for language, bench, what, limit, text in TARGETS:
        stats = cpu = None
        if what in FLOORS:
            stats = ratio_stats(by_key, language, bench, "project", what)
            cpu = ratio_stats(by_key, language, bench, "project", what, clock="cpu")
        elif what == "peer":
            stats = ratio_stats(by_key, language, bench, "project", PEERS[language][0])
            cpu = ratio_stats(by_key, language, bench, "project", PEERS[language][0], clock="cpu")
        elif what == "ns":
            r = by_key.get((language, bench, "project"))
            stats = (r["ns_per_op"], r.get("ns_min", r["ns_per_op"]), r.get("ns_max", r["ns_per_op"])) if r else None
        elif what == "allocs":
            r = by_key.get((language, bench, "project"))
            value = r.get("allocs_per_op") if r else None
            stats = None if value is None else (value, value, value)
        elif what == "linear":
            many = by_key.get((language, bench, "project"))
            one = by_key.get((language, "register_func", "project"))
            if many and one:
                stats = ratio_of_samples(samples_of(many, "wall"), [1000 * x for x in samples_of(one, "wall")])
        elif what == "typed":
            stats = ratio_between(by_key, language, bench, "call_with_args")
        value, lo, hi = stats if stats else (None, None, None)
        if value is None:
            status = "n/a"
        else:
            status = "met" if value <= limit else "MISSED"
            if lo is not None and hi is not None and lo <= limit < hi:
                status += " (within spread)"
        result = {"language": language, "benchmark": bench, "target": text, "limit": limit,
                  "value": value, "min": lo, "max": hi, "status": status}
        if cpu:
            result["cpu"] = {"value": cpu[0], "min": cpu[1], "max": cpu[2],
                             "status": "met" if cpu[0] <= limit else "MISSED"}
        results.append(result)
    return results


def ratio_between(by_key, language, bench, base_bench, clock="wall"):
    a = by_key.get((language, bench, "project"))
    b = by_key.get((language, base_bench, "project"))
    if not a or not b:
        return None
    return ratio_of_samples(samples_of(a, clock), samples_of(b, clock))


def fmt(x, digits=2):
    if x is None:
        return "–"
    if digits == 0 or abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def fmt_ns(r, clock="wall"):
    """Median ns/op with its min-max."""
    if not r:
        return "–"
    if clock == "cpu":
        if "cpu_ns_per_op" not in r:
            return "–"
        value, lo, hi, n = r["cpu_ns_per_op"], r["cpu_min"], r["cpu_max"], len(r["cpu_samples"])
    else:
        value, lo, hi, n = r["ns_per_op"], r.get("ns_min"), r.get("ns_max"), len(r.get("samples", []))
    text = fmt(value, 1)
    if lo is not None and n > 1:
        text += f" ({fmt(lo, 1)}–{fmt(hi, 1)})"
    return text


def fmt_ratio(stats):
    if not stats or stats[0] is None:
        return "–"
    value, lo, hi = stats
    if lo is None or hi is None or lo == hi:
        return fmt(value)
    return f"{fmt(value)} ({fmt(lo)}–{fmt(hi)})"


def sort_key(r):
    return (r["benchmark"], r["language"], r["impl"] != "project", r["impl"])


def overview_table(records, by_key, clock="wall"):
    """One row per (benchmark, language): project next to the floors and the main peer (by
    wall time, or by process CPU time where the suite reports it)."""
    rows = ["| benchmark | lang | project ns/op | allocs/op | floor ns/op | cgo floor ns/op | peer ns/op "
            "| ÷ floor | ÷ cgo floor | ÷ peer |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    keys = sorted({(r["benchmark"], r["language"]) for r in records})
    for bench, lang in keys:
        proj = by_key.get((lang, bench, "project"))
        if not proj or (clock == "cpu" and "cpu_ns_per_op" not in proj):
            continue
        peer = main_peer(by_key, lang, bench)
        peer_text = f"{fmt_ns(by_key[(lang, bench, peer)], clock)} ({peer})" if peer else "–"
        rows.append(f"| {bench} | {lang} | {fmt_ns(proj, clock)} | {fmt(proj.get('allocs_per_op'), 0)} "
                    f"| {fmt_ns(by_key.get((lang, bench, 'floor')), clock)} "
                    f"| {fmt_ns(by_key.get((lang, bench, 'cgo_floor')), clock)} "
                    f"| {peer_text} | {fmt_ratio(ratio_stats(by_key, lang, bench, 'project', 'floor', clock))} "
                    f"| {fmt_ratio(ratio_stats(by_key, lang, bench, 'project', 'cgo_floor', clock))} "
                    f"| {fmt_ratio(ratio_stats(by_key, lang, bench, 'project', peer, clock) if peer else None)} |")
    return "\n".join(rows)


def table(records, by_key):
    """One row per (benchmark, language, impl)."""
    rows = ["| benchmark | language | impl | ns/op (min–max) | allocs/op | ratio to floor | ratio to cgo floor "
            "| ratio to peer |",
            "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in sorted(records, key=sort_key):
        lang, bench, impl = r["language"], r["benchmark"], r["impl"]
        to_floor = ratio_stats(by_key, lang, bench, impl, "floor") if impl != "floor" else None
        to_cgo = ratio_stats(by_key, lang, bench, impl, "cgo_floor") if impl not in FLOORS else None
        peer = main_peer(by_key, lang, bench)
        to_peer = ratio_stats(by_key, lang, bench, impl, peer) if peer and impl != peer else None
        peer_text = f"{fmt_ratio(to_peer)} ({peer})" if to_peer else "–"
        rows.append(f"| {bench} | {lang} | {impl} | {fmt_ns(r)} | {fmt(r.get('allocs_per_op'), 0)} "
                    f"| {fmt_ratio(to_floor)} | {fmt_ratio(to_cgo)} | {peer_text} |")
    return "\n".join(rows)


def targets_table(results):
    rows = ["| language | benchmark | target | measured (min–max) | status | by CPU time |", "|---|---|---|---:|---|---|"]
    for t in results:
        cpu = t.get("cpu")
        cpu_text = f"{fmt_ratio((cpu['value'], cpu['min'], cpu['max']))} {cpu['status']}" if cpu else "–"
        rows.append(f"| {t['language']} | {t['benchmark']} | {t['target']} "
                    f"| {fmt_ratio((t['value'], t.get('min'), t.get('max')))} | {t['status']} | {cpu_text} |")
    return "\n".join(rows)


def compare(ratios, other_ratios):
    """Rows (key, this, other, agree, inside) for every ratio in both runs; agree when the two
    spreads overlap; inside (stricter, informative) when each median lies in the other's spread."""
    other = {(r["language"], r["benchmark"], r["impl"], r["base"]): r for r in other_ratios}
    rows = []
    for r in ratios:
        key = (r["language"], r["benchmark"], r["impl"], r["base"])
        o = other.get(key)
        if not o:
            continue
        lo_a, hi_a = r["min"] if r["min"] is not None else r["ratio"], r["max"] if r["max"] is not None else r["ratio"]
        lo_b, hi_b = o["min"] if o["min"] is not None else o["ratio"], o["max"] if o["max"] is not None else o["ratio"]
        inside = lo_b <= r["ratio"] <= hi_b and lo_a <= o["ratio"] <= hi_a
        rows.append((key, r, o, lo_a <= hi_b and lo_b <= hi_a, inside))
    return rows


def svg_chart(records, by_key):
    """Horizontal bars: project's ratio to the floor, to the cgo floor (Go) and to the main
    peer, per benchmark; a whisker spans the ratio's spread (see ratio_of_samples)."""
    bars = []
    colors = {"floor": "#4c78a8", "cgo_floor": "#54a24b", "peer": "#f58518"}
    for lang in ("go", "rust"):
        for bench in sorted({r["benchmark"] for r in records if r["language"] == lang}):
            for base, kind in (("floor", "floor"), ("cgo_floor", "cgo_floor"), (PEERS[lang][0], "peer")):
                stats = ratio_stats(by_key, lang, bench, "project", base)
                if stats is not None:
                    bars.append((f"{lang} {bench} / {base.replace('_', ' ')}", stats, kind))
    if not bars:
        return "<svg xmlns='http://www.w3.org/2000/svg' width='400' height='40'><text x='10' y='25'>no data</text></svg>"
    label_w, bar_w, row_h, top = 330, 420, 18, 40
    max_v = max(max(s[0], s[2] or 0) for _, s, _ in bars)
    scale_max = max(2.0, math.ceil(min(max_v, 8.0)))
    height = top + row_h * len(bars) + 30
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{label_w + bar_w + 130}' height='{height}' "
           "font-family='sans-serif' font-size='11'>",
           "<text x='10' y='20' font-size='14'>luau-embed: time per op relative to the floor (raw C), the cgo floor "
           "(raw C + one C -> Go callback) and the peer; 1.0 = equal, lower is better</text>"]
    x1 = label_w + bar_w / scale_max
    out.append(f"<line x1='{x1:.1f}' y1='{top - 6}' x2='{x1:.1f}' y2='{height - 25}' stroke='#444' stroke-dasharray='3,3'/>")
    for i, (label, (value, lo, hi), kind) in enumerate(bars):
        y = top + i * row_h
        width = bar_w * min(value, scale_max) / scale_max
        out.append(f"<text x='{label_w - 6}' y='{y + 12}' text-anchor='end'>{label}</text>")
        out.append(f"<rect x='{label_w}' y='{y + 2}' width='{width:.1f}' height='{row_h - 5}' fill='{colors[kind]}'/>")
        text = f"{value:.2f}x"
        if lo is not None and hi is not None and lo != hi:
            xl = label_w + bar_w * min(lo, scale_max) / scale_max
            xh = label_w + bar_w * min(hi, scale_max) / scale_max
            yc = y + 2 + (row_h - 5) / 2
            out.append(f"<line x1='{xl:.1f}' y1='{yc:.1f}' x2='{xh:.1f}' y2='{yc:.1f}' stroke='#222'/>")
            out.append(f"<line x1='{xl:.1f}' y1='{yc - 4:.1f}' x2='{xl:.1f}' y2='{yc + 4:.1f}' stroke='#222'/>")
            out.append(f"<line x1='{xh:.1f}' y1='{yc - 4:.1f}' x2='{xh:.1f}' y2='{yc + 4:.1f}' stroke='#222'/>")
            text += f" ({lo:.2f}–{hi:.2f})"
        out.append(f"<text x='{label_w + max(width, bar_w * min(hi or 0, scale_max) / scale_max) + 4:.1f}' "
                   f"y='{y + 12}'>{text}</text>")
    out.append(f"<text x='{label_w}' y='{height - 8}'>blue: ratio to floor; green: ratio to cgo floor (Go); orange: "
               f"ratio to peer (gopher-lua for Go, mlua for Rust); whiskers: spread; axis 0..{scale_max:.0f}x</text>")
    out.append("</svg>")
    return "\n".join(out)


def read_meta(directory):
    meta = {}
    for lang in ("go", "rust"):
        path = os.path.join(directory, f"{lang}-meta.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                meta[lang] = json.load(f)
    return meta


def meta_text(meta):
    lines = []
    for lang, m in sorted(meta.items()):
        lines.append(f"- {lang}: {m.get('isolation', '?')} isolation, {m.get('repetitions', '?')} repetitions"
                     + (f" at {m['benchtime']}" if m.get("benchtime") else "")
                     + (f" ({m['criterion']})" if m.get("criterion") else "")
                     + f"; load average before {m.get('load_before', '?')}, after {m.get('load_after', '?')}"
                     + f" on {m.get('cores', '?')} cores")
    return "\n".join(lines)


def load_ratios(path):
    """The ratios of another run's summary.json (or of the directory holding it)."""
    if os.path.isdir(path):
        path = os.path.join(path, "summary.json")
    with open(path, encoding="utf-8") as f:
        records = json.load(f)
    return [dict(language=r["language"], benchmark=r["benchmark"], impl=r["impl"], base=base, **x)
            for r in records for base, x in (r.get("ratios") or {}).items()]


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.path.join(root, "target", "bench"))
    parser.add_argument("--require", default="", help="comma-separated languages that must have results")
    parser.add_argument("--compare", action="append", default=[],
                        help="another run's directory (or summary.json): every common ratio must agree within "
                             "the spreads; exit 1 if one does not")
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
    ratios = all_ratios(records, by_key)
    meta = read_meta(args.dir)
    for r in records:
        r["repetitions"] = len(r.get("samples", [])) or 1
        if meta.get(r["language"], {}).get("isolation"):
            r["isolation"] = meta[r["language"]]["isolation"]
        r["ratios"] = {x["base"]: {k: x[k] for k in ("ratio", "min", "max", "cpu") if k in x} for x in ratios
                       if (x["language"], x["benchmark"], x["impl"]) == (r["language"], r["benchmark"], r["impl"])}
    with open(os.path.join(args.dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(sorted(records, key=lambda r: (r["benchmark"], r["language"], r["impl"])), f, indent=1)
    overview = overview_table(records, by_key)
    md = ("# Benchmarks\n\nMedian ns/op of the repetitions with (min–max); a ratio is median ÷ median with "
          "the spread the two min–max allow (fastest ÷ slowest to slowest ÷ fastest).\n\n" + (meta_text(meta) + "\n\n" if meta else "")
          + overview + "\n\n## By process CPU time (Go script-side benchmarks)\n\nThe same runs, timed by the "
          "process's CPU time (cpu-ns/op): it leaves out the time a process waited for a core on a loaded "
          "machine.\n\n" + overview_table(records, by_key, "cpu")
          + "\n\n## Every impl\n\n" + table(records, by_key)
          + "\n\n## Targets\n\n" + targets_table(targets) + "\n")
    with open(os.path.join(args.dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(args.dir, "ratios.svg"), "w", encoding="utf-8") as f:
        f.write(svg_chart(records, by_key))
    if meta:
        print(meta_text(meta))
        print()
    print(overview)
    print()
    print(targets_table(targets))
    print(f"\nwrote {args.dir}/summary.json, summary.md, ratios.svg")
    status = 0
    for other_path in args.compare:
        rows = compare(ratios, load_ratios(other_path))
        bad = [row for row in rows if not row[3]]
        inside = sum(1 for row in rows if row[4])
        print(f"\ncompare with {other_path}: {len(rows) - len(bad)}/{len(rows)} ratios agree within the spreads "
              f"({inside} with each median inside the other run's spread)")
        for (lang, bench, impl, base), r, o, _, _ in bad:
            print(f"  {lang} {bench} {impl}/{base}: {fmt_ratio((r['ratio'], r['min'], r['max']))} here, "
                  f"{fmt_ratio((o['ratio'], o['min'], o['max']))} there")
        if bad:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
