package luau

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

func newState(t testing.TB, opts ...Option) *State {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func wantKind(t *testing.T, err error, kind Kind) *Error {
	t.Helper()
	var le *Error
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T) is not a *luau.Error", err, err)
	}
	if le.Kind != kind {
		t.Fatalf("kind = %v, want %v (message %q)", le.Kind, kind, le.Message)
	}
	return le
}

func addFunc(c *CallContext) error {
	a, err := c.Number(1)
	if err != nil {
		return err
	}
	b, err := c.Number(2)
	if err != nil {
		return err
	}
	c.PushNumber(a + b)
	return nil
}

func TestABIAndBuildInfo(t *testing.T) {
	bi := LibraryInfo()
	if bi.ABIVersion != capi.HeaderABIVersion || bi.VectorSize != 3 || bi.LuauVersion == "" {
		t.Fatalf("unexpected build info %+v", bi)
	}
}

func TestDoStringValues(t *testing.T) {
	s := newState(t)
	got, err := s.DoString(`return 1 + 2, "a\0b", true, nil, vector.create(1, 2, 3), {10, 20, k = "v"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{3.0, "a\x00b", true, nil, Vector{1, 2, 3},
		map[any]any{1.0: 10.0, 2.0: 20.0, "k": "v"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if got, err := s.DoString(`local x = 1`); err != nil || got != nil {
		t.Fatalf("no results: got %v, %v", got, err)
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	s := newState(t)
	_, err := s.DoString("local a = 1\nlocal b = 2\nlocal c = = 3\n")
	le := wantKind(t, err, KindSyntax)
	if !strings.Contains(le.Message, ":3:") {
		t.Fatalf("message %q has no line number 3", le.Message)
	}
	_, err = Compile("x = 1\n\nif then end")
	le = wantKind(t, err, KindSyntax)
	if !regexp.MustCompile(`^:3: `).MatchString(le.Message) {
		t.Fatalf("Compile message %q does not start with :3:", le.Message)
	}
}

func TestRuntimeErrorHasTraceback(t *testing.T) {
	s := newState(t)
	_, err := s.DoString("local function inner()\n  error('boom')\nend\nlocal function outer() inner() end\nouter()\n")
	le := wantKind(t, err, KindRuntime)
	if !strings.Contains(le.Message, ":2: boom") {
		t.Fatalf("message %q", le.Message)
	}
	for _, frag := range []string{"stack traceback", "inner", "outer"} {
		if !strings.Contains(le.Traceback, frag) {
			t.Fatalf("traceback %q lacks %q", le.Traceback, frag)
		}
	}
	if full := fmt.Sprintf("%+v", err); !strings.Contains(full, "stack traceback") || !strings.Contains(full, "runtime") {
		t.Fatalf("%%+v = %q", full)
	}
}

func TestCompileLoadBytecode(t *testing.T) {
	s := newState(t)
	bc, err := Compile("local a, b = ... return (a or 1) * (b or 2)")
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.LoadBytecode("mul", bc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Call(6, 7)
	if err != nil || len(got) != 1 || got[0] != 42.0 {
		t.Fatalf("f(6,7) = %v, %v", got, err)
	}
	got, err = s.DoBytecode("mul", bc)
	if err != nil || got[0] != 2.0 {
		t.Fatalf("DoBytecode = %v, %v", got, err)
	}
	f.Release()
	f.Release()
	if _, err := f.Call(); err == nil {
		t.Fatal("call of a released function succeeded")
	}
	if _, err := CompileWith("return 1", 3, 1); err == nil {
		t.Fatal("bad optimisation level accepted")
	}
	// A chunk name shows up in messages.
	bc, _ = Compile("error('x')")
	_, err = s.DoBytecode("mychunk", bc)
	if le := wantKind(t, err, KindRuntime); !strings.Contains(le.Message, "mychunk") {
		t.Fatalf("message %q lacks the chunk name", le.Message)
	}
}

func TestCallGlobal(t *testing.T) {
	s := newState(t)
	if _, err := s.DoString(`function sum(...) local t = 0 for _, v in {...} do t += v end return t, select('#', ...) end
		function first(t) return t[1], t.k end`); err != nil {
		t.Fatal(err)
	}
	got, err := s.Call("sum", 1, int8(2), uint64(3), float32(4.5))
	if err != nil || got[0] != 10.5 || got[1] != 4.0 {
		t.Fatalf("sum = %v, %v", got, err)
	}
	got, err = s.Call("first", map[string]any{"k": []any{"x"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != nil || fmt.Sprint(got[1]) != "[x]" {
		t.Fatalf("first = %#v", got)
	}
	got, err = s.Call("first", []string{"a", "b"})
	if err != nil || got[0] != "a" {
		t.Fatalf("first(slice) = %#v, %v", got, err)
	}
	_, err = s.Call("missing")
	wantKind(t, err, KindRuntime)
	_, err = s.Call("sum", make(chan int))
	wantKind(t, err, KindConversion)
	if err := s.SetGlobal("g", "value"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Global("g"); err != nil || v != "value" {
		t.Fatalf("Global = %v, %v", v, err)
	}
	// The stack is balanced after every call.
	if top := s.st.c.GetTop(); top != 0 {
		t.Fatalf("stack top %d after calls", top)
	}
}

func TestKindsMapOneToOne(t *testing.T) {
	statuses := map[int32]Kind{
		capi.ErrRun: KindRuntime, capi.ErrSyntax: KindSyntax, capi.ErrMem: KindMemory,
		capi.ErrHost: KindHost, capi.ErrPanic: KindPanic,
		capi.ErrArg: KindArgument, capi.ErrBusy: KindBusy, capi.ErrABI: KindABI,
	}
	// No error_handler kind: the wrapper's message handler never raises.
	if got := kindOf(capi.ErrErr); got != KindRuntime {
		t.Errorf("kindOf(ErrErr) = %v, want runtime", got)
	}
	seen := map[Kind]int32{}
	for status, kind := range statuses {
		if got := kindOf(status); got != kind {
			t.Errorf("kindOf(%d) = %v, want %v", status, got, kind)
		}
		if other, dup := seen[kind]; dup {
			t.Errorf("statuses %d and %d both map to %v", status, other, kind)
		}
		seen[kind] = status
	}
	names := map[string]bool{}
	for k := KindRuntime; k <= KindConversion; k++ {
		if names[k.String()] {
			t.Errorf("duplicate kind name %q", k)
		}
		names[k.String()] = true
	}
	want := "runtime syntax memory host panic argument busy abi closed concurrent_use conversion"
	var got []string
	for k := KindRuntime; k <= KindConversion; k++ {
		got = append(got, k.String())
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("kind names %q", got)
	}

	// And the kinds that can be produced from Go, produced for real.
	s := newState(t, WithMemoryLimit(4<<20))
	_, err := s.DoString(`local t = {} for i = 1, 1e7 do t[i] = string.rep("x", 100) .. i end`)
	wantKind(t, err, KindMemory)
	if _, err := s.DoString("return 1"); err != nil {
		t.Fatalf("state unusable after out of memory: %v", err)
	}
	err = s.UnregisterFunc("nope")
	if le := wantKind(t, err, KindArgument); !strings.Contains(le.Message, "not registered") {
		t.Fatalf("message %q", le.Message)
	}
	err = s.RegisterFunc("x", nil)
	wantKind(t, err, KindArgument)
	if !errors.Is(err, &Error{Kind: KindArgument}) || errors.Is(err, &Error{Kind: KindHost}) {
		t.Fatal("errors.Is by kind does not work")
	}
}

func TestEveryOperationAfterClose(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := Compile("return 1")
	f, err := s.LoadBytecode("f", bc)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterFunc("add", addFunc); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ops := map[string]func() error{
		"DoString":       func() error { _, err := s.DoString("return 1"); return err },
		"Call":           func() error { _, err := s.Call("add", 1, 2); return err },
		"Compile":        func() error { _, err := s.Compile("return 1"); return err },
		"LoadBytecode":   func() error { _, err := s.LoadBytecode("x", bc); return err },
		"DoBytecode":     func() error { _, err := s.DoBytecode("x", bc); return err },
		"RegisterFunc":   func() error { return s.RegisterFunc("f", addFunc) },
		"UnregisterFunc": func() error { return s.UnregisterFunc("add") },
		"SetGlobal":      func() error { return s.SetGlobal("x", 1) },
		"Global":         func() error { _, err := s.Global("x"); return err },
		"GC":             func() error { return s.GC() },
		"SetMemoryLimit": func() error { return s.SetMemoryLimit(1) },
		"Function.Call":  func() error { _, err := f.Call(); return err },
	}
	for name, op := range ops {
		if err := op(); err == nil {
			t.Errorf("%s after Close succeeded", name)
		} else if le := wantKind(t, err, KindClosed); !errors.Is(le, &Error{Kind: KindClosed}) {
			t.Errorf("%s: errors.Is(KindClosed) false", name)
		}
	}
	f.Release() // no-op, no crash
	if n := s.MemoryUsed(); n != 0 {
		t.Errorf("MemoryUsed after Close = %d", n)
	}
}

func TestConcurrentUseDetected(t *testing.T) {
	s := newState(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	if err := s.RegisterFunc("block", func(c *CallContext) error {
		close(entered)
		<-release
		// Nested use from inside the host function, on the same goroutine, is allowed.
		got, err := s.DoString("return 40 + 2")
		if err != nil {
			return err
		}
		return c.Push(got[0])
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	var got []any
	go func() {
		var err error
		got, err = s.DoString("return block()")
		done <- err
	}()
	<-entered
	// Another goroutine while a host function runs: every entry point reports it.
	_, err := s.DoString("return 1")
	wantKind(t, err, KindConcurrentUse)
	err = s.RegisterFunc("x", addFunc)
	wantKind(t, err, KindConcurrentUse)
	err = s.Close()
	wantKind(t, err, KindConcurrentUse)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != 42.0 {
		t.Fatalf("nested result %v", got)
	}
	if _, err := s.DoString("return 1"); err != nil {
		t.Fatalf("state unusable after the conflict: %v", err)
	}
}

func TestConcurrentUseHammer(t *testing.T) {
	// Two goroutines hammer one state: every call either runs or reports concurrent_use,
	// never corrupts (run under -race too).
	s := newState(t)
	if err := s.RegisterFunc("add", addFunc); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				got, err := s.DoString("local s = 0 for i = 1, 50 do s = add(s, 1) end return s")
				key := "ok"
				if err != nil {
					var le *Error
					if !errors.As(err, &le) || le.Kind != KindConcurrentUse {
						t.Errorf("unexpected error %v", err)
						return
					}
					key = "busy"
				} else if got[0] != 50.0 {
					t.Errorf("got %v", got)
					return
				}
				mu.Lock()
				counts[key]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counts["ok"] == 0 {
		t.Fatalf("no call succeeded: %v", counts)
	}
	t.Logf("outcomes: %v", counts)
}

func TestMemoryLimit(t *testing.T) {
	s := newState(t, WithMemoryLimit(2<<20))
	_, err := s.DoString(`local s = string.rep("x", 4 * 1024 * 1024)`)
	wantKind(t, err, KindMemory)
	if err := s.SetMemoryLimit(0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString(`local s = string.rep("x", 4 * 1024 * 1024) return #s`); err != nil {
		t.Fatal(err)
	}
	if err := s.GC(); err != nil {
		t.Fatal(err)
	}
	if s.MemoryUsed() == 0 {
		t.Fatal("MemoryUsed is 0")
	}
}

func TestNoStdlib(t *testing.T) {
	s := newState(t, WithoutStdlib())
	_, err := s.DoString("return string.rep('x', 2)")
	wantKind(t, err, KindRuntime)
	// print is never silently absent: a state without WithPrint has one that discards.
	std := newState(t)
	if v, _ := std.Global("print"); v == nil {
		t.Fatal("print is missing")
	}
	if _, err := std.DoString("print('discarded')"); err != nil {
		t.Fatal(err)
	}
}

func TestForgottenStateIsFinalized(t *testing.T) {
	base := RegistrySize()
	func() {
		s, err := New()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if err := s.RegisterFunc(fmt.Sprint("f", i), addFunc); err != nil {
				t.Fatal(err)
			}
		}
	}()
	if RegistrySize() != base+3 {
		t.Fatalf("registry %d, want %d", RegistrySize(), base+3)
	}
	for i := 0; i < 100 && RegistrySize() != base; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if RegistrySize() != base {
		t.Fatalf("a dropped State was not closed by its finalizer: registry %d, want %d", RegistrySize(), base)
	}
}

// Requirement: a host function that ends its goroutine (runtime.Goexit, as t.FailNow does)
// leaves Luau's frames abandoned by the Go runtime; the State must then refuse all work
// with KindPoisoned instead of running on an inconsistent VM, and Close must still
// release its host functions.
func TestGoexitInHostFunctionPoisonsTheState(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	before := RegistrySize()
	if err := s.RegisterFunc("quit", func(c *CallContext) error {
		runtime.Goexit()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	returned := make(chan bool, 1)
	go func() {
		finished := false
		defer func() { returned <- finished }()
		_, _ = s.DoString("quit()")
		finished = true
	}()
	if <-returned {
		t.Fatal("DoString returned although the host function called Goexit")
	}
	_, err = s.DoString("return 1")
	var lerr *Error
	if !errors.As(err, &lerr) || lerr.Kind != KindPoisoned {
		t.Fatalf("DoString after Goexit: got %v, want kind poisoned", err)
	}
	if err := s.RegisterFunc("again", func(*CallContext) error { return nil }); !errors.Is(err, &Error{Kind: KindPoisoned}) {
		t.Fatalf("RegisterFunc after Goexit: got %v, want kind poisoned", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close of a poisoned state: %v", err)
	}
	if got := RegistrySize(); got != before {
		t.Fatalf("registry holds %d entries after Close, want %d", got, before)
	}
	if _, err := s.DoString("return 1"); !errors.Is(err, &Error{Kind: KindClosed}) {
		t.Fatalf("after Close: got %v, want kind closed", err)
	}
}

// Requirement: kind KindABI is what New returns when the linked native library was built
// for another ABI or vector size than this package (a stale `make install`, for example);
// the library linked here matches.
func TestABIMismatchIsKindABI(t *testing.T) {
	good := capi.GetBuildInfo()
	if e := abiMismatch(capi.LibraryABIVersion(), good); e != nil {
		t.Fatalf("the linked library is refused: %v", e)
	}
	older := good
	older.ABIVersion = capi.HeaderABIVersion - 1
	for name, c := range map[string]struct {
		lib uint32
		bi  capi.BuildInfo
	}{
		"library ABI":    {capi.HeaderABIVersion - 1, good},
		"build info ABI": {capi.HeaderABIVersion, older},
		"vector size 4":  {capi.HeaderABIVersion, func() capi.BuildInfo { b := good; b.VectorSize = 4; return b }()},
	} {
		e := abiMismatch(c.lib, c.bi)
		if e == nil || e.Kind != KindABI {
			t.Errorf("%s: %v, want kind abi", name, e)
		}
	}
}
