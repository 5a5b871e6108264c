package luau

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

type myErr struct{ code int }

func (e *myErr) Error() string { return fmt.Sprintf("my error %d", e.code) }

func TestRegisterAndCall(t *testing.T) {
	s := newState(t)
	if err := s.RegisterFunc("add", addFunc); err != nil {
		t.Fatal(err)
	}
	got, err := s.DoString("return add(2, 3)")
	if err != nil || got[0] != 5.0 {
		t.Fatalf("add = %v, %v", got, err)
	}
	got, err = s.Call("add", 4, 5)
	if err != nil || got[0] != 9.0 {
		t.Fatalf("Call add = %v, %v", got, err)
	}
	// Luau's wording for bad arguments, catchable by pcall.
	got, err = s.DoString("return pcall(add, 1, 'x')")
	if err != nil || got[0] != false || got[1] != "invalid argument #2 to 'add' (number expected, got string)" {
		t.Fatalf("pcall(add, 1, 'x') = %#v, %v", got, err)
	}
	got, _ = s.DoString("return pcall(add, 1)")
	if got[1] != "missing argument #2 to 'add' (number expected)" {
		t.Fatalf("missing argument: %#v", got)
	}
}

func TestValuesRoundTrip(t *testing.T) {
	s := newState(t)
	echo := func(c *CallContext) error {
		for i := 1; i <= c.NArgs(); i++ {
			c.PushArg(i)
		}
		return nil
	}
	if err := s.RegisterFunc("echo", echo); err != nil {
		t.Fatal(err)
	}
	got, err := s.DoString(`local t = {} local r = {echo(nil, true, 1.5, "a\0b", vector.create(1,2,3), t)}
		return r[1], r[2], r[3], r[4], r[5], r[6] == t, select('#', echo(nil, nil))`)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]any{nil, true, 1.5, "a\x00b", Vector{1, 2, 3}, true, 2.0})
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v want %v", got, want)
	}
	// Push of Go values, including tables built by the host.
	if err := s.RegisterFunc("make", func(c *CallContext) error {
		c.PushString("")
		c.PushVector(Vector{4, 5, 6})
		c.PushBool(false)
		c.PushNil()
		return c.Push(map[string]any{"list": []int{1, 2, 3}, "name": "x"})
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.DoString(`local a, b, c, d, e = make() return a, b, c, d, #e.list, e.name`)
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]any{"", Vector{4, 5, 6}, false, nil, 3.0, "x"}) {
		t.Fatalf("make = %v, %v", got, err)
	}
	// Many results (past the inline capacity) and long strings (past the scratch).
	if err := s.RegisterFunc("many", func(c *CallContext) error {
		for i := 0; i < 100; i++ {
			c.PushString(strings.Repeat("y", i*10))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.DoString(`local r = {many()} local ok = #r == 100 for i = 1, 100 do ok = ok and #r[i] == (i-1)*10 end return ok`)
	if err != nil || got[0] != true {
		t.Fatalf("many = %v, %v", got, err)
	}
}

func TestTableArgs(t *testing.T) {
	s := newState(t)
	if err := s.RegisterFunc("sum_table", func(c *CallContext) error {
		if c.Type(1) != TypeTable {
			return c.ArgError(1, "table expected, got "+c.Type(1).String())
		}
		var sum float64
		for i := 1; i <= c.Len(1); i++ {
			v, err := c.Index(1, int64(i))
			if err != nil {
				return err
			}
			f, _ := v.(float64)
			sum += f
		}
		name, err := c.Field(1, "name")
		if err != nil {
			return err
		}
		c.PushNumber(sum)
		return c.Push(name)
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DoString(`return sum_table({1, 2, 3.5, name = "n"})`)
	if err != nil || got[0] != 6.5 || got[1] != "n" {
		t.Fatalf("sum_table = %v, %v", got, err)
	}
	// __index metamethod errors come back as errors, not unwinds.
	_, err = s.DoString(`return sum_table(setmetatable({}, {__index = function() error("meta boom") end}))`)
	if err == nil || !strings.Contains(err.Error(), "meta boom") {
		t.Fatalf("metamethod error: %v", err)
	}
}

func TestHostErrorIdentity(t *testing.T) {
	s := newState(t)
	orig := &myErr{code: 7}
	if err := s.RegisterFunc("fail", func(c *CallContext) error { return orig }); err != nil {
		t.Fatal(err)
	}
	// Caught by pcall: the message is exactly the error's text.
	got, err := s.DoString("local ok, msg = pcall(fail) return ok, msg")
	if err != nil || got[0] != false || got[1] != "my error 7" {
		t.Fatalf("pcall(fail) = %#v, %v", got, err)
	}
	// Escaping: kind host, wrapping the very same error.
	_, err = s.DoString("local function f() fail() end f()")
	le := wantKind(t, err, KindHost)
	if le.Message != "my error 7" {
		t.Fatalf("message %q", le.Message)
	}
	var me *myErr
	if !errors.As(err, &me) || me != orig || !errors.Is(err, orig) {
		t.Fatalf("errors.As/Is do not find the original: %v", err)
	}
	// Wrapped sentinel errors keep working too.
	if err := s.RegisterFunc("eof", func(c *CallContext) error { return fmt.Errorf("reading: %w", io.EOF) }); err != nil {
		t.Fatal(err)
	}
	_, err = s.Call("eof")
	if !errors.Is(err, io.EOF) {
		t.Fatalf("errors.Is(io.EOF) false for %v", err)
	}
	// A script error that merely has the same text is not the host error.
	_, err = s.DoString("error('my error 7', 0)")
	wantKind(t, err, KindRuntime)
}

func TestPanicReraisedAtOutermostCall(t *testing.T) {
	s := newState(t)
	type payload struct{ n int }
	p := &payload{n: 1}
	if err := s.RegisterFunc("boom", func(c *CallContext) error { panic(p) }); err != nil {
		t.Fatal(err)
	}
	var got any
	var results []any
	func() {
		defer func() { got = recover() }()
		// The script's pcall sees the error but cannot swallow the panic.
		results, _ = s.DoString(`local ok, msg = pcall(boom) _G.seen = msg return "survived"`)
	}()
	if got != p {
		t.Fatalf("recovered %v (%T), want the original payload; results %v", got, got, results)
	}
	seen, err := s.Global("seen")
	if err != nil {
		t.Fatal(err)
	}
	if seen != nil && !strings.Contains(fmt.Sprint(seen), "host function 'boom' panicked") {
		t.Fatalf("pcall saw %q", seen)
	}
	// The state is usable afterwards, and the panic is not raised twice.
	if r, err := s.DoString("return 1"); err != nil || r[0] != 1.0 {
		t.Fatalf("after panic: %v, %v", r, err)
	}
	// Uncaught, through a Go -> Luau call.
	func() {
		defer func() { got = recover() }()
		_, _ = s.Call("boom")
	}()
	if got != p {
		t.Fatalf("Call: recovered %v", got)
	}
	// A panic with an error value: the message seen by pcall has its text.
	if err := s.RegisterFunc("boom2", func(c *CallContext) error { panic(errors.New("kaput")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterFunc("probe", func(c *CallContext) error {
		_, err := c.Call("boom2")
		c.PushString(err.Error())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { got = recover() }()
		_, _ = s.DoString("probe()")
	}()
	if e, ok := got.(error); !ok || e.Error() != "kaput" {
		t.Fatalf("nested panic: recovered %v", got)
	}
}

func TestStaleAndUnregister(t *testing.T) {
	s := newState(t)
	if err := s.RegisterFunc("add", addFunc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString("kept = add"); err != nil {
		t.Fatal(err)
	}
	if err := s.UnregisterFunc("add"); err != nil {
		t.Fatal(err)
	}
	_, err := s.DoString("return kept(1, 2)")
	if err == nil || !strings.Contains(err.Error(), "function 'add' is not registered") {
		t.Fatalf("stale call: %v", err)
	}
	if v, _ := s.Global("add"); v != nil {
		t.Fatalf("global still set: %v", v)
	}
	// Replacing frees the old id; the old reference is stale.
	if err := s.RegisterFunc("f", addFunc); err != nil {
		t.Fatal(err)
	}
	before := RegistrySize()
	if _, err := s.DoString("old = f"); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterFunc("f", func(c *CallContext) error { c.PushString("new"); return nil }); err != nil {
		t.Fatal(err)
	}
	if RegistrySize() != before {
		t.Fatalf("registry grew on replace: %d -> %d", before, RegistrySize())
	}
	got, err := s.DoString("return f()")
	if err != nil || got[0] != "new" {
		t.Fatalf("replaced f = %v, %v", got, err)
	}
	if _, err := s.DoString("return old(1, 2)"); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Fatalf("old reference: %v", err)
	}
	// Odd names work.
	for _, name := range []string{"", "with space", "ünïcødé_函数", "a.b:c"} {
		if err := s.RegisterFunc(name, addFunc); err != nil {
			t.Fatalf("RegisterFunc(%q): %v", name, err)
		}
		if err := s.SetGlobal("n", name); err != nil {
			t.Fatal(err)
		}
		got, err := s.DoString("return _G[n](1, 1)")
		if err != nil || got[0] != 2.0 {
			t.Fatalf("_G[%q] = %v, %v", name, got, err)
		}
	}
}

func TestRegistryCloseRemovesOwnEntries(t *testing.T) {
	base := RegistrySize()
	a, _ := New()
	b, _ := New()
	defer b.Close()
	for i := 0; i < 10; i++ {
		if err := a.RegisterFunc(fmt.Sprint("f", i), addFunc); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.RegisterFunc("g", addFunc); err != nil {
		t.Fatal(err)
	}
	if RegistrySize() != base+11 {
		t.Fatalf("registry size %d, want %d", RegistrySize(), base+11)
	}
	a.Close()
	if RegistrySize() != base+1 {
		t.Fatalf("after close: %d, want %d", RegistrySize(), base+1)
	}
	if got, err := b.DoString("return g(1, 2)"); err != nil || got[0] != 3.0 {
		t.Fatalf("other state broken: %v %v", got, err)
	}
	if err := a.RegisterFunc("x", addFunc); err == nil {
		t.Fatal("register after close succeeded")
	}
	if RegistrySize() != base+1 {
		t.Fatal("register after close leaked an entry")
	}
}

func TestNestedCalls(t *testing.T) {
	s := newState(t)
	if err := s.RegisterFunc("call_fn", func(c *CallContext) error {
		args := make([]any, 0, c.NArgs())
		for i := 2; i <= c.NArgs(); i++ {
			v, err := c.Arg(i)
			if err != nil {
				return err
			}
			args = append(args, v)
		}
		res, err := c.CallArg(1, args...)
		if err != nil {
			return err
		}
		for _, r := range res {
			if err := c.Push(r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Depth 50: host -> Luau -> host ...
	got, err := s.DoString(`
		local function rec(n) if n == 0 then return 0 end return 1 + call_fn(rec, n - 1) end
		return rec(50)`)
	if err != nil || got[0] != 50.0 {
		t.Fatalf("depth 50 = %v, %v", got, err)
	}
	// A Luau error inside the nested call reaches the host function as an error, and the
	// script as a catchable error.
	got, err = s.DoString(`return pcall(call_fn, function() error("inner", 0) end)`)
	if err != nil || got[0] != false || got[1] != "inner" {
		t.Fatalf("nested error = %#v, %v", got, err)
	}
	// Unbounded nesting ends in a clean error, not a crash.
	_, err = s.DoString(`local function rec() return call_fn(rec) end return rec()`)
	if err == nil {
		t.Fatal("unbounded nesting succeeded")
	}
	t.Logf("deep nesting: %v", err)
	if r, err := s.DoString("return 1"); err != nil || r[0] != 1.0 {
		t.Fatalf("state unusable after deep nesting: %v", err)
	}
}

func TestCloseInsideHostFunctionIsBusy(t *testing.T) {
	s := newState(t)
	var closeErr error
	if err := s.RegisterFunc("close_me", func(c *CallContext) error {
		closeErr = s.Close()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString("close_me()"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, closeErr, KindBusy)
	if _, err := s.DoString("return 1"); err != nil {
		t.Fatalf("state closed by the nested Close: %v", err)
	}
}

func TestRegisterDuringCallAndSelfUnregister(t *testing.T) {
	s := newState(t)
	if err := s.RegisterFunc("reg", func(c *CallContext) error {
		name, err := c.String(1)
		if err != nil {
			return err
		}
		return s.RegisterFunc(name, addFunc)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterFunc("selfdel", func(c *CallContext) error {
		if err := s.UnregisterFunc(c.Name()); err != nil {
			return err
		}
		c.PushString("unregistered")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DoString(`reg("plus") local a = plus(1, 2) local b = selfdel() local ok = pcall(selfdel) return a, b, ok`)
	if err != nil || fmt.Sprint(got) != "[3 unregistered false]" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestManyStatesInParallel(t *testing.T) {
	base := RegistrySize()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for round := 0; round < 20; round++ {
				s, err := New()
				if err != nil {
					t.Error(err)
					return
				}
				for i := 0; i < 5; i++ {
					if err := s.RegisterFunc(fmt.Sprint("f", i), addFunc); err != nil {
						t.Error(err)
					}
				}
				got, err := s.DoString("local s = 0 for i = 1, 200 do s = f0(s, 1) end return s")
				if err != nil || got[0] != 200.0 {
					t.Errorf("got %v, %v", got, err)
				}
				_ = s.UnregisterFunc("f1")
				s.Close()
			}
		}(g)
	}
	wg.Wait()
	if RegistrySize() != base {
		t.Fatalf("registry %d after all states closed, want %d", RegistrySize(), base)
	}
}

func TestBorrowedStringArgs(t *testing.T) {
	s := newState(t)
	var kept string
	if err := s.RegisterFunc("len", func(c *CallContext) error {
		str, err := c.String(1)
		if err != nil {
			return err
		}
		kept = strings.Clone(str)
		c.PushNumber(float64(len(str)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DoString(`return len(string.rep("ab\0", 1000000))`)
	if err != nil || got[0] != 3e6 {
		t.Fatalf("len = %v, %v", got, err)
	}
	if len(kept) != 3e6 || kept[2] != 0 {
		t.Fatal("cloned string damaged")
	}
	// 16 MiB round trip through an argument and a result.
	big := strings.Repeat("z", 16<<20)
	if err := s.RegisterFunc("id", func(c *CallContext) error {
		str, err := c.String(1)
		if err != nil {
			return err
		}
		c.PushString(str)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Call("id", big)
	if err != nil || got[0] != big {
		t.Fatal("16 MiB round trip failed", err)
	}
}

func TestCallContextAfterReturn(t *testing.T) {
	s := newState(t)
	var kept *CallContext
	if err := s.RegisterFunc("keep", func(c *CallContext) error { kept = c; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString("keep() function f() return 1 end"); err != nil {
		t.Fatal(err)
	}
	_, err := kept.Call("f")
	wantKind(t, err, KindArgument)
	if r, err := s.DoString("return 2"); err != nil || r[0] != 2.0 {
		t.Fatalf("state stuck after misuse: %v %v", r, err)
	}
}

func TestExportPanicBarrier(t *testing.T) {
	// A panic in the dispatcher itself (a binding bug) must still not unwind into C: the
	// barrier on the //export turns it into the panic status.
	s := newState(t)
	if err := s.RegisterFunc("f", addFunc); err != nil {
		t.Fatal(err)
	}
	saved := capi.Dispatcher
	capi.Dispatcher = func(uint64, *capi.Call) int32 { panic("dispatcher bug") }
	_, err := s.DoString("f(1, 2)")
	capi.Dispatcher = saved
	le := wantKind(t, err, KindPanic)
	if !strings.Contains(le.Message, "dispatcher bug") {
		t.Fatalf("message %q", le.Message)
	}
	if r, err := s.DoString("return f(1, 2)"); err != nil || r[0] != 3.0 {
		t.Fatalf("after barrier: %v %v", r, err)
	}
}
