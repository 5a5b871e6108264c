package capi

/*
#include "luau_wrapper.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Value has the layout of luaw_Value (checked below). Values live in C memory (call
// arguments, call results, the state's value buffer) and are accessed in place.
type Value struct {
	Type       int32
	StackIndex int32
	u0, u1     uint64 // the union: boolean | number | integer | vector[4] | string{ptr, len}
}

// The layouts must agree exactly: a compile error here means luau_wrapper.h changed.
var (
	_ [unsafe.Sizeof(Value{}) - C.sizeof_luaw_Value]byte
	_ [C.sizeof_luaw_Value - unsafe.Sizeof(Value{})]byte
	_ [unsafe.Offsetof(Value{}.u0) - unsafe.Offsetof(C.luaw_Value{}.u)]byte
	_ [unsafe.Offsetof(C.luaw_Value{}.u) - unsafe.Offsetof(Value{}.u0)]byte
)

// Bool reads u.boolean.
func (v *Value) Bool() bool { return *(*int32)(unsafe.Pointer(&v.u0)) != 0 }

// Number reads u.number.
func (v *Value) Number() float64 { return *(*float64)(unsafe.Pointer(&v.u0)) }

// Integer reads u.integer.
func (v *Value) Integer() int64 { return int64(v.u0) }

// Vector reads u.vector[0..2].
func (v *Value) Vector() (x, y, z float32) {
	f := (*[4]float32)(unsafe.Pointer(&v.u0))
	return f[0], f[1], f[2]
}

// BorrowString returns u.string without copying: valid only while the Luau value it came
// from stays on the stack (for call arguments: until the host function returns).
func (v *Value) BorrowString() string {
	if v.u1 == 0 {
		return ""
	}
	return unsafe.String((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&v.u0))), int(v.u1))
}

// StringLen is u.string.len.
func (v *Value) StringLen() int { return int(v.u1) }

// SetNil / SetBool / SetNumber / SetInteger / SetVector / SetStack / SetCString set the value.
func (v *Value) SetNil() { v.Type, v.StackIndex, v.u0, v.u1 = TNil, 0, 0, 0 }

func (v *Value) SetBool(b bool) {
	v.Type, v.StackIndex, v.u0, v.u1 = TBoolean, 0, 0, 0
	if b {
		*(*int32)(unsafe.Pointer(&v.u0)) = 1
	}
}

func (v *Value) SetNumber(f float64) {
	v.Type, v.StackIndex, v.u1 = TNumber, 0, 0
	*(*float64)(unsafe.Pointer(&v.u0)) = f
}

func (v *Value) SetInteger(i int64) { v.Type, v.StackIndex, v.u0, v.u1 = TInteger, 0, uint64(i), 0 }

func (v *Value) SetVector(x, y, z float32) {
	v.Type, v.StackIndex = TVector, 0
	f := (*[4]float32)(unsafe.Pointer(&v.u0))
	f[0], f[1], f[2], f[3] = x, y, z, 0
}

// SetStack makes v "the value at stack index idx" (results and pushes).
func (v *Value) SetStack(idx int) { v.Type, v.StackIndex, v.u0, v.u1 = TStack, int32(idx), 0, 0 }

// SetCString points v at n bytes of C memory (never Go memory).
func (v *Value) SetCString(p unsafe.Pointer, n int) {
	v.Type, v.StackIndex, v.u0, v.u1 = TString, 0, uint64(uintptr(p)), uint64(n)
}

// Call is luaw_Call: one host-function call, read and written in place (C memory).
type Call C.luaw_Call

// FunctionID is call->function_id.
func (c *Call) FunctionID() uint64 { return uint64(c.function_id) }

// Name is call->name, borrowed for the duration of the call.
func (c *Call) Name() string {
	if c.name_len == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Pointer(c.name)), int(c.name_len))
}

// Args is call->args[0..nargs), in C memory, valid for this call only.
func (c *Call) Args() []Value {
	if c.nargs == 0 {
		return nil
	}
	return unsafe.Slice((*Value)(unsafe.Pointer(c.args)), int(c.nargs))
}

// NResults is call->nresults.
func (c *Call) NResults() int { return int(c.nresults) }

// ResetResults drops the results written so far.
func (c *Call) ResetResults() { c.nresults = 0 }

// AddResult appends a result slot (growing the results array through the wrapper when it
// is full) and returns it, or nil when memory ran out.
func (c *Call) AddResult() *Value {
	if c.nresults >= c.results_cap {
		want := c.results_cap * 2
		if want < 8 {
			want = 8
		}
		if C.luaw_call_reserve_results((*C.luaw_Call)(c), want) != C.LUAW_OK {
			return nil
		}
	}
	v := (*Value)(unsafe.Add(unsafe.Pointer(c.results), uintptr(c.nresults)*unsafe.Sizeof(Value{})))
	c.nresults++
	return v
}

// CopyToScratch copies s into call->scratch and returns the C address of the copy, or nil
// when memory ran out. Growing the scratch rebases earlier results and the error message.
func (c *Call) CopyToScratch(s string) unsafe.Pointer {
	n := C.size_t(len(s))
	if c.scratch_cap-c.scratch_len < n {
		if C.luaw_call_reserve_scratch((*C.luaw_Call)(c), n) != C.LUAW_OK {
			return nil
		}
	}
	p := unsafe.Add(unsafe.Pointer(c.scratch), uintptr(c.scratch_len))
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	c.scratch_len += n
	return p
}

// SetError sets the message (copied into scratch) and token of LUAW_CB_ERROR / PANIC.
func (c *Call) SetError(msg string, token uint64) {
	c.error_token = C.uint64_t(token)
	p := c.CopyToScratch(msg)
	if p == nil {
		// Out of memory for the message: the wrapper substitutes a generic one.
		c.error_message, c.error_message_len = nil, 0
		return
	}
	c.error_message = (*C.char)(p)
	c.error_message_len = C.size_t(len(msg))
}

// Dispatcher is the Go side of the host-function protocol, installed once by the public
// package. It must write results or the error into call and return one of CB*.
// It runs inside a cgo callback: it must never call runtime.Goexit.
var Dispatcher func(stateID uint64, call *Call) int32

// PanicHandler is called when Dispatcher panicked: the deferred recover here is the one
// panic barrier of a host call (the public package has no defer of its own on the call
// path), so v is a host function's panic or a bug in the binding; PanicHandler tells them
// apart. It returns the code to give the wrapper.
var PanicHandler func(stateID uint64, call *Call, v any) int32

// GoexitHandler is called when a host function ended its goroutine inside the callback
// (runtime.Goexit, e.g. t.FailNow): the Go runtime then abandons the C and Luau frames
// below without running them, so that state must never be used again.
var GoexitHandler func(stateID uint64, call *Call)

// PanicNil is the value PanicHandler receives for panic(nil) under GODEBUG=panicnil=1
// (the default of a main module declaring go < 1.21), where recover() returns nil for it
// exactly as during runtime.Goexit.
var PanicNil = new(struct{ _ byte })

// unwindingPanic reports whether the deferred function that calls it runs because of a
// panic rather than runtime.Goexit: the frame that runs deferred calls tells them apart
// (runtime.gopanic or runtime.Goexit). Called only when recover() returned nil before the
// callback returned, so it costs nothing on the call path.
func unwindingPanic() bool {
	var pcs [64]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		switch f.Function {
		case "runtime.gopanic":
			return true
		case "runtime.Goexit":
			return false
		}
		if !more {
			return false
		}
	}
}

//export capiGoDispatch
func capiGoDispatch(stateID C.uint64_t, call *C.luaw_Call) (rc C.int32_t) {
	c := (*Call)(call)
	returned := false
	// The panic barrier: nothing may unwind into the wrapper's C++ frames.
	defer func() {
		if returned { // the call path: no panic to recover, so no recover() call to pay for
			return
		}
		v := recover() // exactly once: a second call would see no panic
		if v == nil {
			if !unwindingPanic() {
				if GoexitHandler != nil {
					GoexitHandler(uint64(stateID), c) // neither a panic nor a return: Goexit
				}
				return
			}
			v = PanicNil // panic(nil) with GODEBUG=panicnil=1: recovered, never lost
		}
		rc = C.int32_t(CBPanic)
		if PanicHandler != nil {
			func() {
				defer func() { _ = recover() }()
				rc = C.int32_t(PanicHandler(uint64(stateID), c, v))
			}()
		}
	}()
	if Dispatcher == nil {
		returned = true
		c.SetError("no Go dispatcher installed", 0)
		return C.int32_t(CBError)
	}
	rc = C.int32_t(Dispatcher(uint64(stateID), c))
	returned = true
	return rc
}
