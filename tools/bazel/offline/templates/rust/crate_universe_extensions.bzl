"""OFFLINE VERIFICATION ONLY - `@rules_rust//crate_universe:extensions.bzl` for Debian's
rules_rust 0.54.1, which only has the older name `extension.bzl` (current rules_rust
has both). Lets the unchanged MODULE.bazel load the current name."""

load(":extension.bzl", _crate = "crate")

crate = _crate
