#!/usr/bin/env python3
"""Tests of tools/bench_report.py: parsing, ratios, targets and outputs."""
import io
import json
import os
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


class BenchReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_go_lines_parse_with_median_of_repeats_and_metrics(self):
        records = {(r["benchmark"], r["impl"]): r for r in bench_report.parse_go(GO_OUTPUT)}
        self.assertEqual(records[("call_no_args", "project")]["ns_per_op"], 60.0)
        self.assertEqual(records[("call_no_args", "gopher-lua")]["allocs_per_op"], 1)
        self.assertEqual(records[("memory_pressure", "project")]["metrics"], {"rss-MiB": 1.5})

    def test_outputs_ratios_and_targets(self):
        with open(os.path.join(self.dir, "go-bench.txt"), "w") as f:
            f.write(GO_OUTPUT)
        rust = [{"benchmark": "call_no_args", "language": "rust", "impl": i, "ns_per_op": ns, "allocs_per_op": 0}
                for i, ns in (("project", 20.0), ("floor", 10.0), ("mlua", 25.0))]
        with open(os.path.join(self.dir, "rust.json"), "w") as f:
            json.dump(rust, f)
        with redirect_stdout(io.StringIO()) as out:
            self.assertEqual(bench_report.main(["--dir", self.dir, "--require", "go,rust"]), 0)
        with open(os.path.join(self.dir, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(len(summary), 7)
        self.assertTrue(all({"benchmark", "language", "impl", "ns_per_op", "allocs_per_op"} <= set(r) for r in summary))
        printed = out.getvalue()
        self.assertIn("| call_no_args | go | project | 60.0 | 0 | 6.00 | 0.60 (gopher-lua) |", printed)
        self.assertIn("| rust | call_no_args | <= 1.8x floor | 2.00 | MISSED |", printed)
        self.assertIn("| go | call_no_args | <= 0.65x gopher-lua | 0.60 | met |", printed)
        with open(os.path.join(self.dir, "ratios.svg")) as f:
            self.assertIn("<svg", f.read())

    def test_missing_required_language_fails(self):
        with redirect_stdout(io.StringIO()):
            self.assertEqual(bench_report.main(["--dir", self.dir, "--require", "rust"]), 1)


if __name__ == "__main__":
    unittest.main()
