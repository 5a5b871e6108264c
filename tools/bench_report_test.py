#!/usr/bin/env python3
"""Tests of tools/bench_report.py: parsing, repetitions and spreads, ratios, targets, outputs."""
import io
import json
import os
import re
import shutil
import tempfile
import unittest
from contextlib import redirect_stdout

import bench_report

GO_OUTPUT = """goos: linux
BenchmarkLuau/call_no_args/project-2         	 1000000	        50.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_no_args/project-2         	 1000000	        70.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_no_args/project-2         	 1000000	        60.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_no_args/floor-2           	 1000000	        10.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_no_args/gopher-lua-2      	 1000000	       100.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkLuau/memory_pressure/project-2      	   10000	      2000 ns/op	    1024 B/op	       1 allocs/op	  1.5 rss-MiB
PASS
"""

# Three repetitions of each impl, in the order the isolated runner writes them.
GO_REPS = """BenchmarkLuau/call_with_args/project-2   	 1000000	        60.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_with_args/cgo_floor-2 	 1000000	        50.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_with_args/gopher-lua-2	 1000000	        80.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkLuau/call_with_args/project-2   	 1000000	        90.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_with_args/cgo_floor-2 	 1000000	        80.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_with_args/gopher-lua-2	 1000000	       100.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkLuau/call_with_args/project-2   	 1000000	        66.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_with_args/cgo_floor-2 	 1000000	        60.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkLuau/call_with_args/gopher-lua-2	 1000000	        60.0 ns/op	      16 B/op	       1 allocs/op
"""


class BenchReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def run_report(self, *extra):
        with redirect_stdout(io.StringIO()) as out:
            status = bench_report.main(["--dir", self.dir, *extra])
        return status, out.getvalue()

    def test_go_lines_parse_with_median_spread_and_metrics(self):
        records = {(r["benchmark"], r["impl"]): r for r in bench_report.parse_go(GO_OUTPUT)}
        project = records[("call_no_args", "project")]
        self.assertEqual(project["ns_per_op"], 60.0)
        self.assertEqual((project["ns_min"], project["ns_max"]), (50.0, 70.0))
        self.assertEqual(project["samples"], [50.0, 70.0, 60.0])
        self.assertEqual(records[("call_no_args", "gopher-lua")]["allocs_per_op"], 1)
        self.assertEqual(records[("memory_pressure", "project")]["metrics"], {"rss-MiB": 1.5})

    def test_median_of_an_even_count_is_the_mean_of_the_middle_two(self):
        self.assertEqual(bench_report.median([4.0, 1.0, 3.0, 2.0]), 2.5)

    def test_a_ratio_is_median_over_median_with_the_spread_both_spreads_allow(self):
        # Requirement: a ratio's spread holds the ratio of any repetition of one impl to any
        # repetition of the other (they are independent processes), so a rerun whose
        # repetitions fall inside the first run's spreads agrees with it.
        by_key = bench_report.index(bench_report.parse_go(GO_REPS))
        # project 60, 90, 66 (median 66); cgo_floor 50, 80, 60 (median 60).
        value, lo, hi = bench_report.ratio_stats(by_key, "go", "call_with_args", "project", "cgo_floor")
        self.assertAlmostEqual(value, 66 / 60)
        self.assertAlmostEqual(lo, 60 / 80)
        self.assertAlmostEqual(hi, 90 / 50)
        # gopher-lua 80, 100, 60 (median 80).
        value, lo, hi = bench_report.ratio_stats(by_key, "go", "call_with_args", "project", "gopher-lua")
        self.assertAlmostEqual(value, 66 / 80)
        self.assertAlmostEqual(lo, 60 / 100)
        self.assertAlmostEqual(hi, 90 / 60)
        pairs = [(a, b) for a in (60, 90, 66) for b in (50, 80, 60)]
        self.assertTrue(all(60 / 80 <= a / b <= 90 / 50 for a, b in pairs))

    def test_unequal_repetition_counts_give_the_same_kind_of_spread(self):
        by_key = bench_report.index(bench_report.parse_go(GO_OUTPUT))  # 3 project runs, 1 floor run
        self.assertEqual(bench_report.ratio_stats(by_key, "go", "call_no_args", "project", "floor"), (6.0, 5.0, 7.0))

    def test_cpu_time_is_kept_with_its_own_ratios(self):
        text = "".join(f"BenchmarkLuau/call_no_args/{impl}-2 \t 1000 \t {wall} ns/op \t {cpu} cpu-ns/op \t 0 allocs/op\n"
                       for impl, wall, cpu in (("project", 300, 60), ("cgo_floor", 100, 50),
                                               ("project", 100, 70), ("cgo_floor", 300, 60)))
        by_key = bench_report.index(bench_report.parse_go(text))
        project = by_key[("go", "call_no_args", "project")]
        self.assertEqual((project["cpu_ns_per_op"], project["cpu_samples"]), (65.0, [60.0, 70.0]))
        value, lo, hi = bench_report.ratio_stats(by_key, "go", "call_no_args", "project", "cgo_floor", clock="cpu")
        self.assertAlmostEqual(value, 65 / 55)
        self.assertAlmostEqual(lo, 60 / 60)
        self.assertAlmostEqual(hi, 70 / 50)
        target = next(t for t in bench_report.evaluate_targets(by_key) if t["target"] == "<= 1.15x cgo floor")
        self.assertEqual(target["cpu"]["status"], "MISSED")
        self.assertIn("by CPU time", bench_report.targets_table([target]))

    def test_targets_against_the_cgo_floor_and_the_peer(self):
        by_key = bench_report.index(bench_report.parse_go(GO_REPS))
        targets = {(t["benchmark"], t["target"]): t for t in bench_report.evaluate_targets(by_key)}
        cgo = targets[("call_with_args", "<= 1.15x cgo floor")]
        self.assertEqual(cgo["status"], "met (within spread)")
        peer = targets[("call_with_args", "<= 0.9x gopher-lua")]
        self.assertEqual(peer["status"], "met (within spread)")
        self.assertEqual(targets[("call_no_args", "<= 1.15x cgo floor")]["status"], "n/a")

    def test_outputs_ratios_and_targets(self):
        self.write("go-bench.txt", GO_OUTPUT + GO_REPS)
        rust = [{"benchmark": "call_no_args", "language": "rust", "impl": i, "ns_per_op": ns, "allocs_per_op": 0}
                for i, ns in (("project", 20.0), ("floor", 10.0), ("mlua", 25.0))]
        self.write("rust.json", json.dumps(rust))
        self.write("go-meta.json", json.dumps({"isolation": "process", "repetitions": 3, "benchtime": "1s",
                                               "cores": 2, "load_before": "1.0 1.0 1.0", "load_after": "2.0"}))
        status, printed = self.run_report("--require", "go,rust")
        self.assertEqual(status, 0)
        with open(os.path.join(self.dir, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(len(summary), 10)
        self.assertTrue(all({"benchmark", "language", "impl", "ns_per_op", "ns_min", "ns_max", "samples",
                             "allocs_per_op", "ratios"} <= set(r) for r in summary))
        by = {(r["language"], r["benchmark"], r["impl"]): r for r in summary}
        cgo = by[("go", "call_with_args", "cgo_floor")]
        self.assertEqual((cgo["ns_per_op"], cgo["repetitions"], cgo["isolation"]), (60.0, 3, "process"))
        self.assertAlmostEqual(by[("go", "call_with_args", "project")]["ratios"]["cgo_floor"]["ratio"], 1.1)
        self.assertEqual(set(by[("go", "call_with_args", "gopher-lua")]["ratios"]), {"cgo_floor"})
        self.assertIn("| call_no_args | go | 60.0 (50.0–70.0) | 0 | 10.0 | – | 100.0 (gopher-lua) "
                      "| 6.00 (5.00–7.00) | – | 0.60 (0.50–0.70) |", printed)
        self.assertIn("| call_with_args | go | 66.0 (60.0–90.0) | 0 | – | 60.0 (50.0–80.0) "
                      "| 80.0 (60.0–100.0) (gopher-lua) | – | 1.10 (0.75–1.80) | 0.82 (0.60–1.50) |", printed)
        self.assertIn("| rust | call_no_args | <= 1.8x floor | 2.00 | MISSED |", printed)
        self.assertIn("| go | call_no_args | <= 0.9x gopher-lua | 0.60 (0.50–0.70) | met |", printed)
        self.assertIn("go: process isolation, 3 repetitions at 1s", printed)
        with open(os.path.join(self.dir, "summary.md")) as f:
            md = f.read()
        self.assertIn("## Every impl", md)
        self.assertIn("| call_with_args | go | cgo_floor | 60.0 (50.0–80.0) | 0 | – | – | 0.75 (0.50–1.33) (gopher-lua) |", md)
        with open(os.path.join(self.dir, "ratios.svg")) as f:
            svg = f.read()
        self.assertIn("<svg", svg)
        self.assertIn("go call_with_args / cgo floor", svg)

    def test_compare_with_another_run(self):
        self.write("go-bench.txt", GO_REPS)
        self.assertEqual(self.run_report()[0], 0)
        other = os.path.join(self.dir, "other")
        os.mkdir(other)
        shutil.copy(os.path.join(self.dir, "summary.json"), other)
        status, printed = self.run_report("--compare", other)
        self.assertEqual(status, 0)
        self.assertIn("4/4 ratios agree within the spreads (4 with each median inside", printed)
        # A run whose project took three times as long disagrees on every project ratio.
        slower = re.sub(r"(project-2\s+\d+\s+)([\d.]+)", lambda m: f"{m.group(1)}{3 * float(m.group(2))}", GO_REPS)
        self.write("go-bench.txt", slower)
        status, printed = self.run_report("--compare", other)
        self.assertEqual(status, 1)
        self.assertIn("2/4 ratios agree", printed)
        self.assertIn("go call_with_args project/cgo_floor: 3.30 (2.25–5.40) here, 1.10 (0.75–1.80) there", printed)

    def test_linear_target_compares_1000_registrations_with_1000_single_ones(self):
        # Requirement: register_1000_funcs is judged against 1000 x register_func, with the
        # same kind of spread as every ratio.
        text = "".join(f"BenchmarkLuau/{bench}/project-2 \t 1000 \t {ns} ns/op \t 0 allocs/op\n"
                       for bench, ns in (("register_func", 100), ("register_1000_funcs", 110_000),
                                         ("register_func", 200), ("register_1000_funcs", 130_000)))
        by_key = bench_report.index(bench_report.parse_go(text))
        target = next(t for t in bench_report.evaluate_targets(by_key)
                      if (t["language"], t["benchmark"]) == ("go", "register_1000_funcs"))
        self.assertAlmostEqual(target["value"], 120_000 / (1000 * 150))
        self.assertAlmostEqual(target["min"], 110_000 / (1000 * 200))
        self.assertAlmostEqual(target["max"], 130_000 / (1000 * 100))
        self.assertEqual(target["status"], "met (within spread)")

    def test_missing_required_language_fails(self):
        self.assertEqual(self.run_report("--require", "rust")[0], 1)


if __name__ == "__main__":
    unittest.main()
