// The Go benchmark suite (issue 4): its own module, so the peers it measures (gopher-lua,
// gopher-luar) are never dependencies of the library. The module path lies under
// go/pkg/luau so that it may import the library's internal bench hook (capi.StateOf):
// the public API is not widened for benchmarks.
module github.com/luau-embed/luau-embed/go/pkg/luau/internal/bench

go 1.23

require (
	github.com/luau-embed/luau-embed v0.0.0
	github.com/yuin/gopher-lua v1.1.2
	layeh.com/gopher-luar v1.0.11
)

replace github.com/luau-embed/luau-embed => ../..
