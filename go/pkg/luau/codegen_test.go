package luau

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"testing"
)

// The library `make native` and Bazel build has the code generator, and this machine's CPU
// (x64 or arm64) is one it supports: NativeCodegenSupported must say so.
func TestNativeCodegenSupportedOnThisMachine(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("CodeGen has no backend for %s", runtime.GOARCH)
	}
	if !NativeCodegenSupported() {
		t.Fatal("NativeCodegenSupported() = false on a library built with CodeGen on " + runtime.GOARCH)
	}
}

// Without WithNativeCodegen a state interprets: nothing is compiled natively.
func TestNativeCodegenOffByDefault(t *testing.T) {
	s := newState(t)
	if s.NativeCodegen() {
		t.Fatal("a state without WithNativeCodegen reports NativeCodegen")
	}
	if _, err := s.DoString(`function f(x) return x + 1 end`); err != nil {
		t.Fatal(err)
	}
	if s.st.globalIsNative("f") {
		t.Fatal("a function of a state without WithNativeCodegen is native")
	}
}

// With WithNativeCodegen (where supported) the functions of every chunk loaded are compiled
// to machine code: by DoString, Load, DoBytecode, loadstring and require.
func TestNativeCodegenCompilesEveryLoadedChunk(t *testing.T) {
	if !NativeCodegenSupported() {
		t.Skip("native code generation unsupported here")
	}
	bc, err := Compile(`function viaBytecode(x) return x * 2 end`)
	if err != nil {
		t.Fatal(err)
	}
	s := newState(t, WithNativeCodegen(), WithResolver(MapResolver{"m.luau": "function viaRequire() return 1 end\nreturn true"}))
	if !s.NativeCodegen() {
		t.Fatal("NativeCodegen() = false on a supported machine")
	}
	if _, err := s.DoString(`function viaDoString(x) return x + 1 end`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoBytecode("bc", bc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString(`loadstring("function viaLoadstring() return 1 end")()`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString(`require("./m")`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"viaDoString", "viaBytecode", "viaLoadstring", "viaRequire"} {
		if !s.st.globalIsNative(name) {
			t.Errorf("%s: not compiled natively", name)
		}
	}
}

// Native code gives the interpreter's results and the interpreter's errors (message and
// kind), including host errors raised through native frames, yields and deadlines.
func TestNativeCodegenSameResultsAsInterpreter(t *testing.T) {
	if !NativeCodegenSupported() {
		t.Skip("native code generation unsupported here")
	}
	scripts := []string{
		`local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib(20)`,
		`local t = {} for i = 1, 100 do t[i] = i * i end return #t, t[50], table.concat({1, 2, 3}, ",")`,
		`local s = "" for i = 1, 10 do s ..= string.char(64 + i) end return s, s:upper():lower(), #s`,
		`local v = vector.create(1, 2, 3) local w = v * 2 + v return w.x, w.y, w.z, vector.magnitude(v)`,
		`local ok, e = pcall(function() local x = nil; return x.y end) return ok, e`,
		`local function f() error("boom") end f()`,
		`return 1 // 0, -1 // 0, 0/0 ~= 0/0, math.floor(-3.5), 7 % -3, 2^10, bit32.band(0xff, 0x0f)`,
		`local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return co(1), co(10)`,
		`local n = 0 for k, v in pairs({a = 1, b = 2, c = 3}) do n += v end return n`,
		`return add(40, 2), pcall(add, "x", 1)`,
		`local ok, e = pcall(fail) return ok, tostring(e)`,
		`local mt = {__index = function(t, k) return k .. "!" end, __add = function(a, b) return 7 end}
		 local t = setmetatable({}, mt) return t.hello, t + t`,
	}
	run := func(opts ...Option) []any {
		s := newState(t, opts...)
		if err := s.Register("add", func(a, b float64) float64 { return a + b }); err != nil {
			t.Fatal(err)
		}
		if err := s.RegisterFunc("fail", func(c *CallContext) error { return errors.New("host failure") }); err != nil {
			t.Fatal(err)
		}
		var out []any
		for _, src := range scripts {
			res, err := s.DoString(src)
			var kind Kind
			var msg string
			if err != nil {
				var e *Error
				if errors.As(err, &e) {
					kind, msg = e.Kind, e.Message
				} else {
					msg = err.Error()
				}
			}
			out = append(out, []any{res, kind, msg})
		}
		return out
	}
	interp, native := run(), run(WithNativeCodegen())
	for i := range scripts {
		if !reflect.DeepEqual(interp[i], native[i]) {
			t.Errorf("script %d: interpreter %#v, native %#v", i, interp[i], native[i])
		}
	}
}

// A run timeout stops a native infinite loop as it stops an interpreted one (native code
// checks Luau's interrupt at loop back-edges).
func TestNativeCodegenRunTimeoutStopsLoop(t *testing.T) {
	if !NativeCodegenSupported() {
		t.Skip("native code generation unsupported here")
	}
	s := newState(t, WithNativeCodegen(), WithRunTimeout(50e6))
	_, err := s.DoString(`local i = 0 while true do i += 1 end`)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindInterrupted {
		t.Fatalf("native infinite loop under a run timeout: %v, want KindInterrupted", err)
	}
}

// The matrix's second pass (`make matrix`): LUAU_MATRIX_CODEGEN=1 opts every state of the
// matrix runner into native code generation, and its report goes to target/matrix/codegen/.
func mxCodegen() bool { return os.Getenv("LUAU_MATRIX_CODEGEN") == "1" }

func mxCodegenOptions() []Option {
	if mxCodegen() {
		return []Option{WithNativeCodegen()}
	}
	return nil
}

func mxReportDir() string {
	if mxCodegen() {
		return "codegen"
	}
	return ""
}

// A state that compiles its chunks to machine code where the machine supports it (and
// interprets elsewhere, with the same results).
func ExampleWithNativeCodegen() {
	s, err := New(WithNativeCodegen())
	if err != nil {
		panic(err)
	}
	defer s.Close()
	out, err := s.DoString(`
		local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
		return fib(20)`)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0], s.NativeCodegen() == NativeCodegenSupported())
	// Output: 6765 true
}
