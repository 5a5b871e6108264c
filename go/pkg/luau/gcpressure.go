package luau

import "sync/atomic"

// The Go GC cannot see the C memory a state holds (its Luau heap and the wrapper's buffers,
// about 100 KiB for a fresh state with the standard libraries). A State dropped without
// Close is closed by its finalizer, but finalizers run only after a GC cycle, which C
// allocations never trigger: thousands of unclosed states could pile up before one ran.
// So every open state holds a Go allocation standing for its C memory at creation (never
// written, so the OS backs it lazily): the GC paces itself as if it saw the C memory, and
// unclosed, unreachable states are finalized at the pace their memory calls for. Close
// drops it at once.

// stateOverhead is the wrapper's C memory per state beyond the Luau heap (frames, scratch
// and error buffers, the state's own structures), measured on a fresh state.
const stateOverhead = 48 << 10

// openStates counts the states New made that are not closed yet (tests read it).
var openStates atomic.Int64

// holdPressure makes the Go GC account for st's C memory; called once by New.
func (st *state) holdPressure() {
	st.pressure = make([]byte, int(st.c.MemoryUsed())+stateOverhead)
	openStates.Add(1)
}

// releasePressure drops the stand-in allocation; called when the state closes.
func (st *state) releasePressure() {
	if st.pressure != nil {
		st.pressure = nil
		openStates.Add(-1)
	}
}
