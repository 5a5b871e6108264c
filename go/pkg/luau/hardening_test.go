package luau

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Go hardening (issue 13, item 4), stated requirement first.

// catch runs f and returns its panic (panicked: whether it panicked at all, so that a
// panic(nil) under GODEBUG=panicnil=1 is seen too).
func catch(f func()) (v any, panicked bool) {
	panicked = true
	defer func() {
		if panicked {
			v = recover()
		}
	}()
	f()
	panicked = false
	return nil, false
}

// Requirement: a *T parameter of a registered type receives a live userdata of T, never a
// nil pointer: nil is "invalid argument #1 to 'norm' (Vec3 expected, got nil)", an absent
// argument "missing argument #1 to 'norm' (Vec3 expected)", and the host function is not
// called. A T parameter is checked the same way. A parameter of type any is the way to
// accept nil.
func TestNilForAHostPointerIsATypeError(t *testing.T) {
	e := newVecEnv(t)
	s := e.s
	calls := 0
	must(t, s.Register("norm", func(v *vec3) float64 { calls++; return v.Len() }))
	must(t, s.Register("norm_val", func(v vec3) float64 { calls++; return v.Len() }))
	must(t, s.Register("norm2", func(v *vec3, k float64) float64 { calls++; return v.Len() * k }))
	must(t, s.Register("maybe", func(v any) bool { calls++; _, ok := v.(*vec3); return ok }))
	for src, want := range map[string]string{
		`norm()`:                "missing argument #1 to 'norm' (Vec3 expected)",
		`norm(nil)`:             "invalid argument #1 to 'norm' (Vec3 expected, got nil)",
		`norm2(nil, 2)`:         "invalid argument #1 to 'norm2' (Vec3 expected, got nil)",
		`norm_val()`:            "missing argument #1 to 'norm_val' (Vec3 expected)",
		`norm_val(nil)`:         "invalid argument #1 to 'norm_val' (Vec3 expected, got nil)",
		`norm_val(1)`:           "invalid argument #1 to 'norm_val' (Vec3 expected, got number)",
		`norm_val({x = 1})`:     "invalid argument #1 to 'norm_val' (Vec3 expected, got table)",
		`norm(Counter.new())`:   "invalid argument #1 to 'norm' (Vec3 expected, got Counter)",
		`takes_vec()`:           "missing argument #1 to 'takes_vec' (Vec3 expected)",
		`Vec3.new(1,2,3):dot()`: "missing argument #2 to 'dot' (Vec3 expected)",
	} {
		var msg string
		if v, p := catch(func() { msg = runErr(t, s, src) }); p {
			t.Fatalf("%s: the host function was called with nil and panicked: %v", src, v)
		}
		if msg != want {
			t.Errorf("%s: %q, want %q", src, msg, want)
		}
	}
	if calls != 0 {
		t.Fatalf("the host function ran %d times with a rejected argument", calls)
	}
	wantValues(t, run(t, s, `return norm(Vec3.new(3, 4, 0)), norm_val(Vec3.new(0, 3, 4)), maybe(nil), maybe(Vec3.new(1, 1, 1))`), 5.0, 5.0, false, true)
}

type node struct {
	V int
	C *node
}

type ping struct {
	N    int
	Pong *pong
}

type pong struct {
	N    int
	Ping *ping
}

// Requirement: recursive struct types (directly or through another type) register and
// convert both ways; data with a cycle is a clean error, never a hang or a crash.
func TestRecursiveStructTypesRegisterAndConvert(t *testing.T) {
	s := newState(t)
	must(t, s.Register("total", func(n *node) int {
		sum := 0
		for ; n != nil; n = n.C {
			sum += n.V
		}
		return sum
	}))
	must(t, s.Register("chain", func(k int) *node {
		var n *node
		for i := k; i >= 1; i-- {
			n = &node{V: i, C: n}
		}
		return n
	}))
	must(t, s.Register("cyclic", func() *node { n := &node{V: 1}; n.C = n; return n }))
	must(t, s.Register("bounce", func(p ping) int { return p.N + p.Pong.N + p.Pong.Ping.N }))
	wantValues(t, run(t, s, `return total({v = 1, c = {v = 2, c = {v = 3}}}), chain(3).c.c.v, chain(3).c.c.c, bounce({n = 1, pong = {n = 2, ping = {n = 3}}})`), 6.0, 3.0, nil, 6.0)
	if got := runErr(t, s, `local t = {v = 1} t.c = t return total(t)`); !strings.Contains(got, "(a cycle?)") {
		t.Errorf("cyclic table argument: %q", got)
	}
	if got := runErr(t, s, `return cyclic()`); !strings.Contains(got, "(a cycle?)") {
		t.Errorf("cyclic result: %q", got)
	}
	// As a registered type: the type registers (its field C is a *node: a Node userdata).
	s2 := newState(t)
	must(t, RegisterType[node](s2, "Node", WithConstructor(func(v int) *node { return &node{V: v} })))
	wantValues(t, run(t, s2, `local a, b = Node.new(1), Node.new(2) a.c = b return a.c.v, typeof(a.c), a.c.c`), 2.0, "Node", nil)
}

// Requirement: every destructor due runs even when some panic; the first panic is then
// re-raised with its original value, at the outermost call that ran them and at Close
// (after the state is closed).
func TestEveryDestructorRunsWhenOnePanics(t *testing.T) {
	type res struct{ id int }
	newEnv := func(t *testing.T) (*State, *[]int) {
		s := newState(t)
		ran := &[]int{}
		must(t, RegisterType[res](s, "Res",
			WithConstructor(func(id int) *res { return &res{id} }),
			WithDestructor(func(r *res) {
				*ran = append(*ran, r.id)
				if r.id%3 == 0 {
					panic(fmt.Sprintf("destructor %d", r.id))
				}
			})))
		must(t, s.RegisterFunc("collect", func(c *CallContext) error { _, err := c.GCControl(GCCollect, 0); return err }))
		return s, ran
	}

	t.Run("collected", func(t *testing.T) {
		s, ran := newEnv(t)
		v, p := catch(func() { _, _ = s.DoString(`for i = 1, 10 do Res.new(i) end collect()`) })
		if len(*ran) != 10 {
			t.Fatalf("%d of 10 destructors ran: %v", len(*ran), *ran)
		}
		first := fmt.Sprintf("destructor %d", firstMultipleOf3(*ran))
		if !p || v != first {
			t.Fatalf("re-raised %v (%v), want %q", v, p, first)
		}
		wantValues(t, run(t, s, `return 1`), 1.0) // the state is fine
	})

	t.Run("close", func(t *testing.T) {
		s, ran := newEnv(t)
		before := RegistrySize()
		run(t, s, `keep = {} for i = 1, 10 do keep[i] = Res.new(i) end`)
		v, p := catch(func() { _ = s.Close() })
		if len(*ran) != 10 {
			t.Fatalf("%d of 10 destructors ran at Close: %v", len(*ran), *ran)
		}
		first := fmt.Sprintf("destructor %d", firstMultipleOf3(*ran))
		if !p || v != first {
			t.Fatalf("Close re-raised %v (%v), want %q", v, p, first)
		}
		if _, err := s.DoString(`return 1`); err == nil || err.(*Error).Kind != KindClosed {
			t.Fatalf("after Close: %v", err)
		}
		if RegistrySize() >= before {
			t.Fatalf("registry %d entries after Close, %d before", RegistrySize(), before)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("host panic wins", func(t *testing.T) {
		s, ran := newEnv(t)
		must(t, s.RegisterFunc("boom", func(c *CallContext) error { panic("host") }))
		v, p := catch(func() { _, _ = s.DoString(`for i = 1, 6 do Res.new(i) end collect() boom()`) })
		if !p || v != "host" || len(*ran) != 6 {
			t.Fatalf("got %v (%v), %d destructors", v, p, len(*ran))
		}
	})
}

func firstMultipleOf3(ids []int) int {
	for _, id := range ids {
		if id%3 == 0 {
			return id
		}
	}
	return -1
}

// Requirement: panic(nil) in a host function or a destructor is never lost, under any
// GODEBUG setting: with GODEBUG=panicnil=1 (the default of a main module declaring
// go < 1.21) recover() returns nil for it, and the outermost call must still panic, the
// script's pcall must see it as an error, and the state must stay usable (not poisoned).
// The child process runs the checks with GODEBUG=panicnil=1; the parent runs them as is.
func TestPanicNilIsNeverLost(t *testing.T) {
	if os.Getenv("LUAU_EMBED_PANICNIL_CHILD") == "1" {
		if _, p := catch(func() { panic(nil) }); !p {
			t.Fatal("catch missed panic(nil)")
		}
		if v, _ := catch(func() { panic(nil) }); v != nil {
			t.Fatalf("GODEBUG=panicnil=1 is not in effect (recover() = %v)", v)
		}
		checkPanicNil(t)
		return
	}
	checkPanicNil(t) // default GODEBUG: the value is a *runtime.PanicNilError
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicNilIsNeverLost$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "GODEBUG=panicnil=1", "LUAU_EMBED_PANICNIL_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestPanicNilIsNeverLost") {
		t.Fatalf("child with GODEBUG=panicnil=1: %v\n%s", err, out)
	}
}

func checkPanicNil(t *testing.T) {
	t.Helper()
	s := newState(t)
	must(t, s.RegisterFunc("boom", func(c *CallContext) error { panic(nil) }))
	var res []any
	var err error
	_, p := catch(func() { res, err = s.DoString(`boom() return "not reached"`) })
	if !p {
		t.Fatalf("panic(nil) lost: DoString returned %v, %v", res, err)
	}
	// The script's pcall sees an error (and the panic still surfaces afterwards).
	_, p = catch(func() { res, err = s.DoString(`local ok, e = pcall(boom) return ok, e`) })
	if !p {
		t.Fatalf("panic(nil) under pcall lost: DoString returned %v, %v", res, err)
	}
	got, err := s.DoString(`return 1`)
	if err != nil || len(got) != 1 || got[0] != 1.0 {
		t.Fatalf("state after panic(nil): %v, %v", got, err)
	}
	// A destructor's panic(nil) at Close.
	type res2 struct{}
	must(t, RegisterType[res2](s, "Res2", WithConstructor(func() *res2 { return &res2{} }), WithDestructor(func(*res2) { panic(nil) })))
	run(t, s, `keep = Res2.new()`)
	if _, p := catch(func() { _ = s.Close() }); !p {
		t.Fatal("a destructor's panic(nil) at Close was lost")
	}
}

// Requirement: an integer crossing from Go into Luau is exact or an error, never rounded:
// a float64 holds every integer within ±2^53 (and larger ones only when exact); any other
// int/int64/uint/uint64 result or argument is an error of kind conversion.
func TestIntegersOutsideFloat64AreNotRounded(t *testing.T) {
	s := newState(t)
	const two53 = 1 << 53
	must(t, s.Register("at_limit", func() int64 { return two53 }))
	must(t, s.Register("neg_limit", func() int64 { return -two53 }))
	must(t, s.Register("past_limit", func() int64 { return two53 + 1 }))
	must(t, s.Register("past_limit_u", func() uint64 { return math.MaxUint64 }))
	must(t, s.Register("exact_big", func() uint64 { return 1 << 60 }))
	must(t, s.Register("fast_int", func() int { return two53 + 1 }))
	must(t, s.Register("fast_add", func(a, b int64) int64 { return a + b }))
	must(t, s.Register("pair", func() (int, int64) { return 1, -two53 - 1 }))
	must(t, s.RegisterFunc("raw", func(c *CallContext) error { return c.Push(int64(two53 + 1)) }))
	wantValues(t, run(t, s, `return at_limit(), neg_limit(), exact_big(), fast_add(2^53 - 1, 1)`), float64(two53), float64(-two53), float64(1<<60), float64(two53))
	for _, src := range []string{`past_limit()`, `past_limit_u()`, `fast_int()`, `fast_add(2^53, 1)`, `pair()`, `raw()`} {
		got := runErr(t, s, `return `+src)
		if !strings.Contains(got, "has no exact Luau number") {
			t.Errorf("%s: %q", src, got)
		}
	}
	run(t, s, `function id(x) return x end`)
	_, err := s.Call("id", int64(two53+1))
	wantKind(t, err, KindConversion)
	wantKind(t, s.SetGlobal("g", []any{uint64(math.MaxUint64)}), KindConversion)
	if big := int64(two53 + 1); intBits == 64 {
		_, err = s.Call("id", int(big))
		wantKind(t, err, KindConversion)
	}
}

// errorPanics is a host error whose Error() panics.
type errorPanics struct{}

func (errorPanics) Error() string { panic("Error() exploded") }

// Requirement: a panic inside a host error's Error() is a panic of host code and is handled
// as a panic of the host function: the original value is resumed at the outermost call
// (a script's pcall cannot hide it), never returned as a KindPanic error, and the state stays
// usable.
func TestPanicInHostErrorTextIsAHostPanic(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("bad", func(c *CallContext) error { return errorPanics{} }))
	for _, src := range []string{"bad()", "return pcall(bad)"} {
		var err error
		v, panicked := catch(func() { _, err = s.DoString(src) })
		if !panicked || v != "Error() exploded" {
			t.Errorf("%s: panic %v (panicked %v), err %v; want the original panic resumed", src, v, panicked, err)
		}
	}
	if r, err := s.DoString("return 1"); err != nil || len(r) != 1 {
		t.Fatalf("state unusable after the panic: %v %v", r, err)
	}
}

// Requirement: a State dropped without Close is closed by its finalizer at the pace of the
// C memory it holds, because the Go GC accounts for that memory: dropping 3000 states
// without Close never makes New fail, and at no point are more than 600 of them open (each
// holds ~100 KiB of C memory; without the accounting the GC sees ~2 KiB per state and runs
// only every few thousand of them).
func TestUnclosedStatesAreFinalizedAtTheirMemorysPace(t *testing.T) {
	runtime.GC()
	base := openStates.Load()
	peak := int64(0)
	for i := 0; i < 3000; i++ {
		s, err := New()
		if err != nil {
			t.Fatalf("New failed after %d unclosed states: %v", i, err)
		}
		if _, err := s.DoString("return 1"); err != nil {
			t.Fatal(err)
		}
		if n := openStates.Load() - base; n > peak {
			peak = n
		}
	}
	t.Logf("peak open unclosed states: %d", peak)
	// Let the finalizers close the rest now, not during a later test's allocation count.
	for i := 0; i < 50 && openStates.Load() > base; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if peak > 600 {
		t.Fatalf("%d unclosed states were open at once; want at most 600", peak)
	}
}
