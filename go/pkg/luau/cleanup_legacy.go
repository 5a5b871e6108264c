//go:build !go1.24

package luau

import "runtime"

// handleCleanup before Go 1.24 (no runtime.AddCleanup): a finalizer that only queues the
// references (state.dropRefs).
type handleCleanup struct{}

func addHandleCleanup[T any](p *T, st *state, r deadRefs) handleCleanup {
	runtime.SetFinalizer(p, func(*T) { st.dropRefs(r) })
	return handleCleanup{}
}

// stop cancels the finalizer of p (Release, or references that changed).
func (handleCleanup) stop(p any) { runtime.SetFinalizer(p, nil) }
