package luau

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of containment (containment.go, bounds.go), stated requirement first.

// interruptWhenRunning calls s.Interrupt from another goroutine, after delay (if any),
// until it hits a run.
func interruptWhenRunning(s *State, delay ...time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if len(delay) > 0 {
			select {
			case <-done:
				return
			case <-time.After(delay[0]):
			}
		}
		for !s.Interrupt() {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// Requirement: Interrupt, called from another goroutine while a script runs, stops a
// runaway loop (also one that swallows errors with pcall) with kind interrupted and cause
// cancelled; the state then runs the next script; an idle state's Interrupt returns false
// and affects nothing.
func TestInterruptStopsARunawayScriptFromAnotherGoroutine(t *testing.T) {
	s := newState(t)
	if s.Interrupt() {
		t.Fatal("Interrupt of an idle state returned true")
	}
	for _, src := range []string{"while true do end", "while true do pcall(function() while true do end end) end"} {
		stop := interruptWhenRunning(s)
		_, err := s.DoString(src)
		stop()
		e := wantKind(t, err, KindInterrupted)
		if e.Interrupt() != InterruptCancelled || !strings.Contains(e.Message, "script interrupted: cancelled") {
			t.Fatalf("cause %v, message %q", e.Interrupt(), e.Message)
		}
		if errors.Unwrap(err) != nil {
			t.Fatalf("an Interrupt error unwraps to %v", errors.Unwrap(err))
		}
		if !errors.Is(err, &Error{Kind: KindInterrupted}) {
			t.Fatal("errors.Is(err, &Error{Kind: KindInterrupted}) is false")
		}
	}
	wantValues(t, run(t, s, "return 1 + 1"), 2.0)
}

// Requirement: Interrupt is safe at any time from any goroutine, also racing Close; after
// Close it returns false.
func TestInterruptRacingCloseIsSafe(t *testing.T) {
	for i := 0; i < 50; i++ {
		s, err := New()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				s.Interrupt()
			}
		}()
		_, _ = s.DoString("local x = 0 for i = 1, 1000 do x += i end")
		must(t, s.Close())
		wg.Wait()
		if s.Interrupt() {
			t.Fatal("Interrupt after Close returned true")
		}
	}
}

// Requirement: a context deadline stops a runaway script in about the deadline, with kind
// interrupted and cause deadline, and errors.Is(err, context.DeadlineExceeded).
func TestDoStringContextDeadlineStopsARunawayScript(t *testing.T) {
	s := newState(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.DoStringContext(ctx, "while true do end")
	elapsed := time.Since(start)
	e := wantKind(t, err, KindInterrupted)
	if !errors.Is(err, context.DeadlineExceeded) || e.Interrupt() != InterruptDeadline {
		t.Fatalf("errors.Is DeadlineExceeded false or cause %v: %q", e.Interrupt(), e.Message)
	}
	if !strings.Contains(e.Message, "deadline exceeded") {
		t.Fatalf("message %q", e.Message)
	}
	if elapsed < 45*time.Millisecond || elapsed > 2*time.Second { // generous: a loaded CI machine
		t.Fatalf("stopped after %v, deadline 50ms", elapsed)
	}
	wantValues(t, run(t, s, "return 'usable'"), "usable")
}

// Requirement: cancelling the context stops the run with errors.Is(err, context.Canceled);
// CallContext and Function.CallContext honour contexts the same way.
func TestContextCancellationStopsCalls(t *testing.T) {
	s := newState(t)
	run(t, s, "function spin() while true do end end")
	g, err := s.Global("spin")
	must(t, err)
	spin := g.(*Function)
	defer spin.Release()
	calls := map[string]func(ctx context.Context) error{
		"DoStringContext": func(ctx context.Context) error { _, err := s.DoStringContext(ctx, "spin()"); return err },
		"CallContext":     func(ctx context.Context) error { _, err := s.CallContext(ctx, "spin"); return err },
		"Function.CallContext": func(ctx context.Context) error {
			_, err := spin.CallContext(ctx)
			return err
		},
	}
	for name, call := range calls {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		err := call(ctx)
		e := wantKind(t, err, KindInterrupted)
		if !errors.Is(err, context.Canceled) || e.Interrupt() != InterruptCancelled {
			t.Fatalf("%s: errors.Is Canceled false or cause %v (%q)", name, e.Interrupt(), e.Message)
		}
		ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
		err = call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: deadline: %v", name, err)
		}
	}
}

// Requirement: a context that is already done runs nothing and returns kind interrupted
// wrapping ctx.Err().
func TestContextAlreadyDoneRunsNothing(t *testing.T) {
	s := newState(t)
	ran := 0
	must(t, s.RegisterFunc("mark", func(c *CallContext) error { ran++; return nil }))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.DoStringContext(ctx, "mark()")
	wantKind(t, err, KindInterrupted)
	if !errors.Is(err, context.Canceled) || ran != 0 {
		t.Fatalf("err %v, ran %d", err, ran)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = s.CallContext(ctx, "mark")
	if !errors.Is(err, context.DeadlineExceeded) || ran != 0 {
		t.Fatalf("err %v, ran %d", err, ran)
	}
}

// Requirement: a context's cancellation never reaches a later call, however close to the
// end of its own call it comes; a context that ends after its call returned changes nothing.
func TestLateCancellationDoesNotReachTheNextCall(t *testing.T) {
	s := newState(t)
	for i := 0; i < 300; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		go cancel() // races the end of the call
		_, _ = s.DoStringContext(ctx, "local x = 0 for i = 1, 100 do x += i end")
		out, err := s.DoString("local x = 0 for i = 1, 20000 do x += 1 end return x")
		if err != nil {
			t.Fatalf("iteration %d: the next call failed: %v", i, err)
		}
		wantValues(t, out, 20000.0)
	}
}

// Requirement: a run timeout stops every run that takes longer (cause deadline, not
// wrapping a context error), leaves faster runs alone, and SetRunTimeout changes it.
func TestRunTimeout(t *testing.T) {
	s := newState(t, WithRunTimeout(30*time.Millisecond))
	_, err := s.DoString("while true do end")
	e := wantKind(t, err, KindInterrupted)
	if e.Interrupt() != InterruptDeadline || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cause %v, unwraps to %v", e.Interrupt(), errors.Unwrap(err))
	}
	wantValues(t, run(t, s, "local s = 0 for i = 1, 1000 do s += i end return s"), 500500.0)
	must(t, s.SetRunTimeout(0))
	stop := interruptWhenRunning(s, 100*time.Millisecond)
	start := time.Now()
	_, err = s.DoString("while true do end")
	stop()
	if e := wantKind(t, err, KindInterrupted); e.Interrupt() != InterruptCancelled || time.Since(start) < 90*time.Millisecond {
		t.Fatalf("without a timeout: cause %v after %v", e.Interrupt(), time.Since(start))
	}
}

// Requirement: WithSandbox seals right before the first run, so functions, types and
// globals the host sets up after New are shared read-only; each run has its own globals;
// writes to shared tables fail; Sandbox seals explicitly; after sealing, RegisterFunc and
// SetGlobal fail cleanly.
func TestSandbox(t *testing.T) {
	s := newState(t, WithSandbox())
	must(t, s.RegisterFunc("add", addFunc))
	must(t, s.SetGlobal("config", map[string]any{"level": 3}))
	wantValues(t, run(t, s, "mine = 1 return add(config.level, 1), mine"), 4.0, 1.0)
	wantValues(t, run(t, s, "return mine"), nil)
	if msg := runErr(t, s, "config.level = 9"); !strings.Contains(msg, "readonly") {
		t.Fatalf("writing a shared table: %q", msg)
	}
	if msg := runErr(t, s, "string.upper = nil"); !strings.Contains(msg, "readonly") {
		t.Fatalf("writing a library: %q", msg)
	}
	wantValues(t, run(t, s, "add = function() return 0 end return add(1, 2)"), 0.0)
	wantValues(t, run(t, s, "return add(1, 2)"), 3.0)
	if err := s.RegisterFunc("late", addFunc); err == nil {
		t.Fatal("RegisterFunc after sealing succeeded")
	}
	if !s.Sandboxed() {
		t.Fatal("Sandboxed() is false")
	}

	plain := newState(t)
	if plain.Sandboxed() {
		t.Fatal("a plain state is sandboxed")
	}
	must(t, plain.Sandbox())
	must(t, plain.Sandbox()) // again: nothing
	run(t, plain, "x = 1")
	wantValues(t, run(t, plain, "return x"), nil)
}

// Requirement: a sandboxed state's first run of any kind seals it (Call, NewThread too).
func TestSandboxSealsBeforeAnyFirstRun(t *testing.T) {
	s := newState(t, WithSandbox())
	must(t, s.RegisterFunc("add", addFunc))
	if _, err := s.Call("add", 1, 2); err != nil {
		t.Fatal(err)
	}
	if !s.Sandboxed() {
		t.Fatal("Call did not seal")
	}
}

// Requirement: print exists on every state; it discards by default, writes the line Luau's
// print formats to the WithPrint / SetPrint writer, and discards again after SetPrint(nil).
func TestPrint(t *testing.T) {
	s := newState(t)
	run(t, s, "print('nobody sees this')")
	var buf bytes.Buffer
	must(t, s.SetPrint(&buf))
	run(t, s, "print('a', 1, true, nil, {} ~= nil) print()")
	if got := buf.String(); got != "a\t1\ttrue\tnil\ttrue\n\n" {
		t.Fatalf("printed %q", got)
	}
	must(t, s.SetPrint(nil))
	run(t, s, "print('gone')")
	if strings.Contains(buf.String(), "gone") {
		t.Fatal("SetPrint(nil) still prints")
	}
	var w bytes.Buffer
	s2 := newState(t, WithPrint(&w))
	run(t, s2, "print(string.rep('x', 3))")
	if w.String() != "xxx\n" {
		t.Fatalf("WithPrint: %q", w.String())
	}
}

type panickyWriter struct{}

func (panickyWriter) Write([]byte) (int, error) { panic("writer broke") }

// Requirement: a print writer that panics stops the script and the panic is re-raised on
// the calling goroutine when the outermost call returns; the state stays usable.
func TestPrintWriterPanicIsReraised(t *testing.T) {
	s := newState(t, WithPrint(panickyWriter{}))
	func() {
		defer func() {
			if v := recover(); v != "writer broke" {
				t.Fatalf("recovered %v", v)
			}
		}()
		_, _ = s.DoString("print('x') while true do end")
		t.Fatal("no panic")
	}()
	must(t, s.SetPrint(nil))
	wantValues(t, run(t, s, "return 1"), 1.0)
}

// Requirement: the Untrusted profile is sandboxed, memory-limited and time-limited, and its
// print goes to the given writer.
func TestUntrustedProfile(t *testing.T) {
	var out bytes.Buffer
	s := newState(t, Untrusted(&out), WithRunTimeout(50*time.Millisecond))
	run(t, s, "print('hi') leaked = true")
	wantValues(t, run(t, s, "return leaked"), nil)
	if out.String() != "hi\n" {
		t.Fatalf("printed %q", out.String())
	}
	_, err := s.DoString("while true do end")
	wantKind(t, err, KindInterrupted)
	_, err = s.DoString("local s = string.rep('x', 2^27)")
	wantKind(t, err, KindMemory)
	if msg := runErr(t, s, "getmetatable('').__index = {}"); !strings.Contains(msg, "readonly") {
		t.Fatalf("string metatable: %q", msg)
	}
}

// Requirement: a table reached twice converts once (one shared Go map), so a chain of 23
// tables with 2^23 paths converts instantly; a cycle is a clean conversion error.
func TestSharedTablesConvertOnce(t *testing.T) {
	s := newState(t)
	out := run(t, s, "local a = {x = 1} return a, a, {a, a}")
	a1, a2, pair := out[0].(map[any]any), out[1].(map[any]any), out[2].([]any)
	a1["marker"] = true
	if a2["marker"] != true || pair[0].(map[any]any)["marker"] != true || pair[1].(map[any]any)["marker"] != true {
		t.Fatal("the same table converted to different maps")
	}
	start := time.Now()
	out = run(t, s, "local a = {} for i = 1, 23 do a = {a, a} end return a")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the chain took %v", d)
	}
	depth := 0
	for v := out[0]; ; depth++ {
		pair, ok := v.([]any)
		if !ok {
			break
		}
		if &pair[0] == nil || pair[0] == nil {
			t.Fatal("a pair lost an element")
		}
		v = pair[0]
	}
	if depth != 23 {
		t.Fatalf("depth %d", depth)
	}
	_, err := s.DoString("local t = {} t.self = t return t")
	if e := wantKind(t, err, KindConversion); !strings.Contains(e.Message, "cycle") {
		t.Fatalf("cycle: %q", e.Message)
	}
}

// Requirement: what a conversion produces is bounded by the memory limit (or
// DefaultConversionBudget): results over it are kind memory "results exceed", before any
// copy, and the state stays usable.
func TestConversionIsBounded(t *testing.T) {
	s := newState(t, WithMemoryLimit(16<<20))
	_, err := s.DoString("return table.unpack(table.create(4096, string.rep('x', 2^20)))")
	if e := wantKind(t, err, KindMemory); !strings.Contains(e.Message, "results exceed") {
		t.Fatalf("message %q", e.Message)
	}
	_, err = s.DoString("local s = string.rep('x', 2^20) local t = {} for i = 1, 100 do t[i] = s end return t")
	if e := wantKind(t, err, KindMemory); !strings.Contains(e.Message, "results exceed") {
		t.Fatalf("table: %q", e.Message)
	}
	wantValues(t, run(t, s, "return #string.rep('x', 2^20)"), float64(1<<20))
	out := run(t, s, "return string.rep('x', 2^20)")
	if len(out[0].(string)) != 1<<20 {
		t.Fatal("a result within the budget was not converted")
	}

	unlimited := newState(t)
	_, err = unlimited.DoString("return table.unpack(table.create(300, string.rep('x', 2^20)))")
	if e := wantKind(t, err, KindMemory); !strings.Contains(e.Message, "results exceed") {
		t.Fatalf("default budget: %q", e.Message)
	}
}

// Requirement: containment costs the hot call path nothing: a call with scalar arguments
// and results allocates nothing, with or without a run timeout.
func TestContainmentKeepsTheHotPathAllocationFree(t *testing.T) {
	for _, opts := range [][]Option{nil, {WithRunTimeout(time.Hour)}, {WithSandbox()}} {
		s := newState(t, opts...)
		f := run(t, s, "return function(x) end")[0].(*Function)
		if n := testing.AllocsPerRun(200, func() { _, _ = f.Call(1.5) }); n != 0 {
			t.Fatalf("%d options: %v allocations per call", len(opts), n)
		}
		f.Release()
	}
}

// Requirement: WithLibraries opens just the chosen standard libraries (print and loadstring
// come with the base library); the last of WithLibraries / WithoutStdlib wins.
func TestWithLibrariesSelectsTheStandardLibraries(t *testing.T) {
	s := newState(t, WithLibraries(LibBase|LibString|LibMath))
	wantValues(t, run(t, s, "print('x') return os == nil, debug == nil, string.upper('a'), math.floor(1.5), type(loadstring)"),
		true, true, "A", 1.0, "function")
	none := newState(t, WithLibraries(0))
	wantValues(t, run(t, none, "return 1"), 1.0)
	if _, err := none.DoString("return string.rep('x', 2)"); err == nil {
		t.Fatal("string opened with WithLibraries(0)")
	}
	all := newState(t, WithoutStdlib(), WithLibraries(LibAll))
	wantValues(t, run(t, all, "return os ~= nil, debug ~= nil"), true, true)
}
