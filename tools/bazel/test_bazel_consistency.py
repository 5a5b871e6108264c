#!/usr/bin/env python3
"""Tests of tools/bazel_consistency.py: it must fail when a test file is missing from every
BUILD file and when the Luau archive's sha256 differs from Cargo.lock, and pass otherwise.

Each test builds a small repository in a temporary directory, starting from this
repository's real MODULE.bazel, Cargo.toml and Cargo.lock, then breaks one thing.
Run: python3 tools/bazel/test_bazel_consistency.py (part of make bazel-check).
"""

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import bazel_consistency  # noqa: E402

LUAU_BUILD = """\
cc_library(
    name = "wrapper",
    srcs = ["c/src/state.cpp"],
    hdrs = ["c/luau_wrapper.h"],
)

cc_test(
    name = "wrapper_test",
    srcs = ["tests/wrapper_test.cpp"],
    deps = [":wrapper"],
)
"""

GLOB_BUILD = """\
cc_test(
    name = "wrapper_test",
    srcs = glob(["tests/*.cpp"], exclude = ["tests/skip_*.cpp"]),
)
"""


class CheckerTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="bazel-consistency-test-")
        for f in ("MODULE.bazel", "Cargo.toml", "Cargo.lock"):
            shutil.copy(os.path.join(REPO, f), os.path.join(self.root, f))
        self.write("BUILD.bazel", 'exports_files(["Cargo.toml"])\n')
        # One BUILD package per Cargo workspace member, as the real repository has.
        for member in re.findall(r'"([^"]+)"', re.search(
                r"members\s*=\s*\[(.*?)\]", self.read("Cargo.toml"), re.S).group(1)):
            self.write(member + "/BUILD.bazel", 'exports_files(["Cargo.toml"])\n')
            self.write(member + "/Cargo.toml", "[package]\n")
        self.write("luau/BUILD.bazel", LUAU_BUILD)
        self.write("luau/c/luau_wrapper.h", "/* C ABI */\n")
        self.write("luau/c/src/state.cpp", "int x;\n")
        self.write("luau/tests/wrapper_test.cpp", "int main() {}\n")

    def tearDown(self):
        shutil.rmtree(self.root)

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def read(self, rel):
        with open(os.path.join(self.root, rel)) as f:
            return f.read()

    def run_checker(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = bazel_consistency.main(["--root", self.root])
        return code, out.getvalue()

    def test_consistent_repository_passes(self):
        code, out = self.run_checker()
        self.assertEqual(code, 0, out)
        self.assertIn("bazel-consistency: ok", out)

    def test_fails_when_a_test_file_is_in_no_build_file(self):
        self.write("luau/tests/registry_test.cpp", "int y;\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("coverage: luau/tests/registry_test.cpp is not in any target of //luau", out)

    def test_fails_for_a_test_directory_without_build_file(self):
        os.remove(os.path.join(self.root, "BUILD.bazel"))
        self.write("tests/matrix/cases/new.json", "{}\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("coverage: tests/matrix/cases/new.json has no BUILD.bazel", out)

    def test_globs_follow_bazel_semantics(self):
        self.write("luau/BUILD.bazel", GLOB_BUILD)
        os.remove(os.path.join(self.root, "luau/c/src/state.cpp"))
        os.remove(os.path.join(self.root, "luau/c/luau_wrapper.h"))
        self.write("luau/tests/more_test.cpp", "int z;\n")
        self.assertEqual(self.run_checker()[0], 0)
        # '*' does not enter subdirectories, and exclude wins.
        self.write("luau/tests/sub/deep_test.cpp", "int d;\n")
        self.write("luau/tests/skip_me.cpp", "int s;\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("luau/tests/sub/deep_test.cpp is not in any target", out)
        self.assertIn("luau/tests/skip_me.cpp is not in any target", out)

    def pinned_luau_entry(self):
        """(version, checksum) of the luau0-src entry of Cargo.lock whose checksum MODULE.bazel pins."""
        module = self.read("MODULE.bazel")
        entries = re.findall(r'name = "luau0-src"\nversion = "([^"]+)"\n[^\[]*?checksum = "([0-9a-f]{64})"',
                             self.read("Cargo.lock"))
        pinned = [e for e in entries if e[1] in module]
        self.assertEqual(len(pinned), 1, entries)
        return pinned[0]

    def test_fails_when_archive_sha256_differs_from_cargo_lock(self):
        module = self.read("MODULE.bazel")
        # luau-embed's luau0-src: the entry MODULE.bazel pins (a benchmark peer may lock another).
        _, lock_sum = self.pinned_luau_entry()
        self.assertIn(lock_sum, module)
        self.write("MODULE.bazel", module.replace(lock_sum, "0" * 64))
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("luau-pin: MODULE.bazel http_archive luau_src sha256 " + "0" * 64, out)

    def test_fails_when_cargo_lock_moves_to_another_luau_version(self):
        lock = self.read("Cargo.lock")
        version, _ = self.pinned_luau_entry()
        # The entry and luau-embed's dependency on it (named with its version when two are locked).
        self.write("Cargo.lock", lock.replace(version, "9.9.9+luau999"))
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("luau0-src-9.9.9+luau999.crate", out)

    def test_fails_when_a_workspace_member_is_not_in_from_cargo(self):
        toml = self.read("Cargo.toml")
        self.write("Cargo.toml", re.sub(r"members\s*=\s*\[", 'members = ["rust/luau-extra", ', toml, count=1))
        self.write("rust/luau-extra/BUILD.bazel", "")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("lacks //rust/luau-extra:Cargo.toml", out)

    def test_fails_when_a_go_requirement_has_no_use_repo(self):
        self.write("go.mod", "module example.com/m\n\ngo 1.21\n\nrequire (\n\tgithub.com/example/some-peer v1.1.1\n"
                             "\tgolang.org/x/sys v0.1.0 // indirect\n)\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn('go.mod requires github.com/example/some-peer; add use_repo(go_deps, "com_github_example_some_peer")', out)
        self.assertNotIn("golang.org/x/sys", out)
        self.write("MODULE.bazel", self.read("MODULE.bazel") + '\nuse_repo(go_deps, "com_github_example_some_peer")\n')
        self.assertEqual(self.run_checker()[0], 0)
        # A nested module's requirement of this repository (replaced by a directory) is no go_deps repo.
        self.write("go/bench/go.mod", "module example.com/m/bench\n\nrequire example.com/m v0.0.0\n\n"
                                      "replace example.com/m => ../..\n")
        self.write("go/bench/BUILD.bazel", 'exports_files(["go.mod"])\n')
        self.assertEqual(self.run_checker()[0], 0)

    def test_fails_when_native_cgo_link_is_not_tagged(self):
        self.write("go/capi/BUILD.bazel", 'go_library(name = "capi", srcs = glob(["*.go"]))\n')
        self.write("go/capi/capi.go", "package capi\n\n// #cgo LDFLAGS: -L${SRCDIR}/target/native -lluau_embed\nimport \"C\"\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("cgo: go/capi/capi.go", out)
        self.write("go/capi/capi.go", "//go:build !luau_bazel\n\n" + self.read("go/capi/capi.go"))
        self.assertEqual(self.run_checker()[0], 0)
        # The same for the pkg-config route (luau-embed.pc).
        self.write("go/capi/link.go", "package capi\n\n// #cgo pkg-config: luau-embed\nimport \"C\"\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("cgo: go/capi/link.go", out)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=0).result
    failed = len(result.failures) + len(result.errors)
    print("bazel-consistency tests: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
