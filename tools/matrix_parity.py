#!/usr/bin/env python3
"""Parity check of the shared test matrix (tests/matrix/SCHEMA.md).

Validates the case files, then compares the Go and Rust runner reports with the case set and
the per-language expected-failure lists. Prints exactly one summary line:

    matrix: N cases, go P passed, rust Q passed, parity ok
    matrix: N cases, go P passed, rust Q passed, parity FAILED: <first problem>

With --codegen-reports DIR (the second pass of `make matrix`, native code generation on) the
reports there are checked the same way and the line also says
"with native codegen go P passed, rust Q passed".

Exit status 0 on parity, 1 otherwise. Standard library only.
"""
import argparse
import json
import os
import re
import sys

LANGUAGES = ("go", "rust")
CATEGORIES = {"functional", "memory", "concurrency", "edge"}
KINDS = {"runtime", "syntax", "memory", "host", "panic", "argument", "busy", "abi",
         "closed", "concurrent_use", "conversion", "interrupted"}
ACTIONS = {"run", "call", "register", "unregister", "close", "gc", "steps", "fresh_state", "expect_registry",
           "printed", "thread", "resume", "status", "handle_call", "handle_new", "handle_get", "handle_invoke"}
STEP_EXTRAS = {"expect", "repeat", "as", "args", "hostfns", "cancel_after_ms", "deadline_ms", "within_ms", "fields",
               "path"}
VALUE_FORMS = {"bytes_hex", "string_len", "vector", "type", "sequence", "shared_entries"}
ARG_FORMS = VALUE_FORMS - {"type", "sequence", "shared_entries"} | {"handle"}
CASE_KEYS = {"name", "category", "requirement", "hostfns", "script", "expect", "steps", "bounds", "threads",
             "options"}
OPTION_KEYS = {"sandbox", "run_timeout_ms", "memory_limit_kib", "modules", "host_modules"}
MODULE_FILE_RE = re.compile(r"^(\.luaurc|([^/.][^/]*/)*[^/]+\.(luau|lua)|([^/.][^/]*/)*\.luaurc)$")
THREAD_STATUSES = {"suspended", "running", "finished", "error"}
NAME_RE = re.compile(r"^[a-z0-9_]+$")
# The seed suites every runner must carry under these ids (issue 3).
SEED_CASES = {
    "functional": ["register_simple", "register_with_args", "register_multi_return", "register_table_arg",
                   "register_overwrite", "nested_call", "error_handling", "nil_callback"],
    "memory": ["memory_register_many", "memory_call_loop", "memory_string_args", "memory_state_close",
               "memory_gc_interaction"],
    "concurrency": ["concurrent_register_multi_state", "concurrent_call_different_states",
                    "concurrent_state_creation_destruction", "concurrent_registry_access"],
    "edge": ["empty_name", "special_chars_name", "unicode_name", "call_unregistered", "deep_recursion"],
}


class ParityError(Exception):
    pass


def check_value(value, where, forms=VALUE_FORMS):
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in forms:
        (form, body), = value.items()
        if form == "sequence":
            if not isinstance(body, list):
                raise ParityError(f"{where}: sequence must be a list of values")
            for i, v in enumerate(body):
                check_value(v, f"{where}.sequence[{i}]")
        if form == "shared_entries" and (not isinstance(body, list) or len(body) < 2):
            raise ParityError(f"{where}: shared_entries must list at least two keys")
        if form == "handle" and not isinstance(body, str):
            raise ParityError(f"{where}: handle must be a label")
        return
    raise ParityError(f"{where}: unknown value form {value!r}")


def check_expect(expect, where):
    if not isinstance(expect, dict) or len(expect) != 1:
        raise ParityError(f"{where}: expect must have exactly one of ok / values / error")
    (key, body), = expect.items()
    if key == "ok":
        if body is not True:
            raise ParityError(f"{where}: expect.ok must be true")
    elif key in ("values", "yielded"):
        if not isinstance(body, list):
            raise ParityError(f"{where}: expect.{key} must be a list")
        for i, v in enumerate(body):
            check_value(v, f"{where}.{key}[{i}]")
    elif key == "error":
        if body.get("kind") not in KINDS:
            raise ParityError(f"{where}: unknown error kind {body.get('kind')!r}")
        if not all(isinstance(c, str) for c in body.get("contains", [])):
            raise ParityError(f"{where}: error.contains must be a list of strings")
        if body.get("host_identity") and body["kind"] != "host":
            raise ParityError(f"{where}: host_identity needs kind host")
        tb = body.get("traceback_once", [])
        if not isinstance(tb, list) or not all(isinstance(c, str) and c for c in tb):
            raise ParityError(f"{where}: error.traceback_once must be a list of non-empty strings")
    else:
        raise ParityError(f"{where}: unknown expectation {key!r}")


def check_modules(options, where):
    """options.modules: file name -> source; options.host_modules: '@name' -> {field: scalar}."""
    modules = options.get("modules")
    if modules is not None:
        if not isinstance(modules, dict) or not modules:
            raise ParityError(f"{where}: options.modules must be a non-empty object of file -> source")
        for name, source in modules.items():
            parts = name.split("/")
            if not MODULE_FILE_RE.match(name) or any(p in ("", ".", "..") for p in parts):
                raise ParityError(f"{where}: options.modules: {name!r} is not a module file "
                                  "(dir/name.luau, dir/name.lua or dir/.luaurc)")
            if not isinstance(source, str):
                raise ParityError(f"{where}: options.modules[{name!r}] must be the source text")
    host = options.get("host_modules")
    if host is not None:
        if not isinstance(host, dict) or not host:
            raise ParityError(f"{where}: options.host_modules must be a non-empty object")
        for name, fields in host.items():
            if not isinstance(name, str) or not name.startswith("@"):
                raise ParityError(f"{where}: options.host_modules: {name!r} must begin with '@'")
            if not isinstance(fields, dict):
                raise ParityError(f"{where}: options.host_modules[{name!r}] must be an object of fields")
            for key, value in fields.items():
                if value is not None and not isinstance(value, (bool, int, float, str)):
                    raise ParityError(f"{where}: options.host_modules[{name!r}].{key}: fields are scalars")


def check_steps(steps, where):
    if not isinstance(steps, list) or not steps:
        raise ParityError(f"{where}: steps must be a non-empty list")
    for i, step in enumerate(steps):
        at = f"{where}.steps[{i}]"
        actions = [k for k in step if k in ACTIONS]
        unknown = [k for k in step if k not in ACTIONS and k not in STEP_EXTRAS]
        if len(actions) != 1 or unknown:
            raise ParityError(f"{at}: a step needs exactly one action of {sorted(ACTIONS)} (got {sorted(step)})")
        if "expect" in step:
            check_expect(step["expect"], at)
        if "repeat" in step and (not isinstance(step["repeat"], int) or step["repeat"] < 1):
            raise ParityError(f"{at}: repeat must be a positive integer")
        for v in step.get("args", []):
            check_value(v, f"{at}.args", ARG_FORMS)
        for key, v in step.get("fields", {}).items():
            check_value(v, f"{at}.fields.{key}", ARG_FORMS)
        if ("fields" in step) != (actions[0] == "handle_new" and "fields" in step):
            raise ParityError(f"{at}: fields belong to a handle_new step")
        if (actions[0] == "handle_get") != ("path" in step):
            raise ParityError(f"{at}: a handle_get step needs a path, and only it has one")
        if "path" in step and (not isinstance(step["path"], list) or not step["path"]
                               or not all(isinstance(k, (str, int, float)) for k in step["path"])):
            raise ParityError(f"{at}: path must be a non-empty list of string or number keys")
        if actions[0] in ("steps", "fresh_state"):
            check_steps(step[actions[0]], at)
        if actions[0] == "printed" and not isinstance(step["printed"], str):
            raise ParityError(f"{at}: printed must be the expected text")
        if actions[0] == "status" and set(step.get("expect", {}).get("values", [])) - THREAD_STATUSES:
            raise ParityError(f"{at}: a thread status is one of {sorted(THREAD_STATUSES)}")
        if "yielded" in step.get("expect", {}) and actions[0] != "resume":
            raise ParityError(f"{at}: expect.yielded belongs to a resume step")
        for key in ("cancel_after_ms", "deadline_ms", "within_ms"):
            if key in step and (not isinstance(step[key], int) or step[key] < 1):
                raise ParityError(f"{at}: {key} must be a positive integer")


def load_cases(cases_dir):
    """Returns the sorted list of case ids, validating every group file."""
    ids = []
    files = sorted(f for f in os.listdir(cases_dir) if f.endswith(".json"))
    if not files:
        raise ParityError(f"no case files in {cases_dir}")
    for file_name in files:
        path = os.path.join(cases_dir, file_name)
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise ParityError(f"{file_name}: {e}")
        group = file_name[:-len(".json")]
        if doc.get("group") != group:
            raise ParityError(f"{file_name}: group must be {group!r}")
        seen = set()
        for case in doc.get("cases", []):
            name = case.get("name", "")
            where = f"{group}/{name}"
            if not NAME_RE.match(name) or name in seen:
                raise ParityError(f"{where}: missing, malformed or duplicate name")
            seen.add(name)
            if case.get("category") not in CATEGORIES:
                raise ParityError(f"{where}: category must be one of {sorted(CATEGORIES)}")
            if not case.get("requirement"):
                raise ParityError(f"{where}: state the requirement")
            unknown = sorted(set(case) - CASE_KEYS)
            if unknown:
                raise ParityError(f"{where}: unknown field {unknown[0]!r}")
            if ("script" in case) == ("steps" in case) or ("expect" in case and "script" not in case):
                raise ParityError(f"{where}: give either script (+expect) or steps")
            if "script" in case:
                check_expect(case.get("expect", {"ok": True}), where)
            else:
                check_steps(case["steps"], where)
            if case["category"] == "memory" and "bounds" not in case:
                raise ParityError(f"{where}: memory cases state their bounds")
            unknown_opts = sorted(set(case.get("options", {})) - OPTION_KEYS)
            if unknown_opts:
                raise ParityError(f"{where}: unknown option {unknown_opts[0]!r}")
            check_modules(case.get("options", {}), where)
            if ("threads" in case) != (case["category"] == "concurrency"):
                raise ParityError(f"{where}: concurrency cases (and only they) give threads")
            ids.append(where)
    missing = [f"{g}/{n}" for g, names in SEED_CASES.items() for n in names if f"{g}/{n}" not in ids]
    if missing:
        raise ParityError(f"seed cases missing: {', '.join(missing)}")
    return sorted(ids)


def load_expected_failures(path):
    """Returns {case id: reason}. Every entry needs a reason."""
    entries = {}
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            case_id, _, reason = line.partition("#")
            if not reason.strip():
                raise ParityError(f"{os.path.basename(path)}:{number}: an expected failure needs a reason")
            entries[case_id.strip()] = reason.strip()
    return entries


def check(cases_dir, expected_dir, reports_dir):
    """Returns (n_cases, passed per language, problems); raises ParityError if unreadable."""
    ids = load_cases(cases_dir)
    passed = {}
    problems = []
    for lang in LANGUAGES:
        xfail = load_expected_failures(os.path.join(expected_dir, f"{lang}.txt"))
        for case_id in xfail:
            if case_id not in ids:
                problems.append(f"{lang}: expected failure {case_id} is not a case")
        path = os.path.join(reports_dir, f"{lang}.json")
        try:
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{lang}: no readable report ({e})")
            continue
        outcomes = {k: v.get("outcome") for k, v in report.get("cases", {}).items()}
        missing = [c for c in ids if c not in outcomes]
        extra = [c for c in outcomes if c not in ids]
        if missing:
            problems.append(f"{lang} did not run {missing[0]}" + (f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""))
        if extra:
            problems.append(f"{lang} ran unknown case {extra[0]}")
        for case_id in ids:
            outcome = outcomes.get(case_id)
            if outcome is None:
                continue
            listed = case_id in xfail
            if outcome == "pass" and listed:
                problems.append(f"{lang}: {case_id} passes but is listed as an expected failure (stale)")
            elif outcome == "xfail" and not listed:
                problems.append(f"{lang}: {case_id} reported xfail but is not listed")
            elif outcome not in ("pass", "xfail"):
                detail = report["cases"][case_id].get("detail", "")
                problems.append(f"{lang}: {case_id} {outcome}" + (f" ({detail})" if detail else ""))
        passed[lang] = sum(1 for c in ids if outcomes.get(c) == "pass")
    return len(ids), passed, problems


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=os.path.join(root, "tests", "matrix", "cases"))
    parser.add_argument("--expected", default=os.path.join(root, "tests", "matrix", "expected_failures"))
    parser.add_argument("--reports", default=os.path.join(root, "target", "matrix"))
    parser.add_argument("--codegen-reports", default=None,
                        help="also check the reports of a run with native code generation on")
    parser.add_argument("--validate-only", action="store_true", help="only validate the case files")
    args = parser.parse_args(argv)
    if args.validate_only:
        try:
            ids = load_cases(args.cases)
        except ParityError as e:
            print(f"matrix: cases invalid: {e}")
            return 1
        print(f"matrix: {len(ids)} cases valid")
        return 0
    try:
        n, passed, problems = check(args.cases, args.expected, args.reports)
    except ParityError as e:
        n, passed, problems = 0, {}, [str(e)]
    counts = ", ".join(f"{lang} {passed.get(lang, 0)} passed" for lang in LANGUAGES)
    if args.codegen_reports and n:
        try:
            _, cg_passed, cg_problems = check(args.cases, args.expected, args.codegen_reports)
        except ParityError as e:
            cg_passed, cg_problems = {}, [str(e)]
        problems += [f"with native codegen: {p}" for p in cg_problems]
        counts += ", with native codegen " + ", ".join(
            f"{lang} {cg_passed.get(lang, 0)} passed" for lang in LANGUAGES)
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        print(f"matrix: {n} cases, {counts}, parity FAILED: {'; '.join(problems[:3])}{more}")
        return 1
    print(f"matrix: {n} cases, {counts}, parity ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
