#!/usr/bin/env python3
"""Tests of tools/matrix_parity.py: parity must fail whenever the runners diverge."""
import io
import json
import os
import shutil
import tempfile
import unittest
from contextlib import redirect_stdout

import matrix_parity

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "tests", "matrix", "cases")


class ParityTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.reports = os.path.join(self.dir, "reports")
        self.expected = os.path.join(self.dir, "expected")
        os.makedirs(self.reports)
        os.makedirs(self.expected)
        self.ids = matrix_parity.load_cases(CASES)
        for lang in matrix_parity.LANGUAGES:
            self.write_report(lang, {c: "pass" for c in self.ids})
            self.write_expected(lang, "")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write_report(self, lang, outcomes):
        with open(os.path.join(self.reports, f"{lang}.json"), "w") as f:
            json.dump({"language": lang, "cases": {c: {"outcome": o} for c, o in outcomes.items()}}, f)

    def write_expected(self, lang, text):
        with open(os.path.join(self.expected, f"{lang}.txt"), "w") as f:
            f.write(text)

    def run_parity(self, cases=CASES):
        out = io.StringIO()
        with redirect_stdout(out):
            code = matrix_parity.main(["--cases", cases, "--expected", self.expected, "--reports", self.reports])
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 1, "parity prints exactly one line")
        return code, lines[0]

    def test_all_passing_is_parity_ok(self):
        code, line = self.run_parity()
        n = len(self.ids)
        self.assertEqual(code, 0)
        self.assertEqual(line, f"matrix: {n} cases, go {n} passed, rust {n} passed, parity ok")

    def test_codegen_pass_is_folded_into_the_one_line(self):
        # Requirement: with --codegen-reports the second pass (native codegen on) is checked the
        # same way and reported on the same single line; a failure there fails parity.
        cg = os.path.join(self.dir, "codegen")
        os.makedirs(cg)
        for lang in matrix_parity.LANGUAGES:
            with open(os.path.join(cg, f"{lang}.json"), "w") as f:
                json.dump({"language": lang, "cases": {c: {"outcome": "pass"} for c in self.ids}}, f)
        n = len(self.ids)

        def run():
            out = io.StringIO()
            with redirect_stdout(out):
                code = matrix_parity.main(["--cases", CASES, "--expected", self.expected,
                                           "--reports", self.reports, "--codegen-reports", cg])
            lines = out.getvalue().splitlines()
            self.assertEqual(len(lines), 1, "parity prints exactly one line")
            return code, lines[0]

        code, line = run()
        self.assertEqual(code, 0)
        self.assertEqual(line, f"matrix: {n} cases, go {n} passed, rust {n} passed, "
                               f"with native codegen go {n} passed, rust {n} passed, parity ok")
        with open(os.path.join(cg, "rust.json"), "w") as f:
            json.dump({"language": "rust", "cases": {c: {"outcome": "fail"} for c in self.ids}}, f)
        code, line = run()
        self.assertEqual(code, 1)
        self.assertIn(f"with native codegen: rust: {self.ids[0]} fail", line)

    def test_case_missing_from_one_runner_fails(self):
        outcomes = {c: "pass" for c in self.ids[1:]}
        self.write_report("rust", outcomes)
        code, line = self.run_parity()
        self.assertEqual(code, 1)
        self.assertIn("parity FAILED: rust did not run " + self.ids[0], line)

    def test_differing_expectation_fails(self):
        # The Go runner saw a different outcome than the case expects: it reports a failure.
        outcomes = {c: "pass" for c in self.ids}
        outcomes["functional/register_simple"] = "fail"
        self.write_report("go", outcomes)
        code, line = self.run_parity()
        self.assertEqual(code, 1)
        self.assertIn("go: functional/register_simple fail", line)

    def test_listed_expected_failure_is_parity_ok_with_reason(self):
        outcomes = {c: "pass" for c in self.ids}
        outcomes["edge/unicode_name"] = "xfail"
        self.write_report("go", outcomes)
        self.write_expected("go", "edge/unicode_name  # reason given here\n")
        code, line = self.run_parity()
        n = len(self.ids)
        self.assertEqual(code, 0, line)
        self.assertIn(f"go {n - 1} passed, rust {n} passed, parity ok", line)

    def test_stale_expected_failure_fails(self):
        self.write_expected("rust", "edge/unicode_name  # was broken once\n")
        code, line = self.run_parity()
        self.assertEqual(code, 1)
        self.assertIn("stale", line)

    def test_expected_failure_without_reason_fails(self):
        self.write_expected("go", "edge/unicode_name\n")
        code, line = self.run_parity()
        self.assertEqual(code, 1)
        self.assertIn("needs a reason", line)

    def test_unknown_case_in_report_fails(self):
        outcomes = {c: "pass" for c in self.ids}
        outcomes["edge/not_a_case"] = "pass"
        self.write_report("go", outcomes)
        code, line = self.run_parity()
        self.assertEqual(code, 1)
        self.assertIn("unknown case edge/not_a_case", line)

    def test_invalid_case_file_fails(self):
        cases = os.path.join(self.dir, "cases")
        shutil.copytree(CASES, cases)
        path = os.path.join(cases, "edge.json")
        with open(path) as f:
            doc = json.load(f)
        case = next(c for c in doc["cases"] if "script" in c)
        case["expect"] = {"error": {"kind": "no_such_kind"}}
        with open(path, "w") as f:
            json.dump(doc, f)
        code, line = self.run_parity(cases)
        self.assertEqual(code, 1)
        self.assertIn("unknown error kind", line)

    def invalid_modules_line(self, options):
        cases = os.path.join(self.dir, "cases")
        shutil.copytree(CASES, cases, dirs_exist_ok=True)
        path = os.path.join(cases, "modules.json")
        with open(path) as f:
            doc = json.load(f)
        doc["cases"][0]["options"] = options
        with open(path, "w") as f:
            json.dump(doc, f)
        code, line = self.run_parity(cases)
        self.assertEqual(code, 1)
        return line

    def test_module_file_outside_the_tree_fails(self):
        self.assertIn("is not a module file", self.invalid_modules_line({"modules": {"../x.luau": "return 1"}}))
        self.assertIn("is not a module file", self.invalid_modules_line({"modules": {"lib/util": "return 1"}}))
        self.assertIn("must be the source text", self.invalid_modules_line({"modules": {"a.luau": 1}}))

    def test_host_module_needs_at_name_and_scalar_fields(self):
        self.assertIn("must begin with '@'", self.invalid_modules_line({"host_modules": {"host/x": {}}}))
        self.assertIn("fields are scalars", self.invalid_modules_line({"host_modules": {"@host/x": {"t": [1]}}}))

    def invalid_values_line(self, mutate):
        cases = os.path.join(self.dir, "cases")
        shutil.copytree(CASES, cases, dirs_exist_ok=True)
        path = os.path.join(cases, "values.json")
        with open(path) as f:
            doc = json.load(f)
        mutate({c["name"]: c for c in doc["cases"]})
        with open(path, "w") as f:
            json.dump(doc, f)
        code, line = self.run_parity(cases)
        self.assertEqual(code, 1)
        return line

    def test_handle_steps_are_checked(self):
        def no_path(cases):
            del cases["nested_100_deep"]["steps"][2]["path"]
        self.assertIn("needs a path", self.invalid_values_line(no_path))

        def fields_on_call(cases):
            cases["function_passed_back"]["steps"][2]["fields"] = {"x": 1}
        self.assertIn("fields belong to a handle_new step", self.invalid_values_line(fields_on_call))

        def handle_form_as_expectation(cases):
            cases["sequence_converts"]["expect"] = {"values": [{"handle": "t"}]}
        self.assertIn("unknown value form", self.invalid_values_line(handle_form_as_expectation))

        def sequence_as_argument(cases):
            cases["function_passed_back"]["steps"][2]["args"] = [{"sequence": [1]}]
        self.assertIn("unknown value form", self.invalid_values_line(sequence_as_argument))

        def one_shared_key(cases):
            cases["sharing_preserved"]["expect"] = {"values": [{"shared_entries": [1]}]}
        self.assertIn("at least two keys", self.invalid_values_line(one_shared_key))

    def test_missing_seed_case_fails(self):
        cases = os.path.join(self.dir, "cases")
        shutil.copytree(CASES, cases)
        path = os.path.join(cases, "functional.json")
        with open(path) as f:
            doc = json.load(f)
        doc["cases"] = [c for c in doc["cases"] if c["name"] != "nil_callback"]
        with open(path, "w") as f:
            json.dump(doc, f)
        code, line = self.run_parity(cases)
        self.assertEqual(code, 1)
        self.assertIn("seed cases missing: functional/nil_callback", line)


if __name__ == "__main__":
    unittest.main()
