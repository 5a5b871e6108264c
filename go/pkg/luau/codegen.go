package luau

import (
	"runtime"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// NativeCodegenSupported reports whether WithNativeCodegen compiles to machine code here:
// the native library was built with Luau's code generator (`make native` and Bazel build it
// in) and this CPU is one it supports (x64 with SSE4.1, or arm64).
func NativeCodegenSupported() bool { return capi.CodegenSupported() }

// WithNativeCodegen compiles every chunk the state loads (DoString, Load, LoadBytecode,
// DoBytecode, loadstring, required modules) to machine code with Luau's native code
// generator, right after loading it. Results are the interpreter's; functions the generator
// cannot compile stay interpreted. Where NativeCodegenSupported is false the option does
// nothing and the state interprets, as mlua's enable_jit does: (*State).NativeCodegen
// tells which one a state got.
func WithNativeCodegen() Option { return func(o *options) { o.codegen = true } }

// initCodegen turns the code generator on for a WithNativeCodegen state where supported.
func (st *state) initCodegen(o *options) {
	if o.codegen && capi.CodegenSupported() {
		_ = st.c.EnableCodegen() // unsupported after all (no executable memory): interpreted
	}
}

// NativeCodegen reports whether the state compiles the chunks it loads to machine code
// (WithNativeCodegen on a machine where NativeCodegenSupported). False once closed.
func (s *State) NativeCodegen() bool {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return false
	}
	defer st.leave(outer)
	return st.c.CodegenEnabled()
}

// globalIsNative reports whether global name is a Luau function compiled to machine code
// (for the tests: that loading really compiled natively).
func (st *state) globalIsNative(name string) bool {
	outer, err := st.enter()
	if err != nil {
		return false
	}
	defer st.leave(outer)
	top := st.c.GetTop()
	defer st.c.SetTop(top)
	if _, rc := st.c.GetGlobal(name); rc != capi.OK {
		return false
	}
	return st.c.IsNative(-1)
}
