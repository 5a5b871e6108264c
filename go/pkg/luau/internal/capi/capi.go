// Package capi is the only place in luau-embed's Go binding that uses cgo. It wraps the C
// ABI of luau/c/luau_wrapper.h one function at a time and adds nothing the public package
// could do in Go.
//
// Rules kept in this package (see cmd/cgo "Passing pointers"):
//
//   - No Go pointer is ever stored in C memory. Go strings are passed to C as pointer and
//     length for the duration of one call only (the wrapper copies what it keeps); values
//     that need an array in memory (luaw_Value) are built in per-state C buffers, and string
//     bytes they refer to are copied into C memory first.
//   - Every luaw_Error lives in C memory owned by the state (Ext), so a call that fails
//     does not allocate on the Go side until the message is copied out.
//   - Every exported Go function (the dispatcher) has a panic barrier.
//   - runtime.KeepAlive follows every call that passes a Go pointer to C.
//
// The dispatcher's host_ctx is a pointer to the state's Ext (C memory), never a Go pointer.
package capi

/*
#cgo CFLAGS: -I${SRCDIR}/../../../../../luau/c
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include "luau_wrapper.h"

// Per-state C memory of the Go binding.
typedef struct capi_Ext {
	uint64_t id;        // the Go state id (the dispatcher's key)
	uintptr_t owner;    // thread running a host function of this state, 0 when none
	luaw_Error err;     // filled by every failing call
	int32_t i32;        // out-parameter scratch: types, counts, flags
	int32_t ref;
	size_t len;
	const char* ptr;
	luaw_Value* vals;   // value buffer (arguments to push, values read)
	int32_t vals_cap;
	char* bytes;        // byte buffer (string arguments copied out of Go memory)
	size_t bytes_cap;
	int32_t out[4];     // out-parameters of capi_call_ref (C memory: no Go pointer escapes)
} capi_Ext;

extern int32_t capiGoDispatch(uint64_t state_id, luaw_Call* call);

// The dispatcher installed on every state: records which thread runs a host function of the
// state (nested calls from it are recognised by the thread, see OnOwnerThread), then calls Go.
static int32_t capi_dispatch(uintptr_t host_ctx, luaw_Call* call) {
	capi_Ext* e = (capi_Ext*)host_ctx;
	uintptr_t prev = __atomic_load_n(&e->owner, __ATOMIC_RELAXED);
	__atomic_store_n(&e->owner, (uintptr_t)pthread_self(), __ATOMIC_RELAXED);
	int32_t rc = capiGoDispatch(e->id, call);
	__atomic_store_n(&e->owner, prev, __ATOMIC_RELAXED);
	return rc;
}

static int capi_on_owner_thread(capi_Ext* e) {
	return __atomic_load_n(&e->owner, __ATOMIC_RELAXED) == (uintptr_t)pthread_self();
}

static luaw_State* capi_new(capi_Ext* e, size_t memory_limit, int32_t open_libs, int32_t* status) {
	luaw_Options o;
	o.abi_version = LUAW_ABI_VERSION;
	o.memory_limit = memory_limit;
	o.open_libs = open_libs;
	luaw_State* S = luaw_new(&o, status);
	if (S != NULL) luaw_set_dispatch(S, capi_dispatch, (uintptr_t)e);
	return S;
}

static int capi_reserve(capi_Ext* e, int32_t nvals, size_t nbytes) {
	if (nvals > e->vals_cap) {
		int32_t cap = e->vals_cap * 2 > nvals ? e->vals_cap * 2 : nvals;
		luaw_Value* v = (luaw_Value*)realloc(e->vals, (size_t)cap * sizeof(luaw_Value));
		if (v == NULL) return 0;
		e->vals = v;
		e->vals_cap = cap;
	}
	if (nbytes > e->bytes_cap) {
		size_t cap = e->bytes_cap * 2 > nbytes ? e->bytes_cap * 2 : nbytes;
		char* b = (char*)realloc(e->bytes, cap);
		if (b == NULL) return 0;
		e->bytes = b;
		e->bytes_cap = cap;
	}
	return 1;
}

static void capi_free_ext(capi_Ext* e) {
	free(e->vals);
	free(e->bytes);
	free(e);
}

// luaw_call_global + luaw_read_values of up to max results into e->vals: one crossing for
// the common "call a global, read scalar results" path. *nread = values read.
static int32_t capi_call_global(luaw_State* S, capi_Ext* e, const char* name, size_t name_len,
                                int32_t nargs, int32_t* nres, int32_t* nread) {
	int32_t base = luaw_gettop(S);
	int32_t rc = luaw_call_global(S, name, name_len, e->vals, nargs, LUAW_MULTRET, nres, &e->err);
	*nread = 0;
	if (rc != LUAW_OK || *nres == 0) return rc;
	if (*nres <= e->vals_cap && luaw_read_values(S, base + 1, *nres, e->vals) == LUAW_OK) *nread = *nres;
	return rc;
}

// luaw_dostring + luaw_read_values, as capi_call_global.
static int32_t capi_dostring(luaw_State* S, capi_Ext* e, const char* src, size_t src_len,
                             const char* chunk, size_t chunk_len, int32_t* nres, int32_t* nread) {
	int32_t base = luaw_gettop(S);
	int32_t rc = luaw_dostring(S, src, src_len, chunk, chunk_len, nres, &e->err);
	*nread = 0;
	if (rc != LUAW_OK || *nres == 0) return rc;
	if (*nres <= e->vals_cap && luaw_read_values(S, base + 1, *nres, e->vals) == LUAW_OK) *nread = *nres;
	return rc;
}

// luaw_pcall (or, as_main, luaw_run) of the function on top with nargs values pushed from
// e->vals.
static int32_t capi_push_and_pcall(luaw_State* S, capi_Ext* e, int32_t nargs, int32_t as_main, int32_t* nres,
                                   int32_t* nread) {
	int32_t base = luaw_gettop(S) - 1; // the function is on top
	int32_t rc = luaw_push_values(S, e->vals, nargs, &e->err);
	*nread = 0;
	*nres = 0;
	if (rc != LUAW_OK) { luaw_settop(S, base); return rc; }
	rc = as_main ? luaw_run(S, nargs, NULL, &e->err) : luaw_pcall(S, nargs, LUAW_MULTRET, &e->err);
	if (rc != LUAW_OK) return rc;
	*nres = luaw_gettop(S) - base;
	if (*nres > 0 && *nres <= e->vals_cap && luaw_read_values(S, base + 1, *nres, e->vals) == LUAW_OK) *nread = *nres;
	return rc;
}

// The host -> Luau call of a Function in one crossing: luaw_push_ref, luaw_push_values of
// the first nargs values of e->vals, luaw_pcall, luaw_read_values of the results. On failure
// the stack is restored to its top at entry (*base) and *stage says what failed (1: the
// reference, 2: the arguments, 3: the call). On success, when every result is a scalar that
// lives outside the Luau heap (nil, boolean, number, integer, vector), the stack is restored
// as well and *restored = 1: the caller then needs no further crossing.
// S and e come as integers: both are C pointers, and pointer arguments would cost a
// cgocheck (cgoCheckPointer) per call on this hot path.
static int32_t capi_call_ref(uintptr_t s, uintptr_t ext, int32_t ref, int32_t nargs) {
	capi_Ext* e = (capi_Ext*)ext;
	luaw_CallResult r;
	int32_t rc = luaw_call_ref_read((luaw_State*)s, ref, e->vals, nargs, LUAW_MULTRET, e->vals, e->vals_cap, &r, &e->err);
	e->out[0] = r.base;
	e->out[1] = r.nresults;
	e->out[2] = r.nread == r.nresults ? r.nread : 0; // all or none, as Go reads them
	e->out[3] = r.popped;
	return rc;
}

static int32_t capi_push_vals(luaw_State* S, capi_Ext* e, int32_t n) {
	return luaw_push_values(S, e->vals, n, &e->err);
}

static int32_t capi_read_vals(luaw_State* S, capi_Ext* e, int32_t first, int32_t n) {
	return luaw_read_values(S, first, n, e->vals);
}

static int32_t capi_push_index(luaw_State* S, capi_Ext* e, int32_t idx) {
	luaw_Value v;
	memset(&v, 0, sizeof v);
	v.type = LUAW_TSTACK;
	v.stack_index = idx;
	return luaw_push_values(S, &v, 1, &e->err);
}

*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Status codes (luaw_Status) and types (luaw_Type), as Go constants.
const (
	OK        = int32(C.LUAW_OK)
	ErrRun    = int32(C.LUAW_ERRRUN)
	ErrSyntax = int32(C.LUAW_ERRSYNTAX)
	ErrMem    = int32(C.LUAW_ERRMEM)
	ErrErr    = int32(C.LUAW_ERRERR)
	ErrHost   = int32(C.LUAW_ERRHOST)
	ErrPanic  = int32(C.LUAW_ERRPANIC)
	ErrArg    = int32(C.LUAW_ERRARG)
	ErrBusy   = int32(C.LUAW_ERRBUSY)
	ErrABI    = int32(C.LUAW_ERRABI)

	TNone          = int32(C.LUAW_TNONE)
	TNil           = int32(C.LUAW_TNIL)
	TBoolean       = int32(C.LUAW_TBOOLEAN)
	TLightUserdata = int32(C.LUAW_TLIGHTUSERDATA)
	TNumber        = int32(C.LUAW_TNUMBER)
	TInteger       = int32(C.LUAW_TINTEGER)
	TVector        = int32(C.LUAW_TVECTOR)
	TString        = int32(C.LUAW_TSTRING)
	TTable         = int32(C.LUAW_TTABLE)
	TFunction      = int32(C.LUAW_TFUNCTION)
	TUserdata      = int32(C.LUAW_TUSERDATA)
	TThread        = int32(C.LUAW_TTHREAD)
	TBuffer        = int32(C.LUAW_TBUFFER)
	TStack         = int32(C.LUAW_TSTACK)

	CBOK    = int32(C.LUAW_CB_OK)
	CBError = int32(C.LUAW_CB_ERROR)
	CBPanic = int32(C.LUAW_CB_PANIC)

	// HeaderABIVersion is the ABI version this binding was compiled against (2 since
	// luaw_Call carries the continuation fields). Go's build cache does not track the
	// header: after a header change, a package edit or `go clean -cache` rebuilds cgo.
	HeaderABIVersion = uint32(C.LUAW_ABI_VERSION)
)

// BuildInfo mirrors luaw_BuildInfo.
type BuildInfo struct {
	ABIVersion     uint32
	MaxCStack      int32
	VectorSize     int32
	UsesLongjmp    bool
	AssertsEnabled bool
	LuauVersion    string
}

// LibraryABIVersion returns luaw_abi_version() of the linked library.
func LibraryABIVersion() uint32 { return uint32(C.luaw_abi_version()) }

// GetBuildInfo returns luaw_build_info() of the linked library.
func GetBuildInfo() BuildInfo {
	var bi C.luaw_BuildInfo
	C.luaw_build_info(&bi)
	return BuildInfo{
		ABIVersion:     uint32(bi.abi_version),
		MaxCStack:      int32(bi.max_cstack),
		VectorSize:     int32(bi.vector_size),
		UsesLongjmp:    bi.uses_longjmp != 0,
		AssertsEnabled: bi.asserts_enabled != 0,
		LuauVersion:    C.GoString(bi.luau_version),
	}
}

// Error is a copied-out luaw_Error.
type Error struct {
	Status    int32
	Message   string
	Traceback string
	Token     uint64
}

// State is one luaw_State plus the binding's C memory for it. Not safe for concurrent use;
// the public package guarantees one goroutine at a time.
type State struct {
	s *C.luaw_State
	e *C.capi_Ext
}

// emptyString gives "" a non-NULL address (the wrapper rejects NULL pointers).
var emptyString byte

// strArg returns a C view of a Go string for the duration of one call (never stored).
func strArg(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return (*C.char)(unsafe.Pointer(&emptyString)), 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// cstr copies n bytes of C memory into a Go string.
func cstr(p *C.char, n C.size_t) string {
	if n == 0 || p == nil {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
}

// New creates a state whose dispatcher reports id. status is LUAW_OK on success.
func New(id uint64, memoryLimit uint64, openLibs bool) (*State, int32) {
	libs := int32(0)
	if openLibs {
		libs = 1
	}
	return NewLibs(id, memoryLimit, libs)
}

// NewLibs is New with luaw_Options.open_libs as given (0, 1, or LibsSelect | Lib* bits).
func NewLibs(id uint64, memoryLimit uint64, openLibs int32) (*State, int32) {
	e := (*C.capi_Ext)(C.calloc(1, C.size_t(unsafe.Sizeof(C.capi_Ext{}))))
	if e == nil {
		return nil, ErrMem
	}
	e.id = C.uint64_t(id)
	if C.capi_reserve(e, 16, 256) == 0 {
		C.capi_free_ext(e)
		return nil, ErrMem
	}
	var status C.int32_t
	s := C.capi_new(e, C.size_t(memoryLimit), C.int32_t(openLibs), &status)
	if s == nil {
		C.capi_free_ext(e)
		if status == 0 {
			status = C.LUAW_ERRMEM
		}
		return nil, int32(status)
	}
	return &State{s: s, e: e}, OK
}

// Close closes the luaw_State. On LUAW_OK no other method but OnOwnerThread and Free may
// be called again: the binding's C memory stays until Free, because another goroutine may
// still ask OnOwnerThread while this one closes.
func (st *State) Close() int32 {
	rc := int32(C.luaw_close(st.s))
	if rc == OK {
		st.s = nil
	}
	return rc
}

// Free releases the binding's C memory; the State must be closed and unreachable.
func (st *State) Free() {
	if st.e != nil {
		C.capi_free_ext(st.e)
		st.e = nil
	}
}

// Err copies out the error of the last failing call.
func (st *State) Err() Error {
	e := &st.e.err
	return Error{
		Status:    int32(e.status),
		Message:   cstr(e.message, e.message_len),
		Traceback: cstr(e.traceback, e.traceback_len),
		Token:     uint64(e.host_token),
	}
}

// OnOwnerThread reports whether the calling goroutine runs on the thread that is running a
// host function of this state. During a cgo callback the goroutine is locked to its thread,
// so this is true exactly for code called (directly or not) from that host function.
func (st *State) OnOwnerThread() bool { return C.capi_on_owner_thread(st.e) != 0 }

// HostDepth is luaw_host_depth.
func (st *State) HostDepth() int { return int(C.luaw_host_depth(st.s)) }

// MemoryUsed is luaw_memory_used.
func (st *State) MemoryUsed() uint64 { return uint64(C.luaw_memory_used(st.s)) }

// GCCollect is luaw_gc_collect.
func (st *State) GCCollect() int32 { return int32(C.luaw_gc_collect(st.s)) }

// SetMemoryLimit is luaw_set_memory_limit.
func (st *State) SetMemoryLimit(n uint64) { C.luaw_set_memory_limit(st.s, C.size_t(n)) }

// Compile is luaw_compile. On ErrSyntax the message is returned as msg.
func Compile(src string, opt, debug int) (bytecode []byte, msg string, status int32) {
	p, n := strArg(src)
	opts := C.luaw_CompileOptions{optimization_level: C.int32_t(opt), debug_level: C.int32_t(debug)}
	var out *C.char
	var outLen C.size_t
	rc := int32(C.luaw_compile(p, n, &opts, &out, &outLen))
	runtime.KeepAlive(src)
	defer C.luaw_free(unsafe.Pointer(out))
	switch rc {
	case OK:
		return C.GoBytes(unsafe.Pointer(out), C.int(outLen)), "", OK
	case ErrSyntax:
		return nil, cstr(out, outLen), rc
	}
	return nil, "", rc
}

// Load is luaw_load: pushes the chunk as a function.
func (st *State) Load(chunk string, bytecode []byte) int32 {
	cp, cn := strArg(chunk)
	var bp *C.char
	if len(bytecode) > 0 {
		bp = (*C.char)(unsafe.Pointer(&bytecode[0]))
	}
	rc := int32(C.luaw_load(st.s, cp, cn, bp, C.size_t(len(bytecode)), &st.e.err))
	runtime.KeepAlive(chunk)
	runtime.KeepAlive(bytecode)
	return rc
}

// DoString compiles and runs src; results stay on the stack. When they fit in the value
// buffer they are also read (nread == nres) and available through Vals.
func (st *State) DoString(src, chunk string) (nres, nread int, status int32) {
	sp, sn := strArg(src)
	cp, cn := strArg(chunk)
	var r, rd C.int32_t
	rc := int32(C.capi_dostring(st.s, st.e, sp, sn, cp, cn, &r, &rd))
	runtime.KeepAlive(src)
	runtime.KeepAlive(chunk)
	return int(r), int(rd), rc
}

// CallGlobal calls global name with the first nargs values of the value buffer (see
// ArgBuf); results stay on the stack and are read as in DoString.
func (st *State) CallGlobal(name string, nargs int) (nres, nread int, status int32) {
	np, nn := strArg(name)
	var r, rd C.int32_t
	rc := int32(C.capi_call_global(st.s, st.e, np, nn, C.int32_t(nargs), &r, &rd))
	runtime.KeepAlive(name)
	return int(r), int(rd), rc
}

// PushAndPCall pushes the first nargs values of the value buffer and calls the function
// below them; results as in DoString.
func (st *State) PushAndPCall(nargs int) (nres, nread int, status int32) {
	var r, rd C.int32_t
	rc := int32(C.capi_push_and_pcall(st.s, st.e, C.int32_t(nargs), 0, &r, &rd))
	return int(r), int(rd), rc
}

// PushAndRun is PushAndPCall with the function run as a main chunk (luaw_run): yieldable,
// coroutine.running() nil, a yield that reaches the host an error.
func (st *State) PushAndRun(nargs int) (nres, nread int, status int32) {
	var r, rd C.int32_t
	rc := int32(C.capi_push_and_pcall(st.s, st.e, C.int32_t(nargs), 1, &r, &rd))
	return int(r), int(rd), rc
}

// PCall is luaw_pcall.
func (st *State) PCall(nargs, nresults int) int32 {
	return int32(C.luaw_pcall(st.s, C.int32_t(nargs), C.int32_t(nresults), &st.e.err))
}

// Reserve makes the value buffer hold nvals values and the byte buffer nbytes bytes.
// Slices from Vals / Bytes taken before are invalid afterwards. No cgo call when they fit.
func (st *State) Reserve(nvals, nbytes int) bool {
	if nvals <= int(st.e.vals_cap) && nbytes <= int(st.e.bytes_cap) {
		return true
	}
	return C.capi_reserve(st.e, C.int32_t(nvals), C.size_t(nbytes)) != 0
}

// CallRef calls the function held by ref with the first nargs values of the value buffer
// in one crossing (capi_call_ref over luaw_call_ref). base is the stack top at entry; on
// failure the stack is back at base. On success, restored reports that every result was a
// heap-free scalar, already read into the value buffer (nread == nres), and the stack is
// back at base; otherwise the results stay on the stack above base, as in PushAndPCall.
func (st *State) CallRef(ref int32, nargs int) (base, nres, nread int, restored bool, status int32) {
	rc := int32(C.capi_call_ref(C.uintptr_t(uintptr(unsafe.Pointer(st.s))), C.uintptr_t(uintptr(unsafe.Pointer(st.e))),
		C.int32_t(ref), C.int32_t(nargs)))
	o := &st.e.out
	return int(o[0]), int(o[1]), int(o[2]), o[3] != 0, rc
}

// Vals is a view of the first n values of the value buffer (C memory).
func (st *State) Vals(n int) []Value {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*Value)(unsafe.Pointer(st.e.vals)), n)
}

// Bytes is a view of the byte buffer (C memory).
func (st *State) Bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(st.e.bytes)), int(st.e.bytes_cap))
}

// PushVals is luaw_push_values of the first n values of the value buffer.
func (st *State) PushVals(n int) int32 { return int32(C.capi_push_vals(st.s, st.e, C.int32_t(n))) }

// PushIndex pushes a copy of the value at absolute stack index idx.
func (st *State) PushIndex(idx int) int32 {
	return int32(C.capi_push_index(st.s, st.e, C.int32_t(idx)))
}

// ReadVals is luaw_read_values into the value buffer (which must hold n values).
func (st *State) ReadVals(first, n int) int32 {
	return int32(C.capi_read_vals(st.s, st.e, C.int32_t(first), C.int32_t(n)))
}

// GetTop is luaw_gettop.
func (st *State) GetTop() int { return int(C.luaw_gettop(st.s)) }

// SetTop is luaw_settop.
func (st *State) SetTop(idx int) int32 { return int32(C.luaw_settop(st.s, C.int32_t(idx))) }

// Type is luaw_type.
func (st *State) Type(idx int) int32 { return int32(C.luaw_type(st.s, C.int32_t(idx))) }

// ToString is luaw_tostring (pushes the string); the result is copied.
func (st *State) ToString(idx int) (string, int32) {
	var p *C.char
	var n C.size_t
	rc := int32(C.luaw_tostring(st.s, C.int32_t(idx), &p, &n, &st.e.err))
	if rc != OK {
		return "", rc
	}
	return cstr(p, n), OK
}

// GetGlobal is luaw_getglobal.
func (st *State) GetGlobal(name string) (int32, int32) {
	p, n := strArg(name)
	rc := int32(C.luaw_getglobal(st.s, p, n, &st.e.i32, &st.e.err))
	runtime.KeepAlive(name)
	return int32(st.e.i32), rc
}

// SetGlobal is luaw_setglobal.
func (st *State) SetGlobal(name string) int32 {
	p, n := strArg(name)
	rc := int32(C.luaw_setglobal(st.s, p, n, &st.e.err))
	runtime.KeepAlive(name)
	return rc
}

// NewTable is luaw_newtable.
func (st *State) NewTable(narr, nrec int) int32 {
	return int32(C.luaw_newtable(st.s, C.int32_t(narr), C.int32_t(nrec), &st.e.err))
}

// GetField is luaw_getfield.
func (st *State) GetField(idx int, key string) (int32, int32) {
	p, n := strArg(key)
	rc := int32(C.luaw_getfield(st.s, C.int32_t(idx), p, n, &st.e.i32, &st.e.err))
	runtime.KeepAlive(key)
	return int32(st.e.i32), rc
}

// SetField is luaw_setfield.
func (st *State) SetField(idx int, key string) int32 {
	p, n := strArg(key)
	rc := int32(C.luaw_setfield(st.s, C.int32_t(idx), p, n, &st.e.err))
	runtime.KeepAlive(key)
	return rc
}

// GetI is luaw_geti.
func (st *State) GetI(idx int, i int64) (int32, int32) {
	rc := int32(C.luaw_geti(st.s, C.int32_t(idx), C.int64_t(i), &st.e.i32, &st.e.err))
	return int32(st.e.i32), rc
}

// SetI is luaw_seti.
func (st *State) SetI(idx int, i int64) int32 {
	return int32(C.luaw_seti(st.s, C.int32_t(idx), C.int64_t(i), &st.e.err))
}

// RawLen is luaw_rawlen.
func (st *State) RawLen(idx int) (int, int32) {
	rc := int32(C.luaw_rawlen(st.s, C.int32_t(idx), &st.e.len))
	return int(st.e.len), rc
}

// Next is luaw_next.
func (st *State) Next(idx int) (bool, int32) {
	rc := int32(C.luaw_next(st.s, C.int32_t(idx), &st.e.i32, &st.e.err))
	return st.e.i32 != 0, rc
}

// RegisterFunction is luaw_register_function.
func (st *State) RegisterFunction(name string, id uint64) int32 {
	p, n := strArg(name)
	rc := int32(C.luaw_register_function(st.s, p, n, C.uint64_t(id), &st.e.err))
	runtime.KeepAlive(name)
	return rc
}

// FunctionID is luaw_function_id: the id of the host function at idx, or 0.
func (st *State) FunctionID(idx int) uint64 {
	var id C.uint64_t
	if C.luaw_function_id(st.s, C.int32_t(idx), &id) != C.LUAW_OK {
		return 0
	}
	return uint64(id)
}

// PushNil pushes nil (used to clear a global).
func (st *State) PushNil() int32 {
	if !st.Reserve(1, 0) {
		return ErrMem
	}
	st.Vals(1)[0] = Value{Type: TNil}
	return st.PushVals(1)
}

// Ref is luaw_ref.
func (st *State) Ref(idx int) (int32, int32) {
	rc := int32(C.luaw_ref(st.s, C.int32_t(idx), &st.e.ref, &st.e.err))
	return int32(st.e.ref), rc
}

// PushRef is luaw_push_ref.
func (st *State) PushRef(ref int32) int32 { return int32(C.luaw_push_ref(st.s, C.int32_t(ref))) }

// StateOf returns the State behind a *luau.State (set by package luau at init). It exists
// only for the benchmark module (go/bench), which registers the C floor functions on the
// raw luaw_State* next to the binding's own: not API, never used by the library itself.
var StateOf func(s any) *State

// Raw is the luaw_State* (for StateOf's users only).
func (st *State) Raw() unsafe.Pointer { return unsafe.Pointer(st.s) }

// Unref is luaw_unref.
func (st *State) Unref(ref int32) { C.luaw_unref(st.s, C.int32_t(ref)) }

// GC is luaw_gc: op with arg on the calling thread; res is the op's answer.
func (st *State) GC(op, arg int32) (res int32, status int32) {
	rc := int32(C.luaw_gc(st.s, C.int32_t(op), C.int32_t(arg), &st.e.i32))
	return int32(st.e.i32), rc
}

// LoadSource is luaw_load_source: compiles src with the given levels and pushes the function.
func (st *State) LoadSource(src, chunk string, opt, debug int) int32 {
	sp, sn := strArg(src)
	cp, cn := strArg(chunk)
	opts := C.luaw_CompileOptions{optimization_level: C.int32_t(opt), debug_level: C.int32_t(debug)}
	rc := int32(C.luaw_load_source(st.s, sp, sn, cp, cn, &opts, &st.e.err))
	runtime.KeepAlive(src)
	runtime.KeepAlive(chunk)
	return rc
}
