package capi

// Native code generation: the section "Native code generation" of luau_wrapper.h.

/*
#include "luau_wrapper.h"
*/
import "C"

// CodegenSupported is luaw_codegen_supported: CodeGen compiled in and this CPU supports it.
func CodegenSupported() bool { return C.luaw_codegen_supported() != 0 }

// EnableCodegen is luaw_enable_codegen (LUAW_ERRUNSUPPORTED where unsupported).
func (st *State) EnableCodegen() int32 { return int32(C.luaw_enable_codegen(st.s, &st.e.err)) }

// CodegenEnabled is luaw_codegen_enabled.
func (st *State) CodegenEnabled() bool { return C.luaw_codegen_enabled(st.s) != 0 }

// IsNative is luaw_is_native: the value at idx is a natively compiled Luau function.
func (st *State) IsNative(idx int) bool { return C.luaw_is_native(st.s, C.int32_t(idx)) != 0 }
