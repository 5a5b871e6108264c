#!/usr/bin/env python3
"""Tests of tools/conformance_report.py: the summary must fail whenever a list goes stale, a
script fails unexpectedly, or the two runners did not run the same scripts."""
import io
import json
import os
import shutil
import tempfile
import unittest
from contextlib import redirect_stdout

import conformance_report

SCRIPTS = ("basic.luau", "coroutine.luau", "sort.luau")


class ConformanceReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.scripts = os.path.join(self.dir, "scripts")
        self.reports = os.path.join(self.dir, "reports")
        self.expected = os.path.join(self.dir, "expected")
        for d in (self.scripts, self.reports, self.expected):
            os.makedirs(d)
        for s in SCRIPTS:
            with open(os.path.join(self.scripts, s), "w") as f:
                f.write("return 'OK'\n")
        self.ids = conformance_report.case_ids(list(SCRIPTS))
        for lang in conformance_report.LANGUAGES:
            self.write_report(lang, {c: "pass" for c in self.ids})
            self.write_expected(lang, [])

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write_report(self, lang, outcomes):
        with open(os.path.join(self.reports, f"{lang}.json"), "w") as f:
            json.dump({"language": lang, "cases": {c: {"outcome": o} for c, o in outcomes.items()}}, f)

    def write_expected(self, lang, entries):
        with open(os.path.join(self.expected, f"{lang}.json"), "w") as f:
            json.dump({"entries": entries}, f)

    def run_report(self, scripts=None):
        out = io.StringIO()
        with redirect_stdout(out):
            code = conformance_report.main(["--dir", scripts or self.scripts, "--expected", self.expected,
                                            "--reports", self.reports])
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 1, "the tool prints exactly one line")
        return code, lines[0]

    def fail_in(self, lang, case_ids):
        outcomes = {c: "pass" for c in self.ids}
        for c in case_ids:
            outcomes[c] = "fail"
        self.write_report(lang, outcomes)

    def test_all_passing_is_parity_ok(self):
        # Requirement: with every script passing everywhere, one summary line and exit 0.
        code, line = self.run_report()
        self.assertEqual(code, 0, line)
        self.assertEqual(line, "conformance: 3 scripts, go 3 passed, rust 3 passed, parity ok")

    def test_listed_failures_with_reasons_are_ok(self):
        # Requirement: failures listed with a reason are expected; a script failing at one
        # level only does not count as passed.
        self.fail_in("go", ["sort/O0", "sort/O1", "sort/O2", "coroutine/O2"])
        self.write_expected("go", [
            {"script": "sort.luau", "reason": "version skew", "detail": "line 107"},
            {"script": "coroutine.luau", "opt": [2], "reason": "missing API", "detail": "line 10"},
        ])
        code, line = self.run_report()
        self.assertEqual(code, 0, line)
        self.assertEqual(line, "conformance: 3 scripts, go 1 passed, rust 3 passed, parity ok")

    def test_listed_script_that_passes_is_stale_and_fails(self):
        # Requirement: a listed script that passes fails the run, so the list cannot go stale.
        self.fail_in("rust", ["sort/O0", "sort/O1"])  # O2 passes
        self.write_expected("rust", [{"script": "sort.luau", "reason": "version skew", "detail": "line 107"}])
        code, line = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("parity FAILED: rust: sort/O2 passed but is listed (version skew): stale entry", line)

    def test_unexpected_failure_fails(self):
        self.fail_in("go", ["basic/O1"])
        code, line = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("parity FAILED: go: basic/O1 failed unexpectedly", line)

    def test_difference_between_runners_needs_an_entry(self):
        # Requirement: Go and Rust agree on every script, or the failing side lists it.
        self.fail_in("rust", ["coroutine/O0", "coroutine/O1", "coroutine/O2"])
        code, line = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("rust: coroutine/O0 failed unexpectedly", line)
        self.write_expected("rust", [{"script": "coroutine.luau", "reason": "missing API", "detail": "line 10"}])
        code, line = self.run_report()
        self.assertEqual(code, 0, line)
        self.assertIn("go 3 passed, rust 2 passed, parity ok", line)

    def test_runner_that_skipped_a_script_fails(self):
        outcomes = {c: "pass" for c in self.ids if c != "basic/O2"}
        self.write_report("go", outcomes)
        code, line = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("parity FAILED: go did not run basic/O2", line)

    def test_report_of_another_directory_fails(self):
        # Requirement: a report left over from a run on other scripts is not accepted.
        with open(os.path.join(self.reports, "go.json"), "w") as f:
            json.dump({"language": "go", "dir": os.path.join(self.dir, "elsewhere"),
                       "cases": {c: {"outcome": "pass"} for c in self.ids}}, f)
        code, line = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("parity FAILED: go ran the scripts of", line)

    def test_missing_report_fails(self):
        os.remove(os.path.join(self.reports, "rust.json"))
        code, line = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("rust: no readable report", line)

    def test_entry_needs_a_known_reason_and_a_detail(self):
        self.fail_in("go", ["sort/O0", "sort/O1", "sort/O2"])
        for bad in ({"script": "sort.luau", "reason": "flaky", "detail": "x"},
                    {"script": "sort.luau", "reason": "version skew", "detail": " "},
                    {"script": "nosuch.luau", "reason": "version skew", "detail": "x"},
                    {"script": "sort.luau", "opt": [3], "reason": "version skew", "detail": "x"}):
            self.write_expected("go", [bad])
            code, line = self.run_report()
            self.assertEqual(code, 1, bad)
            self.assertIn("parity FAILED: go.json entry 1", line)

    def test_missing_directory_is_skipped(self):
        # Requirement: without the scripts the run says how to get them, and does not fail.
        code, line = self.run_report(scripts=os.path.join(self.dir, "nowhere"))
        self.assertEqual(code, 0)
        self.assertEqual(line, conformance_report.SKIPPED)


if __name__ == "__main__":
    unittest.main()
