package luau

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Requirement: a table built by the host is the same table in Luau: the script's writes
// are seen through the handle, the host's writes by the script; Get honours __index and
// RawGet does not; Set honours __newindex and RawSet does not; Len is the raw length.
func TestTableHandleIsTheLuauTable(t *testing.T) {
	s := newState(t)
	tb, err := s.NewTable()
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Set("name", "cfg"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Set(1.0, 10); err != nil {
		t.Fatal(err)
	}
	if err := tb.Set(true, "yes"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetGlobal("cfg", tb); err != nil {
		t.Fatal(err)
	}
	out := run(t, s, `cfg.seen = cfg.name .. cfg[1] .. cfg[true]; cfg[2] = 20; return rawequal(cfg, cfg)`)
	if out[0] != true {
		t.Fatal(out)
	}
	if v, err := tb.Get("seen"); err != nil || v != "cfg10yes" {
		t.Fatalf("seen = %#v, %v", v, err)
	}
	if n, err := tb.Len(); err != nil || n != 2 {
		t.Fatalf("len = %d, %v", n, err)
	}
	// The handle passed as an argument is the same table (identity).
	run(t, s, `function same(x) return rawequal(x, cfg) end`)
	if out, err := s.Call("same", tb); err != nil || out[0] != true {
		t.Fatalf("same = %v, %v", out, err)
	}

	run(t, s, `log = {} setmetatable(cfg, {__index = function(_, k) return "dflt:" .. tostring(k) end,
		__newindex = function(t, k, v) table.insert(log, k) rawset(t, k, v) end})`)
	if v, _ := tb.Get("missing"); v != "dflt:missing" {
		t.Fatalf("Get through __index = %#v", v)
	}
	if v, _ := tb.RawGet("missing"); v != nil {
		t.Fatalf("RawGet = %#v", v)
	}
	if err := tb.Set("a", 1); err != nil {
		t.Fatal(err)
	}
	if err := tb.RawSet("b", 2); err != nil {
		t.Fatal(err)
	}
	if out := run(t, s, `return #log, log[1], cfg.a, cfg.b`); !reflect.DeepEqual(out, []any{1.0, "a", 1.0, 2.0}) {
		t.Fatalf("__newindex log = %#v", out)
	}
	// A metamethod error is a clean runtime error; a nil key is Luau's error.
	run(t, s, `setmetatable(cfg, {__index = function() error("boom") end})`)
	if _, err := tb.Get("zz"); !strings.Contains(wantKind(t, err, KindRuntime).Message, "boom") {
		t.Fatal(err)
	}
	if err := tb.RawSet(nil, 1); err == nil {
		t.Fatal("RawSet(nil key) succeeded")
	}
	if n, _ := tb.Len(); n != 2 {
		t.Fatalf("a failed set changed the table: len %d", n)
	}
}

// Requirement: ForEach visits every entry once in pairs order (the sequence part 1..n in
// order first) and stops when fn returns false; nested tables come as handles.
func TestTableForEachOrder(t *testing.T) {
	s := newState(t)
	f := run(t, s, `return function() return {10, 20, 30, x = {1}} end`)[0].(*Function)
	res, err := f.CallHandles()
	if err != nil {
		t.Fatal(err)
	}
	tb := res[0].(*Table)
	var keys []any
	var nested *Table
	if err := tb.ForEach(func(k, v any) bool {
		keys = append(keys, k)
		if k == "x" {
			nested = v.(*Table)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys[:3], []any{1.0, 2.0, 3.0}) || len(keys) != 4 || keys[3] != "x" {
		t.Fatalf("keys %#v", keys)
	}
	if v, err := nested.Get(1); err != nil || v != 1.0 {
		t.Fatalf("nested[1] = %#v, %v", v, err)
	}
	n := 0
	if err := tb.ForEach(func(k, v any) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Fatalf("stop after 2: n = %d, %v", n, err)
	}
	if v, err := tb.Value(); err != nil || !reflect.DeepEqual(v, map[any]any{1.0: 10.0, 2.0: 20.0, 3.0: 30.0, "x": []any{1.0}}) {
		t.Fatalf("Value = %#v, %v", v, err)
	}
}

// Requirement: a table nested 100 deep, returned to the host as a handle, can be read to
// the bottom (a copy stops at the conversion depth; handles do not).
func TestTableHandleNested100(t *testing.T) {
	s := newState(t)
	f := run(t, s, `return function() local t = {v = "bottom"} for i = 1, 100 do t = {next = t} end return t end`)[0].(*Function)
	res, err := f.CallHandles()
	if err != nil {
		t.Fatal(err)
	}
	tb := res[0].(*Table)
	for i := 0; i < 100; i++ {
		if tb, err = tb.GetTable("next"); err != nil {
			t.Fatalf("level %d: %v", i, err)
		}
	}
	if v, _ := tb.Get("v"); v != "bottom" {
		t.Fatalf("bottom = %#v", v)
	}
	if _, err := tb.GetTable("v"); err == nil {
		t.Fatal("GetTable of a string succeeded")
	}
}

// Requirement: a table handle used on another state, after Release, or after its state's
// Close is a clean error, never another table.
func TestTableHandleWrongStateReleasedClosed(t *testing.T) {
	a, b := newState(t), newState(t)
	tb, err := a.NewTable()
	if err != nil {
		t.Fatal(err)
	}
	run(t, b, `function id(x) return x end`)
	_, err = b.Call("id", tb)
	wantKind(t, err, KindConversion)
	wantKind(t, b.SetGlobal("x", tb), KindConversion)
	other, _ := b.NewTable()
	wantKind(t, tb.Set("k", other), KindConversion)
	tb.Release()
	tb.Release() // idempotent
	_, err = tb.Get("k")
	wantKind(t, err, KindArgument)
	_, err = a.Call("print", tb)
	wantKind(t, err, KindConversion)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = other.Get("k")
	wantKind(t, err, KindClosed)
	other.Release() // harmless after Close
}

// Requirement: handles dropped without Release do not pin the Luau heap: after 100k
// discarded function and table results and a garbage collection (Go's, then the state's at
// its next entry), the heap is back near where it started.
func TestDroppedHandlesLeaveHeapFlat(t *testing.T) {
	s := newState(t)
	run(t, s, `function mk() return function() end, {1, 2, 3} end`)
	f := run(t, s, `return mk`)[0].(*Function)
	settleHeap := func() uint64 {
		for i := 0; i < 3; i++ {
			runtime.GC()
			time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
		}
		if err := s.GC(); err != nil { // an entry: drains the queue, then collects
			t.Fatal(err)
		}
		if err := s.GC(); err != nil {
			t.Fatal(err)
		}
		return s.MemoryUsed()
	}
	before := settleHeap()
	const n = 100_000
	var peak uint64
	round := func() uint64 {
		for i := 0; i < n; i++ {
			if _, err := f.CallHandles(); err != nil {
				t.Fatal(err)
			}
			if i%10_000 == 0 {
				if m := s.MemoryUsed(); m > peak {
					peak = m
				}
			}
		}
		return settleHeap()
	}
	mid := round()
	after := round()
	t.Logf("Luau heap: %d KiB before, %d KiB after %d and %d KiB after %d discarded (function, table) results (peak %d KiB)",
		before>>10, mid>>10, n, after>>10, 2*n, peak>>10)
	// What stays is the registry's own array, grown to the most references alive at once
	// (Go releases dropped handles only after its GC ran): capacity, not values, bounded
	// whatever the count (1-3 MiB here, depending on how often Go's GC ran). A leak grows
	// it by about 14 MiB per round.
	if mid > before+6<<20 || after > mid+4<<20 {
		t.Fatalf("heap grew: %d, %d, %d bytes", before, mid, after)
	}
}

// Requirement: a sequence (keys exactly 1..n) converts to []any; a mixed table, a table
// with a hole and the empty table stay map[any]any; sharing is kept.
func TestSequencesConvertToSlices(t *testing.T) {
	s := newState(t)
	out := run(t, s, `local t = {} return {1, 2, 3}, {1, x = 2}, {1, 2, nil, 4}, {}, {[2] = "b", [1] = "a"}, {t, t}`)
	if !reflect.DeepEqual(out[0], []any{1.0, 2.0, 3.0}) {
		t.Fatalf("sequence %#v", out[0])
	}
	if !reflect.DeepEqual(out[1], map[any]any{1.0: 1.0, "x": 2.0}) {
		t.Fatalf("mixed %#v", out[1])
	}
	if _, ok := out[2].(map[any]any); !ok {
		t.Fatalf("holes %#v", out[2])
	}
	if m, ok := out[3].(map[any]any); !ok || len(m) != 0 {
		t.Fatalf("empty %#v", out[3])
	}
	if !reflect.DeepEqual(out[4], []any{"a", "b"}) {
		t.Fatalf("hash-part sequence %#v", out[4])
	}
	pair := out[5].([]any)
	a, b := pair[0].(map[any]any), pair[1].(map[any]any)
	a["marker"] = true
	if b["marker"] != true {
		t.Fatal("a table reached twice became two Go values")
	}
}

// Requirement: a released handle's cleanup never releases the reference a later handle
// got (Luau reuses reference numbers): Release cancels it.
func TestReleaseCancelsCleanup(t *testing.T) {
	s := newState(t)
	run(t, s, `function mk() return function() return 7 end end`)
	for i := 0; i < 100; i++ {
		f, err := s.Call("mk")
		if err != nil {
			t.Fatal(err)
		}
		f[0].(*Function).Release() // its reference number is free again
		g, err := s.Call("mk")     // and is likely g's
		if err != nil {
			t.Fatal(err)
		}
		f = nil
		runtime.GC()
		time.Sleep(time.Millisecond)
		_ = s.GC()
		if out, err := g[0].(*Function).Call(); err != nil || out[0] != 7.0 {
			t.Fatalf("round %d: g() = %v, %v", i, out, err)
		}
	}
}

// Requirement: an ArgRef kept after its call is a clean error when used later, never the
// argument of a later call at the same depth (which reuses the call context and memory).
func TestKeptArgRefIsStale(t *testing.T) {
	s := newState(t)
	var kept ArgRef
	if err := s.RegisterFunc("keep", func(c *CallContext) error { kept = c.Ref(1); return nil }); err != nil {
		t.Fatal(err)
	}
	var pushErr error
	if err := s.RegisterFunc("use", func(c *CallContext) error {
		pushErr = c.Push(kept)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out := run(t, s, `keep("first") return use("second")`)
	if pushErr == nil {
		t.Fatalf("a stale ArgRef was pushed: the script got %#v", out)
	}
	wantKind(t, pushErr, KindConversion)
	if !strings.Contains(pushErr.Error(), "outside its call") {
		t.Fatal(pushErr)
	}
	// Used as an argument of a host-side call after the call: the same error.
	_, err := s.Call("print", kept)
	wantKind(t, err, KindConversion)
}

// Requirement: CallFloat returns the first number result, allocates nothing, and turns a
// result of another type (or none) into KindConversion with the stack left balanced.
func TestCallFloat(t *testing.T) {
	s := newState(t)
	run(t, s, `function inc(x) return x + 1 end function two(a, b) return a * b, "extra" end
		function str() return "x" end function none() end function bad() error("no") end`)
	get := func(name string) *Function {
		g, err := s.Global(name)
		if err != nil {
			t.Fatal(err)
		}
		return g.(*Function)
	}
	inc, two := get("inc"), get("two")
	top := s.st.c.GetTop()
	if v, err := inc.CallFloat(41); err != nil || v != 42 {
		t.Fatalf("inc = %v, %v", v, err)
	}
	if v, err := two.CallFloat(6, 7); err != nil || v != 42 {
		t.Fatalf("two = %v, %v", v, err)
	}
	_, err := get("str").CallFloat()
	if e := wantKind(t, err, KindConversion); !strings.Contains(e.Message, "string") {
		t.Fatal(e)
	}
	_, err = get("none").CallFloat()
	wantKind(t, err, KindConversion)
	_, err = get("bad").CallFloat()
	wantKind(t, err, KindRuntime)
	if got := s.st.c.GetTop(); got != top {
		t.Fatalf("stack top %d, was %d", got, top)
	}
	if allocs := testing.AllocsPerRun(1000, func() {
		if _, err := inc.CallFloat(1); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("CallFloat allocates %v times per call", allocs)
	}
}

// The typed form of BenchmarkCallLuauFromGo (go/bench luau_call_from_host uses it).
func BenchmarkCallFloatLuauFromGo(b *testing.B) {
	s := newState(b)
	if _, err := s.DoString(`function inc(x) return x + 1 end`); err != nil {
		b.Fatal(err)
	}
	g, _ := s.Global("inc")
	f := g.(*Function)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.CallFloat(float64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// Requirement: the sandbox's read-only tables stay read-only through a handle: RawSet is
// refused (the raw write would bypass Luau's own check), Set is a runtime error.
func TestTableHandleReadOnly(t *testing.T) {
	s := newState(t, WithSandbox())
	if err := s.Sandbox(); err != nil {
		t.Fatal(err)
	}
	m, err := s.GlobalTable("math")
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, m.RawSet("pi", 3), KindArgument)
	if err := m.Set("pi", 3); err == nil {
		t.Fatal("Set on a read-only table succeeded")
	}
	if v, _ := m.Get("pi"); v == 3.0 {
		t.Fatal("math.pi changed")
	}
}
