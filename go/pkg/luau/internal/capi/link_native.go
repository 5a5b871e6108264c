//go:build !luau_bazel

package capi

// The native build links Luau and the wrapper (libluau_embed.a) through pkg-config. Inside
// this repository the Makefile puts target/native/pkgconfig (written by `make native`) on
// PKG_CONFIG_PATH; outside it, `make install PREFIX=<dir>` in a clone installs
// <dir>/lib/pkgconfig/luau-embed.pc (README, "Outside this repository"). Without either, go
// build stops with pkg-config's "Package luau-embed was not found in the pkg-config search
// path". Under Bazel (.bazelrc sets the luau_bazel tag) the library comes from
// cdeps = ["//luau:wrapper"].

// #cgo pkg-config: luau-embed
import "C"
