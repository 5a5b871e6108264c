"""Compiler options shared by every Luau and wrapper translation unit.

Mirrors luau/CMakeLists.txt and rust/luau/build.rs: the ABI defines live only in
luau/c/luau_config.h, which is force-included into each translation unit.
"""

# Path of the config header relative to the execution root (the main repository).
LUAU_CONFIG_HEADER = "luau/c/luau_config.h"

# Every Luau and wrapper translation unit. Always -O2, as build.rs does: an unoptimised VM
# makes test runs crawl and its large frames exhaust thread stacks in nested-call tests.
LUAU_COMMON_COPTS = [
    "-O2",
    "-std=c++17",
    "-fno-math-errno",
    "-include",
    LUAU_CONFIG_HEADER,
]

# Luau's own sources are third-party: no warnings (as in CMake).
LUAU_THIRD_PARTY_COPTS = LUAU_COMMON_COPTS + ["-w"]

# The wrapper's own sources: warnings are errors (as in CMake).
LUAU_WRAPPER_COPTS = LUAU_COMMON_COPTS + [
    "-Wall",
    "-Wextra",
    "-Werror",
]
