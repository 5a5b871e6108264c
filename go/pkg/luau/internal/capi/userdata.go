package capi

/*
#include "luau_wrapper.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Userdata reads u.userdata: the handle and type id of a host userdata (handle 0 for a
// userdata the wrapper did not create).
func (v *Value) Userdata() (handle uint64, typeID uint32) {
	return v.u0, uint32(v.u1)
}

// SetUserdata makes v "a new userdata of type typeID holding handle" (results and pushes).
func (v *Value) SetUserdata(typeID uint32, handle uint64) {
	v.Type, v.StackIndex, v.u0, v.u1 = TUserdata, 0, handle, uint64(typeID)
}

// The layout of u.userdata must be (handle uint64, type_id uint32) at the union's start.
var (
	_ [unsafe.Offsetof(C.luaw_Value{}.u) + 8 - unsafe.Offsetof(Value{}.u1)]byte
	_ [unsafe.Offsetof(Value{}.u1) - unsafe.Offsetof(C.luaw_Value{}.u) - 8]byte
)

// SetUserdataType is luaw_set_userdata_type: pops the table on top and installs it as the
// metatable of typeID, named name (typeof()).
func (st *State) SetUserdataType(typeID uint32, name string) int32 {
	p, n := strArg(name)
	rc := int32(C.luaw_set_userdata_type(st.s, C.uint32_t(typeID), p, n, &st.e.err))
	runtime.KeepAlive(name)
	return rc
}

// PushUserdata is luaw_push_userdata.
func (st *State) PushUserdata(typeID uint32, handle uint64) int32 {
	return int32(C.luaw_push_userdata(st.s, C.uint32_t(typeID), C.uint64_t(handle), &st.e.err))
}

// ReleasedCount is luaw_released_count.
func (st *State) ReleasedCount() int { return int(C.luaw_released_count(st.s)) }

// DrainReleased is luaw_drain_released into out (Go memory, used for this call only).
func (st *State) DrainReleased(out []uint64) int {
	if len(out) == 0 {
		return 0
	}
	n := C.luaw_drain_released(st.s, (*C.uint64_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)))
	runtime.KeepAlive(out)
	return int(n)
}

// PushFunction is luaw_push_function: pushes host function id named name.
func (st *State) PushFunction(id uint64, name string) int32 {
	p, n := strArg(name)
	rc := int32(C.luaw_push_function(st.s, C.uint64_t(id), p, n, &st.e.err))
	runtime.KeepAlive(name)
	return rc
}
