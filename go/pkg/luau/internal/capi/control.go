package capi

// Containment (stop handles, deadlines, sandbox, print) and threads: the sections
// "Containment" and "Threads" of luau_wrapper.h.

/*
#include <stdlib.h>
#include "luau_wrapper.h"

extern void capiGoPrint(uintptr_t ctx, char* line, size_t len);

static void capi_print_sink(uintptr_t ctx, const char* line, size_t len) {
	capiGoPrint(ctx, (char*)line, len);
}

static void capi_set_print(luaw_State* S, int32_t on, uintptr_t ctx) {
	luaw_set_print(S, on ? capi_print_sink : NULL, ctx);
}

// The helpers below take C pointers as integers (no cgocheck on the resume path).

// Pushes the thread held by ref and the first nargs values of vals, resumes it (mode 1:
// luaw_thread_resume_error with vals[0] as the error value). out[0] = the stack top at entry,
// out[1] = values it yielded or returned (left on the stack above out[0] + 1, the thread),
// out[2] = how many of them were read into vals, out[3] = 1 when the stack is back at out[0]
// already (no values, or only heap-free scalars, all read). On failure the stack is back at
// out[0].
static int32_t capi_thread_resume(uintptr_t s, uintptr_t vals, int32_t vals_cap, uintptr_t errp,
                                  uintptr_t outp, int32_t ref, int32_t nargs, int32_t mode) {
	luaw_State* S = (luaw_State*)s;
	luaw_Value* v = (luaw_Value*)vals;
	luaw_Error* err = (luaw_Error*)errp;
	int32_t* out = (int32_t*)outp;
	int32_t base = luaw_gettop(S);
	out[0] = base;
	out[1] = 0;
	out[2] = 0;
	out[3] = 0;
	if (luaw_push_ref(S, ref) != LUAW_OK) return -1;
	int32_t rc = luaw_push_values(S, v, nargs, err);
	if (rc != LUAW_OK) { luaw_settop(S, base); return rc; }
	int32_t n = 0;
	rc = mode ? luaw_thread_resume_error(S, base + 1, &n, err) : luaw_thread_resume(S, base + 1, nargs, &n, err);
	if (rc != LUAW_OK && rc != LUAW_YIELD) { luaw_settop(S, base); return rc; }
	out[1] = n;
	if (n > 0 && n <= vals_cap && luaw_read_values(S, base + 2, n, v) == LUAW_OK) out[2] = n;
	if (out[2] != n) return rc;
	for (int32_t i = 0; i < n; ++i) {
		switch (v[i].type) {
		case LUAW_TNIL: case LUAW_TBOOLEAN: case LUAW_TNUMBER: case LUAW_TINTEGER: case LUAW_TVECTOR:
			continue;
		}
		return rc;
	}
	luaw_settop(S, base);
	out[3] = 1;
	return rc;
}

static int32_t capi_thread_status(uintptr_t s, int32_t ref) {
	luaw_State* S = (luaw_State*)s;
	int32_t base = luaw_gettop(S);
	if (luaw_push_ref(S, ref) != LUAW_OK) return -1;
	int32_t st = luaw_thread_status(S, -1);
	luaw_settop(S, base);
	return st;
}

// A new thread running the function on top of the stack (popped); *ref = its reference.
static int32_t capi_thread_new_top(uintptr_t s, uintptr_t errp, uintptr_t refp) {
	luaw_State* S = (luaw_State*)s;
	luaw_Error* err = (luaw_Error*)errp;
	int32_t base = luaw_gettop(S) - 1;
	int32_t rc = luaw_thread_new(S, err);
	if (rc == LUAW_OK) rc = luaw_ref(S, -1, (int32_t*)refp, err);
	luaw_settop(S, base);
	return rc;
}

static int32_t capi_thread_reset(uintptr_t s, uintptr_t errp, int32_t tref, int32_t fref) {
	luaw_State* S = (luaw_State*)s;
	luaw_Error* err = (luaw_Error*)errp;
	int32_t base = luaw_gettop(S);
	if (luaw_push_ref(S, tref) != LUAW_OK) return -1;
	if (fref > 0 && luaw_push_ref(S, fref) != LUAW_OK) { luaw_settop(S, base); return -1; }
	int32_t rc = luaw_thread_reset(S, base + 1, fref > 0, err);
	luaw_settop(S, base);
	return rc;
}
*/
import "C"

import (
	"unsafe"
)

// Containment and thread constants of luau_wrapper.h.
const (
	Yield        = int32(C.LUAW_YIELD)
	ErrInterrupt = int32(C.LUAW_ERRINTERRUPT)
	CBYield      = int32(C.LUAW_CB_YIELD)

	StopCancel   = int32(C.LUAW_STOP_CANCEL)
	StopDeadline = int32(C.LUAW_STOP_DEADLINE)

	ThreadSuspended = int32(C.LUAW_THREAD_SUSPENDED)
	ThreadRunning   = int32(C.LUAW_THREAD_RUNNING)
	ThreadFinished  = int32(C.LUAW_THREAD_FINISHED)
	ThreadError     = int32(C.LUAW_THREAD_ERROR)

	LibsSelect   = int32(C.LUAW_LIBS_SELECT)
	LibBase      = uint32(C.LUAW_LIB_BASE)
	LibCoroutine = uint32(C.LUAW_LIB_COROUTINE)
	LibTable     = uint32(C.LUAW_LIB_TABLE)
	LibOS        = uint32(C.LUAW_LIB_OS)
	LibString    = uint32(C.LUAW_LIB_STRING)
	LibMath      = uint32(C.LUAW_LIB_MATH)
	LibDebug     = uint32(C.LUAW_LIB_DEBUG)
	LibUTF8      = uint32(C.LUAW_LIB_UTF8)
	LibBit32     = uint32(C.LUAW_LIB_BIT32)
	LibBuffer    = uint32(C.LUAW_LIB_BUFFER)
	LibVector    = uint32(C.LUAW_LIB_VECTOR)
	LibsAll      = uint32(C.LUAW_LIBS_ALL)
)

// StopHandle is a reference to a state's luaw_StopHandle. Request may be called from any
// goroutine; the handle outlives its state harmlessly.
type StopHandle struct{ h *C.luaw_StopHandle }

// NewStopHandle is luaw_stop_handle (the state's own goroutine). nil when out of memory.
func (st *State) NewStopHandle() *StopHandle {
	h := C.luaw_stop_handle(st.s)
	if h == nil {
		return nil
	}
	return &StopHandle{h: h}
}

// Request is luaw_stop_request: true if a run was going on.
func (h *StopHandle) Request(cause int32) bool {
	return C.luaw_stop_request(h.h, C.int32_t(cause)) != 0
}

// Release is luaw_stop_handle_release; h is unusable afterwards.
func (h *StopHandle) Release() {
	if h.h != nil {
		C.luaw_stop_handle_release(h.h)
		h.h = nil
	}
}

// ClockNS is luaw_clock_ns, the clock deadlines are measured on.
func ClockNS() uint64 { return uint64(C.luaw_clock_ns()) }

// SetDeadline is luaw_set_deadline (absolute ClockNS time, 0 = none).
func (st *State) SetDeadline(ns uint64) { C.luaw_set_deadline(st.s, C.uint64_t(ns)) }

// SetRunTimeout is luaw_set_run_timeout (0 = none).
func (st *State) SetRunTimeout(ns uint64) { C.luaw_set_run_timeout(st.s, C.uint64_t(ns)) }

// Sandbox is luaw_sandbox.
func (st *State) Sandbox() int32 { return int32(C.luaw_sandbox(st.s, &st.e.err)) }

// IsSandboxed is luaw_is_sandboxed.
func (st *State) IsSandboxed() bool { return C.luaw_is_sandboxed(st.s) != 0 }

// SetPrint installs the Go print sink with ctx (on) or none (print discards).
func (st *State) SetPrint(on bool, ctx uintptr) {
	o := C.int32_t(0)
	if on {
		o = 1
	}
	C.capi_set_print(st.s, o, C.uintptr_t(ctx))
}

// ToPointer is luaw_topointer: the identity of the value at idx, 0 for scalars.
func (st *State) ToPointer(idx int) uintptr { return uintptr(C.luaw_topointer(st.s, C.int32_t(idx))) }

func (st *State) sp() C.uintptr_t   { return C.uintptr_t(uintptr(unsafe.Pointer(st.s))) }
func (st *State) errp() C.uintptr_t { return C.uintptr_t(uintptr(unsafe.Pointer(&st.e.err))) }

// ThreadNewTop makes a thread of the function on top of the stack (popped) and returns a
// reference to the thread.
func (st *State) ThreadNewTop() (ref int32, status int32) {
	rc := int32(C.capi_thread_new_top(st.sp(), st.errp(), C.uintptr_t(uintptr(unsafe.Pointer(&st.e.ref)))))
	return int32(st.e.ref), rc
}

// ThreadResume resumes the thread held by ref with the first nargs values of the value
// buffer (asError: luaw_thread_resume_error with the first value). status is OK (returned),
// Yield (yielded) or an error (then nothing is left on the stack). On OK / Yield the nres
// values sit above base+1 (the thread), nread of them already in the value buffer; when
// restored, they were all heap-free scalars, read, and the stack is back at base (one
// crossing in all).
func (st *State) ThreadResume(ref int32, nargs int, asError bool) (base, nres, nread int, restored bool, status int32) {
	mode := C.int32_t(0)
	if asError {
		mode = 1
	}
	rc := int32(C.capi_thread_resume(st.sp(), C.uintptr_t(uintptr(unsafe.Pointer(st.e.vals))), st.e.vals_cap,
		st.errp(), C.uintptr_t(uintptr(unsafe.Pointer(&st.e.out[0]))), C.int32_t(ref), C.int32_t(nargs), mode))
	o := &st.e.out
	return int(o[0]), int(o[1]), int(o[2]), o[3] != 0, rc
}

// ThreadStatus is luaw_thread_status of the thread held by ref (-1: not a thread).
func (st *State) ThreadStatus(ref int32) int32 {
	return int32(C.capi_thread_status(st.sp(), C.int32_t(ref)))
}

// ThreadReset is luaw_thread_reset of the thread held by tref, with the function held by
// fref as its new body (fref <= 0: none).
func (st *State) ThreadReset(tref, fref int32) int32 {
	return int32(C.capi_thread_reset(st.sp(), st.errp(), C.int32_t(tref), C.int32_t(fref)))
}

// PrintHandler receives each line a script printed on a state whose sink is on (ctx as
// given to SetPrint). line is C memory, valid during the call only.
var PrintHandler func(ctx uintptr, line []byte)

// PrintPanicked is called when PrintHandler panicked (the panic barrier of the print sink).
var PrintPanicked func(ctx uintptr, v any)

//export capiGoPrint
func capiGoPrint(ctx C.uintptr_t, line *C.char, n C.size_t) {
	defer func() {
		if v := recover(); v != nil && PrintPanicked != nil {
			func() {
				defer func() { _ = recover() }()
				PrintPanicked(uintptr(ctx), v)
			}()
		}
	}()
	if PrintHandler == nil {
		return
	}
	var b []byte
	if n > 0 {
		b = unsafe.Slice((*byte)(unsafe.Pointer(line)), int(n))
	}
	PrintHandler(uintptr(ctx), b)
}

// Continuation is call->continuation: 0 for a call from Luau, else the token the host gave
// with its yield (SetYieldContinuation) when this call continues that yield.
func (c *Call) Continuation() uint64 { return uint64(c.continuation) }

// SetYieldContinuation sets call->yield_continuation (with CBYield: call again on resume).
func (c *Call) SetYieldContinuation(token uint64) { c.yield_continuation = C.uint64_t(token) }
