// Package luau embeds Luau (https://luau.org) in Go programs through luau-embed's shared
// C wrapper (luau/c/luau_wrapper.h), the same one the Rust crate uses.
//
// A State is one Luau VM:
//
//	s, err := luau.New()
//	defer s.Close()
//	results, err := s.DoString(`return 1 + 2`)
//
// Go functions become Luau functions with RegisterFunc. A host function reads its
// arguments from a CallContext and pushes its results to it; nil, boolean, number, string
// and vector arguments and results cross cgo once per call, and string arguments are
// borrowed from Luau, not copied.
//
// # Values
//
// Values convert by copy (see Value): a Luau table whose keys are exactly 1..n becomes a
// []any, any other table a map[any]any. To work on a table itself, hold it as a *Table
// (State.NewTable, State.GlobalTable, Function.CallHandles); Luau functions and threads are
// always handles (*Function, *Thread). Handles are released by Release / Close, or
// automatically once the Go program drops them (at the State's next entry after Go's
// garbage collector found them unreachable).
//
// # Errors
//
// Every error is an *Error with a Kind (one per status code of the C ABI, plus
// KindClosed, KindConcurrentUse, KindConversion and KindPoisoned), a Message and, for runtime errors, a
// Traceback. No Luau error ever unwinds through a Go frame: the wrapper raises it only
// after the Go host function has returned.
//
// A host function's error becomes a Luau error that pcall can catch; if it escapes the
// script, the caller gets KindHost and errors.Is / errors.As find the original error. A
// host function's panic becomes a Luau error that pcall cannot swallow, and the original
// panic value is re-panicked on the calling goroutine when the outermost call returns.
//
// A host function must not end its goroutine (runtime.Goexit, t.FailNow): the Go runtime
// would discard the Luau frames of the call, so the State is then poisoned: every later
// call returns KindPoisoned, and Close releases only the Go side.
//
// # Concurrency
//
// A State is used by one goroutine at a time; a second goroutine entering it gets
// KindConcurrentUse (detected, never corrupted). A host function may use its own State
// again (nested calls), to any depth the C stack allows. Distinct States are independent
// and may run on different goroutines in parallel; the global function registry takes no
// lock on the call path.
package luau
