"""OFFLINE VERIFICATION ONLY - not rules_go. See ../MODULE.bazel."""

load("//go/private:shim.bzl", _go_binary = "go_binary", _go_library = "go_library", _go_test = "go_test")

go_library = _go_library
go_test = _go_test
go_binary = _go_binary
