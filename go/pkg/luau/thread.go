package luau

// Threads (Luau coroutines) held by the host, and host functions that yield.

import (
	"context"
	"errors"
	"runtime"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// ThreadStatus is the state of a Thread.
type ThreadStatus int

// The thread statuses (values equal luau_wrapper.h's LUAW_THREAD_*).
const (
	ThreadSuspended ThreadStatus = ThreadStatus(capi.ThreadSuspended) // not started, or yielded: Resume it
	ThreadRunning   ThreadStatus = ThreadStatus(capi.ThreadRunning)   // running, or resuming another thread
	ThreadFinished  ThreadStatus = ThreadStatus(capi.ThreadFinished)  // returned: Reset it to reuse it
	ThreadError     ThreadStatus = ThreadStatus(capi.ThreadError)     // ended by an error: Reset it to reuse it
)

// String returns "suspended", "running", "finished" or "error" (the matrix's names).
func (s ThreadStatus) String() string {
	switch s {
	case ThreadSuspended:
		return "suspended"
	case ThreadRunning:
		return "running"
	case ThreadFinished:
		return "finished"
	case ThreadError:
		return "error"
	}
	return "invalid"
}

// Thread is a Luau thread (a coroutine) held by the host: a function run step by step,
// made by NewThread or NewThreadString, or a coroutine a script returned (coroutine.create);
// passed to Luau it is that coroutine (coroutine.status works on it). It is suspended
// whenever it yields (coroutine.yield in the script, or a host function that
// returns CallContext.Yield) and continued by Resume. It belongs to its State, is used on
// the State's goroutine like every other method, and is usable until Close or the State's
// Close.
//
// A resume is a run: run timeouts, contexts and Interrupt stop it as they stop DoString,
// and a host panic inside it is re-raised when Resume returns.
type Thread struct {
	st      *state
	ref     int32 // the thread
	body    int32 // the function it runs (Reset without a function reuses it)
	cleanup handleCleanup
}

// newThreadHandle makes the Thread of references ref and body, released automatically when
// unreachable (table.go).
func (st *state) newThreadHandle(ref, body int32) *Thread {
	t := &Thread{st: st, ref: ref, body: body}
	t.cleanup = addHandleCleanup(t, st, deadRefs{ref, body})
	return t
}

// NewThread creates a thread that runs fn when first resumed (the arguments of that Resume
// are fn's arguments). On a sandboxed state, fn keeps the globals of the chunk that defined
// it (threads of one function share them); what the thread loads (loadstring) gets the
// thread's own. For separate globals per thread, use NewThreadString.
func (s *State) NewThread(fn *Function) (*Thread, error) {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	if fn == nil || fn.st != st || fn.ref <= 0 {
		return nil, newError(KindArgument, "luau: NewThread: the function is nil, released or from another state")
	}
	if e := st.prerun(); e != nil {
		return nil, e
	}
	if rc := st.c.PushRef(fn.ref); rc != capi.OK {
		return nil, newError(kindOf(rc), "luau: cannot push function (status %d)", rc)
	}
	return st.newThreadTop()
}

// NewThreadString compiles src as a chunk and creates a thread that runs it (see NewThread).
// On a sandboxed state the chunk has its own globals. A syntax error has kind KindSyntax.
func (s *State) NewThreadString(src string) (*Thread, error) {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	if e := st.prerun(); e != nil {
		return nil, e
	}
	bc, cerr := Compile(src)
	if cerr != nil {
		return nil, cerr
	}
	if _, lerr := st.load("", bc); lerr != nil {
		return nil, lerr
	}
	return st.newThreadTop()
}

// newThreadTop makes a Thread of the function on top of the stack (popped).
func (st *state) newThreadTop() (*Thread, error) {
	body, rc := st.c.Ref(-1)
	if rc != capi.OK {
		st.c.SetTop(st.c.GetTop() - 1)
		return nil, st.errorFrom(rc)
	}
	ref, rc := st.c.ThreadNewTop()
	if rc != capi.OK {
		st.c.Unref(body)
		return nil, st.errorFrom(rc)
	}
	return st.newThreadHandle(ref, body), nil
}

// threadAt makes a Thread of the thread at absolute index idx (a value from a script).
func (st *state) threadAt(idx int) (*Thread, error) {
	ref, rc := st.c.Ref(idx)
	if rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	return st.newThreadHandle(ref, 0), nil
}

// Resume runs the thread until it yields or returns. The args are the body's arguments on
// the first resume, and the results of the yield it is suspended in afterwards (of
// coroutine.yield, or of the host function that yielded). yielded reports whether values
// are what it yielded (it is suspended again) or what it returned (it is finished).
//
// An error ends the thread (status ThreadError) and comes back as an *Error of the usual
// kinds (a host error keeps its identity). Resuming a thread that is finished, dead or
// running gives an error of kind KindArgument ("cannot resume finished thread").
func (t *Thread) Resume(args ...any) (values []any, yielded bool, err error) {
	st := t.st
	outer, eerr := st.enter()
	if eerr != nil {
		return nil, false, eerr
	}
	defer st.leave(outer)
	return t.resume(args, false)
}

// ResumeContext is Resume under ctx (see State.DoStringContext for what ctx does).
func (t *Thread) ResumeContext(ctx context.Context, args ...any) (values []any, yielded bool, err error) {
	st := t.st
	outer, eerr := st.enter()
	if eerr != nil {
		return nil, false, eerr
	}
	defer st.leave(outer)
	values, err = st.withContext(ctx, outer, func() ([]any, error) {
		var v []any
		var e error
		v, yielded, e = t.resume(args, false)
		return v, e
	})
	return values, yielded, err
}

// ResumeError resumes a yielded thread by raising v (converted as an argument) as a Luau
// error at the point where it yielded: the script's pcall can catch it. Results as Resume.
func (t *Thread) ResumeError(v any) (values []any, yielded bool, err error) {
	st := t.st
	outer, eerr := st.enter()
	if eerr != nil {
		return nil, false, eerr
	}
	defer st.leave(outer)
	return t.resume([]any{v}, true)
}

func (t *Thread) resume(args []any, asError bool) ([]any, bool, error) {
	st := t.st
	if t.ref <= 0 {
		return nil, false, newError(KindArgument, "luau: thread was closed")
	}
	// Scalar arguments go straight into the value buffer (no crossing); others are pushed
	// first, below the thread.
	base, n, general := -1, len(args), false
	nbytes := 0
	for _, a := range args {
		switch a.(type) {
		case int, int64, uint, uint64, uintptr: // prepareArgs checks that they are exact
			general = true
		}
		if general || !isScalar(a) {
			general = true
			break
		}
		nbytes += scalarBytes(a)
	}
	if general {
		base = st.c.GetTop()
		var err error
		if n, _, err = st.prepareArgs(args); err != nil {
			st.c.SetTop(base)
			return nil, false, err
		}
	} else if n > 0 {
		if !st.c.Reserve(n, nbytes+1) {
			return nil, false, newError(KindMemory, "luau: not enough memory for arguments")
		}
		vals, buf, off := st.c.Vals(n), st.c.Bytes(), 0
		for i, a := range args {
			setScalar(&vals[i], a, buf, &off)
		}
	}
	top, nres, nread, restored, rc := st.c.ThreadResume(t.ref, n, asError)
	if base < 0 {
		base = top
	}
	if rc != capi.OK && rc != capi.Yield {
		if base != top {
			st.c.SetTop(base)
		}
		if rc < 0 {
			return nil, false, newError(KindArgument, "luau: cannot push thread")
		}
		return nil, false, st.errorFrom(rc)
	}
	yielded := rc == capi.Yield
	if restored && base == top {
		if nres == 0 {
			return nil, yielded, nil
		}
		out := make([]any, nres)
		for i, v := range st.c.Vals(nres) {
			out[i], _ = scalarValue(&v)
		}
		return out, yielded, nil
	}
	if restored { // the thread and its values are gone: drop the pushed arguments
		st.c.SetTop(base)
		out := make([]any, nres)
		for i, v := range st.c.Vals(nres) {
			out[i], _ = scalarValue(&v)
		}
		return out, yielded, nil
	}
	out, err := st.takeResults(top+1, nres, nread, base)
	return out, yielded, err
}

// ResumeFloat is Resume's fast form for number values, as CallFloat is Call's: the
// arguments go into C memory without a cgo call, the resume crosses cgo once, and nothing is
// allocated. It returns the first value yielded or returned, which must be a number (an
// integer converts); another type, or none, is an error of kind KindConversion (the thread
// has still moved on: its status tells where). Errors of the resume are as for Resume.
func (t *Thread) ResumeFloat(args ...float64) (value float64, yielded bool, err error) {
	st := t.st
	outer, eerr := st.enter()
	if eerr != nil {
		return 0, false, eerr
	}
	defer st.leave(outer)
	if t.ref <= 0 {
		return 0, false, newError(KindArgument, "luau: thread was closed")
	}
	if !st.c.Reserve(len(args), 0) {
		return 0, false, newError(KindMemory, "luau: not enough memory for arguments")
	}
	vals := st.c.Vals(len(args))
	for i, a := range args {
		vals[i].SetNumber(a)
	}
	top, nres, nread, restored, rc := st.c.ThreadResume(t.ref, len(args), false)
	if rc != capi.OK && rc != capi.Yield {
		if rc < 0 {
			return 0, false, newError(KindArgument, "luau: cannot push thread")
		}
		return 0, false, st.errorFrom(rc)
	}
	yielded = rc == capi.Yield
	if !restored { // some value lives on the Luau heap (a string, a table...)
		st.c.SetTop(top)
	}
	if nres == 0 || nread == 0 {
		return 0, yielded, newError(KindConversion, "luau: ResumeFloat: no number value")
	}
	v := &st.c.Vals(1)[0]
	switch v.Type {
	case capi.TNumber:
		return v.Number(), yielded, nil
	case capi.TInteger:
		return float64(v.Integer()), yielded, nil
	}
	return 0, yielded, newError(KindConversion, "luau: ResumeFloat: the first value is a %s, not a number", Type(v.Type))
}

// Status returns the thread's status (ThreadError also after Close).
func (t *Thread) Status() ThreadStatus {
	st := t.st
	outer, err := st.enter()
	if err != nil {
		return ThreadError
	}
	defer st.leave(outer)
	if t.ref <= 0 {
		return ThreadError
	}
	s := st.c.ThreadStatus(t.ref)
	if s < 0 {
		return ThreadError
	}
	return ThreadStatus(s)
}

// Reset makes a finished or failed thread (or one never started, or suspended) reusable
// without a new allocation: it will run fn, or its previous body when fn is nil (a thread
// that came from a script needs fn), from the start at the next Resume. A running thread gives an error of kind KindBusy. On a
// sandboxed state the thread gets fresh globals.
func (t *Thread) Reset(fn *Function) error {
	st := t.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	if t.ref <= 0 {
		return newError(KindArgument, "luau: thread was closed")
	}
	if fn != nil {
		if fn.st != st || fn.ref <= 0 {
			return newError(KindArgument, "luau: Reset: the function is released or from another state")
		}
		base := st.c.GetTop()
		if rc := st.c.PushRef(fn.ref); rc != capi.OK {
			return newError(kindOf(rc), "luau: cannot push function (status %d)", rc)
		}
		body, rc := st.c.Ref(-1)
		st.c.SetTop(base)
		if rc != capi.OK {
			return st.errorFrom(rc)
		}
		st.c.Unref(t.body)
		t.body = body
		t.cleanup.stop(t) // it named the old body
		t.cleanup = addHandleCleanup(t, st, deadRefs{t.ref, body})
	} else if t.body <= 0 {
		return newError(KindArgument, "luau: Reset(nil) of a thread that came from a script: give it a function")
	}
	if rc := st.c.ThreadReset(t.ref, t.body); rc != capi.OK {
		if rc < 0 {
			return newError(KindArgument, "luau: cannot push thread")
		}
		return st.errorFrom(rc)
	}
	return nil
}

// Close releases the thread (Luau collects it when nothing else refers to it). It is
// idempotent; the Thread is unusable afterwards. After the State's Close it does nothing.
func (t *Thread) Close() error {
	st := t.st
	outer, err := st.enter()
	if err != nil {
		if err.Kind == KindClosed {
			t.ref, t.body = 0, 0
			return nil
		}
		return err
	}
	defer st.leave(outer)
	if t.ref > 0 {
		t.cleanup.stop(t)
		st.c.Unref(t.ref)
		st.c.Unref(t.body)
		t.ref, t.body = 0, 0
	}
	return nil
}

// errYield is what CallContext.Yield returns: the dispatcher answers "yield" for it.
var errYield = errors.New("luau: the error of CallContext.Yield must be returned by the host function")

// Yield makes the host function yield values from the calling thread: use it as
// `return c.Yield(values...)`. The thread is suspended; whoever resumes it (the host's
// Thread.Resume, or coroutine.resume in a script) gets values, and the values passed to
// that resume become the host function's results in the script. Results pushed before are
// replaced.
//
// Where Luau cannot yield — in a chunk run to completion by DoString (run it as a Thread),
// or below a nested host -> Luau -> host call or a metamethod — the script gets a runtime
// error saying so instead (a script's pcall can catch it).
func (c *CallContext) Yield(values ...any) error {
	c.raw.ResetResults()
	for _, v := range values {
		if r, ok := v.(ArgRef); ok && r.c == c && r.raw == c.raw && r.gen == c.gen && c.raw != nil {
			// An argument of this call: yielded as itself, no crossing.
			slot := c.raw.AddResult()
			if slot == nil {
				return newError(KindMemory, "luau: not enough memory for results")
			}
			if r.idx == 0 {
				slot.SetNil()
			} else {
				slot.SetStack(int(r.idx))
			}
			continue
		}
		if err := c.Push(v); err != nil {
			return err
		}
	}
	return errYield
}

// YieldResults yields the results pushed so far (PushNumber, Push, ...) as Yield does:
// `c.PushNumber(x); return c.YieldResults()`. Unlike Yield's variadic values, it boxes
// nothing, so a yielding host function can allocate nothing per call.
func (c *CallContext) YieldResults() error {
	return errYield
}

// YieldThen yields values as Yield does, and on resume calls then instead of returning the
// resume values to the script: then's CallContext has the resume values as its arguments,
// and what then does (push results and return nil, return an error, Yield or YieldThen
// again) is the host function's answer. Use it when the host function has work to do after
// the resume, e.g. `return c.YieldThen(func(c *luau.CallContext) error { ... }, request)`.
// It works however the thread is resumed (Thread.Resume or coroutine.resume).
//
// The State keeps then until the thread is resumed or the State closes: a thread that is
// never resumed keeps its continuation until Close.
func (c *CallContext) YieldThen(then GoFunc, values ...any) error {
	err := c.Yield(values...)
	if err != errYield || then == nil {
		return err
	}
	c.raw.SetYieldContinuation(c.st.addContinuation(then))
	return errYield
}

func (st *state) addContinuation(fn GoFunc) uint64 {
	if st.ctl.conts == nil {
		st.ctl.conts = make(map[uint64]GoFunc)
	}
	st.ctl.nextCont++
	st.ctl.conts[st.ctl.nextCont] = fn
	return st.ctl.nextCont
}

func (st *state) takeContinuation(k uint64) GoFunc {
	fn, ok := st.ctl.conts[k]
	if !ok {
		return func(c *CallContext) error {
			return newError(KindArgument, "luau: the continuation of host function '%s' is gone", c.Name())
		}
	}
	delete(st.ctl.conts, k)
	return fn
}
