package capi

// Table access with a key of any type (luau_wrapper.h luaw_table_get / luaw_table_set),
// for the public package's *Table handles.

/*
#include "luau_wrapper.h"
*/
import "C"

// TableGet is luaw_table_get: the key on top is replaced by t[key] (t at idx); raw skips
// metamethods. typ is the value's type.
func (st *State) TableGet(idx int, raw bool) (typ int32, status int32) {
	r := C.int32_t(0)
	if raw {
		r = 1
	}
	rc := int32(C.luaw_table_get(st.s, C.int32_t(idx), r, &st.e.i32, &st.e.err))
	return int32(st.e.i32), rc
}

// TableSet is luaw_table_set: t[key] = value with key and value on top (popped), t at idx.
func (st *State) TableSet(idx int, raw bool) int32 {
	r := C.int32_t(0)
	if raw {
		r = 1
	}
	return int32(C.luaw_table_set(st.s, C.int32_t(idx), r, &st.e.err))
}
