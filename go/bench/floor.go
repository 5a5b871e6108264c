// Package bench is luau-embed's Go benchmark suite (issue 4, DESIGN.md section 6): the
// binding ("project") side by side with the raw C floor (luau/c/luau_bench_floor.h) and
// the pure-Go peers gopher-lua and gopher-luar, in one run. See bench_test.go.
//
// This file holds the cgo calls of the floor: raw lua_CFunctions compiled into
// libluau_embed.a, registered on the luaw_State* of a luau.State through the library's
// internal bench hook (capi.StateOf), so the floor and the project share one state kind,
// one Luau build and the identical Luau loop.
package bench

/*
#cgo CFLAGS: -I${SRCDIR}/../../luau/c
#include <stdlib.h>
#include "luau_bench_floor.h"

// Refs the global `name` (luaw_ref), leaving the stack as it was.
static int32_t bench_ref_global(luaw_State* S, const char* name, size_t len, int32_t* ref) {
	luaw_Error err;
	int32_t t = 0;
	int32_t top = luaw_gettop(S);
	int32_t rc = luaw_getglobal(S, name, len, &t, &err);
	if (rc == LUAW_OK) rc = luaw_ref(S, -1, ref, &err);
	luaw_settop(S, top);
	return rc;
}

// luaw_floor_call_ref with its result returned by value (no Go pointer crosses cgo, so
// nothing escapes to the Go heap).
typedef struct bench_result { int32_t rc; double value; } bench_result;
static bench_result bench_call_ref(luaw_State* S, int32_t ref, double arg) {
	bench_result r;
	r.rc = luaw_floor_call_ref(S, ref, arg, &r.value);
	return r;
}

// luaw_floor_resume_ref with the yielded number returned by value.
static bench_result bench_resume_ref(luaw_State* S, int32_t ref, double arg) {
	bench_result r;
	r.rc = luaw_floor_resume_ref(S, ref, arg, &r.value);
	return r;
}

// Creates a thread running the function global `name` and refs it (luaw_thread_new).
static int32_t bench_ref_thread(luaw_State* S, const char* name, size_t len, int32_t* ref) {
	luaw_Error err;
	int32_t t = 0;
	int32_t top = luaw_gettop(S);
	int32_t rc = luaw_getglobal(S, name, len, &t, &err);
	if (rc == LUAW_OK) rc = luaw_thread_new(S, &err);
	if (rc == LUAW_OK) rc = luaw_ref(S, -1, ref, &err);
	luaw_settop(S, top);
	return rc;
}

// The Go function of cgo_floor.go, installed as the hook of LUAW_FLOOR_HOOKED functions.
extern void benchFloorGoEmpty(void);
static void bench_install_go_hook(void) { luaw_floor_set_hook(benchFloorGoEmpty); }

// The floor of new_state_close: luaw_new with the standard libraries, then luaw_close.
static int32_t bench_new_close(void) {
	luaw_Options o;
	o.abi_version = LUAW_ABI_VERSION;
	o.memory_limit = 0;
	o.open_libs = 1;
	int32_t status = 0;
	luaw_State* S = luaw_new(&o, &status);
	if (S == NULL) return status ? status : LUAW_ERRMEM;
	return luaw_close(S);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// The floor functions (luaw_FloorFunction).
const (
	FloorNoop         = int32(C.LUAW_FLOOR_NOOP)
	FloorAdd          = int32(C.LUAW_FLOOR_ADD)
	FloorString16     = int32(C.LUAW_FLOOR_STRING16)
	FloorError        = int32(C.LUAW_FLOOR_ERROR)
	FloorEchoDistinct = int32(C.LUAW_FLOOR_ECHO_DISTINCT)
	FloorYield        = int32(C.LUAW_FLOOR_YIELD)
	// FloorHooked, OR'd into one of the above: the raw C function first calls an empty
	// exported Go function (cgo_floor.go), one C -> Go callback per call.
	FloorHooked = int32(C.LUAW_FLOOR_HOOKED)
)

func init() { C.bench_install_go_hook() }

func raw(s *luau.State) *C.luaw_State {
	return (*C.luaw_State)(capi.StateOf(s).Raw())
}

func cstr(s string) (*C.char, C.size_t) {
	if s == "" {
		return (*C.char)(unsafe.Pointer(&empty)), 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

var empty byte

// FloorRegister stores floor function which as global name of s.
func FloorRegister(s *luau.State, which int32, name string) error {
	p, n := cstr(name)
	rc := C.luaw_floor_register(raw(s), C.int32_t(which), p, n)
	runtime.KeepAlive(name)
	runtime.KeepAlive(s)
	if rc != C.LUAW_OK {
		return fmt.Errorf("luaw_floor_register(%q): status %d", name, rc)
	}
	return nil
}

// FloorRegisterMany registers count floor functions as prefix1..prefixN in one C call.
func FloorRegisterMany(s *luau.State, which int32, prefix string, count int) error {
	p, n := cstr(prefix)
	rc := C.luaw_floor_register_many(raw(s), C.int32_t(which), p, n, C.int32_t(count))
	runtime.KeepAlive(prefix)
	runtime.KeepAlive(s)
	if rc != C.LUAW_OK {
		return fmt.Errorf("luaw_floor_register_many: status %d", rc)
	}
	return nil
}

// FloorRefGlobal returns a registry reference to global name (for FloorCallRef).
func FloorRefGlobal(s *luau.State, name string) (int32, error) {
	p, n := cstr(name)
	var ref C.int32_t
	rc := C.bench_ref_global(raw(s), p, n, &ref)
	runtime.KeepAlive(name)
	runtime.KeepAlive(s)
	if rc != C.LUAW_OK {
		return 0, fmt.Errorf("ref of global %q: status %d", name, rc)
	}
	return int32(ref), nil
}

// RawState is the luaw_State* of s, for FloorCallRef (s must stay alive while it is used).
func RawState(s *luau.State) unsafe.Pointer { return unsafe.Pointer(raw(s)) }

// FloorCallRef calls the function held by ref with arg and returns its number result
// (luaw_floor_call_ref: one cgo crossing, lua_pcall, no binding). S is from RawState.
func FloorCallRef(S unsafe.Pointer, ref int32, arg float64) (float64, error) {
	r := C.bench_call_ref((*C.luaw_State)(S), C.int32_t(ref), C.double(arg))
	if r.rc != C.LUAW_OK {
		return 0, fmt.Errorf("luaw_floor_call_ref: status %d", r.rc)
	}
	return float64(r.value), nil
}

// FloorRefThread returns a registry reference to a new thread running global function name
// (for FloorResumeRef).
func FloorRefThread(s *luau.State, name string) (int32, error) {
	p, n := cstr(name)
	var ref C.int32_t
	rc := C.bench_ref_thread(raw(s), p, n, &ref)
	runtime.KeepAlive(name)
	runtime.KeepAlive(s)
	if rc != C.LUAW_OK {
		return 0, fmt.Errorf("thread of global %q: status %d", name, rc)
	}
	return int32(ref), nil
}

// FloorResumeRef resumes the thread held by ref with arg and returns the number it yielded
// (luaw_floor_resume_ref: one cgo crossing, lua_resume, no binding). S is from RawState.
func FloorResumeRef(S unsafe.Pointer, ref int32, arg float64) (float64, error) {
	r := C.bench_resume_ref((*C.luaw_State)(S), C.int32_t(ref), C.double(arg))
	if r.rc != C.LUAW_OK {
		return 0, fmt.Errorf("luaw_floor_resume_ref: status %d", r.rc)
	}
	return float64(r.value), nil
}

// FloorNewClose is luaw_new (standard libraries) + luaw_close, in one cgo call.
func FloorNewClose() error {
	if rc := C.bench_new_close(); rc != C.LUAW_OK {
		return fmt.Errorf("luaw_new/luaw_close: status %d", rc)
	}
	return nil
}
