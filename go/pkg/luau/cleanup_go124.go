//go:build go1.24

package luau

import "runtime"

// handleCleanup releases a handle's references when the Go GC finds the handle
// unreachable: runtime.AddCleanup, whose function only queues them (state.dropRefs).
type handleCleanup struct{ c runtime.Cleanup }

func addHandleCleanup[T any](p *T, st *state, r deadRefs) handleCleanup {
	return handleCleanup{runtime.AddCleanup(p, st.dropRefs, r)}
}

// stop cancels the cleanup of p (Release, or references that changed).
func (h handleCleanup) stop(p any) { h.c.Stop() }
