package capi

// Modules: the section "Modules: require-by-string" of luau_wrapper.h.

/*
#include "luau_wrapper.h"
*/
import "C"

import "runtime"

// Kinds of resolver calls (LUAW_RESOLVE_*): the first argument the resolver gets.
const (
	ResolveModule = C.LUAW_RESOLVE_MODULE
	ResolveConfig = C.LUAW_RESOLVE_CONFIG
)

// SetRequire is luaw_set_require: installs require, resolving through host function id
// (0: registered modules only).
func (st *State) SetRequire(id uint64) int32 {
	return int32(C.luaw_set_require(st.s, C.uint64_t(id), &st.e.err))
}

// RegisterModule is luaw_register_module: pops a value and registers it as module name.
func (st *State) RegisterModule(name string) int32 {
	p, n := strArg(name)
	rc := int32(C.luaw_register_module(st.s, p, n, &st.e.err))
	runtime.KeepAlive(name)
	return rc
}
