package luau

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Tests of threads and yielding host functions (thread.go), stated requirement first.

func globalFunc(t *testing.T, s *State, name string) *Function {
	t.Helper()
	g, err := s.Global(name)
	must(t, err)
	f, ok := g.(*Function)
	if !ok {
		t.Fatalf("global %q is %T", name, g)
	}
	t.Cleanup(f.Release)
	return f
}

func resume(t *testing.T, th *Thread, args ...any) ([]any, bool) {
	t.Helper()
	out, yielded, err := th.Resume(args...)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	return out, yielded
}

// Requirement: the host resumes a thread with values and gets back what it yields, both
// ways, until it returns; the status follows (suspended, finished), and resuming a finished
// thread is kind argument "cannot resume".
func TestThreadResumeYieldPingPong(t *testing.T) {
	s := newState(t)
	run(t, s, "function pingpong(a) local b = coroutine.yield(a + 1) local c = coroutine.yield(b * 2) return a + b + c end")
	th, err := s.NewThread(globalFunc(t, s, "pingpong"))
	must(t, err)
	defer th.Close()
	if th.Status() != ThreadSuspended {
		t.Fatalf("new thread: %v", th.Status())
	}
	out, y := resume(t, th, 1)
	wantValues(t, out, 2.0)
	if !y {
		t.Fatal("yield reported as return")
	}
	out, _ = resume(t, th, 10)
	wantValues(t, out, 20.0)
	out, y = resume(t, th, 100)
	wantValues(t, out, 111.0)
	if y || th.Status() != ThreadFinished {
		t.Fatalf("yielded %v, status %v", y, th.Status())
	}
	_, _, err = th.Resume()
	if e := wantKind(t, err, KindArgument); !strings.Contains(e.Message, "cannot resume") {
		t.Fatalf("message %q", e.Message)
	}
}

// Requirement: a host function yields with `return c.Yield(...)` from inside a Luau loop
// and from inside pcall; the values of the next resume become its results.
func TestHostFunctionYields(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("wait", func(c *CallContext) error {
		return c.Yield(c.Ref(1), "waiting")
	}))
	th, err := s.NewThreadString("local s = 0 for i = 1, 3 do s += wait(i) end local ok, v = pcall(wait, 'p') return s, ok, v")
	must(t, err)
	defer th.Close()
	for i := 1; i <= 3; i++ {
		out, y := resume(t, th, float64(i*10))
		if !y {
			t.Fatalf("step %d returned %v", i, out)
		}
		wantValues(t, out, float64(i), "waiting")
	}
	out, y := resume(t, th, 40)
	if !y {
		t.Fatal("pcall(wait) did not yield")
	}
	wantValues(t, out, "p", "waiting")
	out, y = resume(t, th, "in pcall")
	if y {
		t.Fatal("returned as a yield")
	}
	wantValues(t, out, 20.0+30+40, true, "in pcall")
}

// Requirement: where Luau cannot yield — DoString's chunk, a nested host -> Luau -> host
// call — Yield is a clean runtime error, and the state stays usable.
func TestYieldWhereLuauCannotIsACleanError(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("y", func(c *CallContext) error { return c.Yield() }))
	must(t, s.RegisterFunc("nest", func(c *CallContext) error {
		_, err := c.Call("y")
		return err
	}))
	_, err := s.DoString("y()")
	if e := wantKind(t, err, KindRuntime); !strings.Contains(e.Message, "yield") {
		t.Fatalf("DoString: %q", e.Message)
	}
	th, err := s.NewThreadString("return pcall(nest)")
	must(t, err)
	out, y := resume(t, th, nil)
	if y || out[0] != false || !strings.Contains(out[1].(string), "cannot yield") {
		t.Fatalf("nested: %v %v", y, out)
	}
	wantValues(t, run(t, s, "return 'usable'"), "usable")
}

// Requirement: ResumeError raises a value at the yield point (pcall can catch it); an
// uncaught error ends the thread with status error and comes back from Resume.
func TestThreadErrors(t *testing.T) {
	s := newState(t)
	th, err := s.NewThreadString("local ok, e = pcall(coroutine.yield) coroutine.yield(e) error('thread failed')")
	must(t, err)
	resume(t, th)
	out, y, err := th.ResumeError("raised by the host")
	must(t, err)
	if !y {
		t.Fatal("not yielded")
	}
	wantValues(t, out, "raised by the host")
	_, _, err = th.Resume()
	if e := wantKind(t, err, KindRuntime); !strings.Contains(e.Message, "thread failed") {
		t.Fatalf("message %q", e.Message)
	}
	if th.Status() != ThreadError {
		t.Fatalf("status %v", th.Status())
	}
}

// Requirement: a host error keeps its identity through a host-driven resume and through
// coroutine.wrap (errors.Is, the host's own message); a panic in a thread is re-raised at
// the outermost call.
func TestThreadHostErrorIdentityAndPanics(t *testing.T) {
	s := newState(t)
	sentinel := errors.New("the host's failure")
	must(t, s.RegisterFunc("fail", func(c *CallContext) error { return sentinel }))
	must(t, s.RegisterFunc("boom", func(c *CallContext) error { panic("thread panic") }))
	th, err := s.NewThreadString("coroutine.yield() fail()")
	must(t, err)
	resume(t, th)
	_, _, err = th.Resume()
	if !errors.Is(err, sentinel) {
		t.Fatalf("resume: %v", err)
	}
	_, err = s.DoString("local f = coroutine.wrap(function() fail() end) f()")
	if e := wantKind(t, err, KindHost); !errors.Is(err, sentinel) || e.Message != sentinel.Error() {
		t.Fatalf("coroutine.wrap: %v (%q)", err, e.Message)
	}
	pt, err := s.NewThreadString("pcall(boom) return 'swallowed'")
	must(t, err)
	func() {
		defer func() {
			if v := recover(); v != "thread panic" {
				t.Fatalf("recovered %v", v)
			}
		}()
		_, _, _ = pt.Resume()
		t.Fatal("no panic")
	}()
}

// Requirement: a finished thread is reused with Reset (its own body, or a new one) without
// creating a new thread, and a Closed thread or State gives clean errors.
func TestThreadResetAndClose(t *testing.T) {
	s := newState(t)
	run(t, s, "function add1(x) return x + 1 end function twice(x) return x * 2 end")
	th, err := s.NewThread(globalFunc(t, s, "add1"))
	must(t, err)
	for i := 0; i < 1000; i++ {
		out, _ := resume(t, th, i)
		wantValues(t, out, float64(i+1))
		must(t, th.Reset(nil))
	}
	must(t, th.Reset(globalFunc(t, s, "twice")))
	out, _ := resume(t, th, 21)
	wantValues(t, out, 42.0)
	must(t, th.Close())
	must(t, th.Close())
	if _, _, err := th.Resume(); err == nil {
		t.Fatal("Resume after Close succeeded")
	}

	s2, err := New()
	must(t, err)
	th2, err := s2.NewThreadString("return 1")
	must(t, err)
	must(t, s2.Close())
	_, _, err = th2.Resume()
	wantKind(t, err, KindClosed)
	must(t, th2.Close())
}

// Requirement: a run timeout, a context deadline and Interrupt also stop a thread resumed
// after it yielded.
func TestStopsReachResumedThreads(t *testing.T) {
	s := newState(t)
	th, err := s.NewThreadString("coroutine.yield() while true do end")
	must(t, err)
	resume(t, th)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, _, err = th.ResumeContext(ctx)
	wantKind(t, err, KindInterrupted)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("not DeadlineExceeded: %v", err)
	}

	th2, err := s.NewThreadString("coroutine.yield() while true do end")
	must(t, err)
	resume(t, th2)
	stop := interruptWhenRunning(s)
	_, _, err = th2.Resume()
	stop()
	if e := wantKind(t, err, KindInterrupted); e.Interrupt() != InterruptCancelled {
		t.Fatalf("cause %v", e.Interrupt())
	}
}

// Requirement: a resume round trip through a yielding host function allocates nothing once
// the thread exists (no arguments or results crossing).
func TestResumeYieldRoundTripAllocatesNothing(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("tick", func(c *CallContext) error { return c.Yield() }))
	th, err := s.NewThreadString("while true do tick() end")
	must(t, err)
	resume(t, th)
	if n := testing.AllocsPerRun(200, func() { _, _, _ = th.Resume() }); n != 0 {
		t.Fatalf("%v allocations per round trip", n)
	}
}

// BenchmarkResumeYield is one host resume of a thread whose host function yields once (the
// resume_yield round trip of issue 11), with a number each way.
func BenchmarkResumeYield(b *testing.B) {
	s := newState(b)
	must(b, s.RegisterFunc("tick", func(c *CallContext) error { return c.Yield(c.Ref(1)) }))
	th, err := s.NewThreadString("local x = 0 while true do x = tick(x + 1) end")
	must(b, err)
	defer th.Close()
	if _, _, err := th.Resume(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := th.Resume(1.0); err != nil {
			b.Fatal(err)
		}
	}
}

// Requirement: a host function that yields with YieldThen runs its continuation on resume
// with the resume values as arguments, whoever resumes it (the host or coroutine.resume),
// and the continuation's answer (results, another yield, an error) is the function's.
func TestYieldThenRunsAContinuationOnResume(t *testing.T) {
	s := newState(t)
	sentinel := errors.New("continuation failed")
	must(t, s.RegisterFunc("fetch", func(c *CallContext) error {
		url, err := c.String(1)
		if err != nil {
			return err
		}
		url = strings.Clone(url)
		return c.YieldThen(func(c *CallContext) error {
			body, err := c.String(1)
			if err != nil {
				return err
			}
			if body == "fail" {
				return sentinel
			}
			c.PushString(url + " -> " + body)
			return c.YieldThen(func(c *CallContext) error { c.PushString("done " + url); return nil }, "again")
		}, "GET", c.Ref(1))
	}))
	th, err := s.NewThreadString("local r = fetch('a') return r, fetch('b')")
	must(t, err)
	out, y := resume(t, th)
	wantValues(t, out, "GET", "a")
	out, y = resume(t, th, "body-a")
	if !y {
		t.Fatal("the continuation's YieldThen did not yield")
	}
	wantValues(t, out, "again")
	out, _ = resume(t, th)
	wantValues(t, out, "GET", "b")
	out, _ = resume(t, th, "body-b")
	wantValues(t, out, "again")
	out, y = resume(t, th)
	if y {
		t.Fatal("not finished")
	}
	wantValues(t, out, "done a", "done b")

	wantValues(t, run(t, s, `
		local co = coroutine.create(function() return fetch('c') end)
		local _, m, u = coroutine.resume(co)
		local _, again = coroutine.resume(co, 'body-c')
		local _, final = coroutine.resume(co)
		return m, u, again, final`), "GET", "c", "again", "done c")

	th2, err := s.NewThreadString("return fetch('d')")
	must(t, err)
	resume(t, th2)
	if _, _, err := th2.Resume("fail"); !errors.Is(err, sentinel) {
		t.Fatalf("continuation error: %v", err)
	}
	if len(s.st.ctl.conts) != 0 {
		t.Fatalf("%d continuations kept", len(s.st.ctl.conts))
	}
}

// Requirement: on a sandboxed state each NewThreadString chunk has its own globals, and
// nothing a thread defines reaches the shared globals.
func TestSandboxedThreadsHaveTheirOwnGlobals(t *testing.T) {
	s := newState(t, WithSandbox())
	src := "n = (n or 0) + 1 return n"
	a, err := s.NewThreadString(src)
	must(t, err)
	b, err := s.NewThreadString(src)
	must(t, err)
	x, _ := resume(t, a)
	y, _ := resume(t, b)
	wantValues(t, x, 1.0)
	wantValues(t, y, 1.0)
	wantValues(t, run(t, s, "return n"), nil)
}

// Requirement: a coroutine a script returns is a *Thread the host can resume, and a *Thread
// passed to Luau is that coroutine.
func TestThreadsCrossTheBoundary(t *testing.T) {
	s := newState(t)
	out := run(t, s, "return coroutine.create(function(a) local b = coroutine.yield(a * 2) return b + 1 end)")
	th, ok := out[0].(*Thread)
	if !ok {
		t.Fatalf("got %T", out[0])
	}
	defer th.Close()
	got, y := resume(t, th, 21)
	wantValues(t, got, 42.0)
	if !y {
		t.Fatal("not yielded")
	}
	wantValues(t, callOK(t, s, "status", th), "suspended")
	got, _ = resume(t, th, 1)
	wantValues(t, got, 2.0)
	wantValues(t, callOK(t, s, "status", th), "dead")
	if err := th.Reset(nil); err == nil {
		t.Fatal("Reset(nil) of a script's thread succeeded")
	}
	other := newState(t)
	if _, err := other.Call("print", th); err == nil {
		t.Fatal("a Thread crossed to another state")
	}
}

func callOK(t *testing.T, s *State, name string, args ...any) []any {
	t.Helper()
	if _, err := s.DoString("function status(t) return coroutine.status(t) end"); err != nil {
		t.Fatal(err)
	}
	out, err := s.Call(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Requirement: ResumeFloat resumes with number arguments and returns the first value
// yielded or returned as a number, allocating nothing per round trip once the thread exists;
// a value that is not a number is KindConversion.
func TestResumeFloatRoundTripsWithoutAllocating(t *testing.T) {
	s := newState(t)
	if err := s.RegisterFunc("tick", func(c *CallContext) error {
		n, err := c.Number(1)
		if err != nil {
			return err
		}
		c.PushNumber(n * 2)
		return c.YieldResults()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString("function loop(x) while true do x = tick(x) + 1 end end " +
		"function words() coroutine.yield('a') return 7 end"); err != nil {
		t.Fatal(err)
	}
	th, err := s.NewThread(globalFunc(t, s, "loop"))
	must(t, err)
	v, yielded, err := th.ResumeFloat(20)
	if err != nil || !yielded || v != 40 {
		t.Fatalf("first resume: %v %v %v", v, yielded, err)
	}
	if v, yielded, err = th.ResumeFloat(1); err != nil || !yielded || v != 4 { // tick(1 + 1)
		t.Fatalf("second resume: %v %v %v", v, yielded, err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := th.ResumeFloat(1); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ResumeFloat allocates %v times per round trip, want 0", allocs)
	}

	w, err := s.NewThread(globalFunc(t, s, "words"))
	must(t, err)
	_, yielded, err = w.ResumeFloat()
	if !yielded {
		t.Fatal("words did not yield")
	}
	wantKind(t, err, KindConversion)
	if v, yielded, err := w.ResumeFloat(); err != nil || yielded || v != 7 {
		t.Fatalf("the return: %v %v %v", v, yielded, err)
	}
	_, _, err = w.ResumeFloat()
	wantKind(t, err, KindArgument)
}
