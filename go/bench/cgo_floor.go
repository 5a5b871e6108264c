package bench

// The Go "cgo floor" (issue 15): an empty Go function exported to C. The raw floor functions
// registered with LUAW_FLOOR_HOOKED call it once per call (luau/c/luau_bench_floor.h), so
// BenchmarkLuau/<call benchmark>/cgo_floor is the raw C floor plus exactly one C -> Go cgo
// callback: the least any Go host function called from Luau can cost. This file holds only
// the export (cgo allows declarations, not definitions, in the preamble of a file with
// //export); floor.go installs it as the hook.

import "C"

//export benchFloorGoEmpty
func benchFloorGoEmpty() {}
