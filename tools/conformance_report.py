#!/usr/bin/env python3
"""Summary of Luau's conformance suite through both bindings (tests/conformance/README.md).

Reads the Go and Rust runners' reports (target/conformance/{go,rust}.json: the raw outcome,
"pass" or "fail", of every <script>/O<level>) and the per-language expected-failure lists
(tests/conformance/expected_failures/{go,rust}.json), and prints exactly one line:

    conformance: N scripts, go P passed, rust Q passed, parity ok
    conformance: N scripts, go P passed, rust Q passed, parity FAILED: <first problem> (+k more)
    conformance: SKIPPED: set LUAU_CONFORMANCE_DIR to a Luau checkout's tests/conformance

A script counts as passed when it passed at every optimisation level. The run fails (exit 1)
on an unexpected failure, a stale entry (a listed script that passed), a malformed entry, a
report that is missing or did not run every script at every level, or a difference between
Go and Rust that is not listed with its reason on the failing side. Standard library only.
"""
import argparse
import json
import os
import sys

LANGUAGES = ("go", "rust")
LEVELS = (0, 1, 2)
REASONS = ("missing API", "version skew", "build config", "needs a C++-only hook")
SKIPPED = "conformance: SKIPPED: set LUAU_CONFORMANCE_DIR to a Luau checkout's tests/conformance"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ReportError(Exception):
    pass


def default_dir():
    """LUAU_CONFORMANCE_DIR, else ../shared/luau-conformance/tests from the repository root."""
    return os.environ.get("LUAU_CONFORMANCE_DIR") or os.path.join(ROOT, "..", "shared", "luau-conformance", "tests")


def load_scripts(directory):
    scripts = sorted(f for f in os.listdir(directory) if f.endswith(".luau"))
    if not scripts:
        raise ReportError(f"no .luau scripts in {directory}")
    return scripts


def case_ids(scripts):
    return [f"{s[:-len('.luau')]}/O{level}" for s in scripts for level in LEVELS]


def load_expected(path, scripts):
    """Returns {case id: (reason, detail)}; raises ReportError for a malformed list."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise ReportError(f"{name}: {e}")
    out = {}
    for i, entry in enumerate(doc.get("entries", [])):
        where = f"{name} entry {i + 1}"
        script = entry.get("script")
        if script not in scripts:
            raise ReportError(f"{where}: {script!r} is not a script of the suite")
        if entry.get("reason") not in REASONS:
            raise ReportError(f"{where} ({script}): reason must be one of {', '.join(REASONS)}")
        if not str(entry.get("detail", "")).strip():
            raise ReportError(f"{where} ({script}): give the detail (which line, what is missing)")
        levels = entry.get("opt") or list(LEVELS)
        if any(level not in LEVELS for level in levels):
            raise ReportError(f"{where} ({script}): opt levels are 0, 1 and 2")
        for level in levels:
            case = f"{script[:-len('.luau')]}/O{level}"
            if case in out:
                raise ReportError(f"{where}: {case} is listed twice")
            out[case] = (entry["reason"], entry["detail"])
    return out


def check(directory, expected_dir, reports_dir):
    """Returns (n_scripts, passed per language, problems)."""
    scripts = load_scripts(directory)
    ids = case_ids(scripts)
    problems = []
    passed = {}
    for lang in LANGUAGES:
        try:
            expected = load_expected(os.path.join(expected_dir, f"{lang}.json"), scripts)
        except ReportError as e:
            problems.append(str(e))
            expected = {}
        path = os.path.join(reports_dir, f"{lang}.json")
        try:
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{lang}: no readable report ({e})")
            passed[lang] = 0
            continue
        ran_on = report.get("dir")
        if ran_on and os.path.realpath(ran_on) != os.path.realpath(directory):
            problems.append(f"{lang} ran the scripts of {ran_on}, not {directory}")
        got = {k: v.get("outcome") for k, v in report.get("cases", {}).items()}
        missing = [c for c in ids if c not in got]
        if missing:
            more = f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""
            problems.append(f"{lang} did not run {missing[0]}{more}")
        for case in ids:
            outcome = got.get(case)
            if outcome is None:
                continue
            if outcome not in ("pass", "fail"):
                problems.append(f"{lang}: {case} has unknown outcome {outcome!r}")
            elif outcome == "fail" and case not in expected:
                problems.append(f"{lang}: {case} failed unexpectedly")
            elif outcome == "pass" and case in expected:
                problems.append(f"{lang}: {case} passed but is listed ({expected[case][0]}): stale entry, remove it")
        passed[lang] = sum(1 for s in scripts
                           if all(got.get(f"{s[:-len('.luau')]}/O{level}") == "pass" for level in LEVELS))
    # Parity needs nothing more: a case one side did not run is reported above, and where the
    # two sides differ the failing side must list the script with its reason (also above).
    return len(scripts), passed, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=None, help="the conformance scripts (default: LUAU_CONFORMANCE_DIR)")
    parser.add_argument("--expected", default=os.path.join(ROOT, "tests", "conformance", "expected_failures"))
    parser.add_argument("--reports", default=os.path.join(ROOT, "target", "conformance"))
    args = parser.parse_args(argv)
    directory = args.dir or default_dir()
    if not os.path.isdir(directory):
        print(SKIPPED)
        return 0
    try:
        n, passed, problems = check(directory, args.expected, args.reports)
    except ReportError as e:
        print(f"conformance: FAILED: {e}")
        return 1
    head = f"conformance: {n} scripts, go {passed.get('go', 0)} passed, rust {passed.get('rust', 0)} passed"
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        print(f"{head}, parity FAILED: {problems[0]}{more}")
        return 1
    print(f"{head}, parity ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
