//go:build !luau_bazel

package bench

// The native build (make native) links the wrapper archive from target/native. Under
// Bazel (.bazelrc sets the luau_bazel tag) it comes from cdeps = ["//luau:wrapper"].

// #cgo LDFLAGS: -L${SRCDIR}/../../target/native -lluau_embed -lstdc++ -lm
import "C"
