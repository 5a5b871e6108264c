package luau

// Containment: stopping runs (Interrupt, contexts, run timeouts), the sandbox, print.

import (
	"context"
	"errors"
	"io"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// InterruptCause says why a run was interrupted (an *Error of kind KindInterrupted).
type InterruptCause int

const (
	// InterruptCancelled: State.Interrupt, or the context of a ...Context call was cancelled.
	InterruptCancelled InterruptCause = InterruptCause(capi.StopCancel)
	// InterruptDeadline: a run timeout or a context's deadline passed.
	InterruptDeadline InterruptCause = InterruptCause(capi.StopDeadline)
)

// String returns "cancelled" or "deadline exceeded".
func (c InterruptCause) String() string {
	switch c {
	case InterruptCancelled:
		return "cancelled"
	case InterruptDeadline:
		return "deadline exceeded"
	}
	return "none"
}

// Interrupt returns the cause of a KindInterrupted error (0 for other kinds).
func (e *Error) Interrupt() InterruptCause { return e.interrupt }

// Defaults of the Untrusted profile.
const (
	UntrustedMemoryLimit = 64 << 20        // bytes of Luau heap
	UntrustedRunTimeout  = 1 * time.Second // per run
)

// controlOptions are the containment options of New.
type controlOptions struct {
	sandbox    bool
	runTimeout time.Duration
	print      io.Writer
	libs       *Library
}

// Library is a set of Luau's standard libraries (WithLibraries).
type Library uint32

// The standard libraries (values equal luau_wrapper.h's LUAW_LIB_*).
const (
	LibBase      = Library(capi.LibBase) // _G, pcall, error, type, print (to the sink), loadstring, ...
	LibCoroutine = Library(capi.LibCoroutine)
	LibTable     = Library(capi.LibTable)
	LibOS        = Library(capi.LibOS) // os.clock, os.date, os.time, os.difftime: the host's clock
	LibString    = Library(capi.LibString)
	LibMath      = Library(capi.LibMath)
	LibDebug     = Library(capi.LibDebug) // debug.info, debug.traceback: call-stack introspection
	LibUTF8      = Library(capi.LibUTF8)
	LibBit32     = Library(capi.LibBit32)
	LibBuffer    = Library(capi.LibBuffer)
	LibVector    = Library(capi.LibVector)
	LibAll       = Library(capi.LibsAll)
)

// WithLibraries opens just the given standard libraries (WithLibraries(0): none, as
// WithoutStdlib). Without it every library opens. Leaving out LibOS and LibDebug hides the
// host's clock and the call stack from scripts; print and loadstring come with LibBase.
func WithLibraries(libs Library) Option {
	return func(o *options) {
		l := libs & LibAll
		o.ctl.libs = &l
		o.noLibs = false
	}
}

// openLibs is luaw_Options.open_libs for o.
func (o *options) openLibs() int32 {
	switch {
	case o.noLibs:
		return 0
	case o.ctl.libs != nil:
		return capi.LibsSelect | int32(*o.ctl.libs)
	}
	return 1
}

// WithSandbox applies Luau's sandbox to the state. It is sealed automatically right before
// the first run (the first DoString, DoStringContext, DoBytecode, LoadBytecode, Call,
// CallContext or NewThread), so the host functions, types and globals set up after New
// are part of it; (*State).Sandbox seals earlier. Once sealed:
//
//   - the standard libraries, the builtin metatables (strings'), the global table and every
//     table in it (host type tables such as Counter included) are read-only, and host
//     functions cannot be replaced: a script that tries gets a runtime error ("readonly");
//   - every chunk run (each DoString, each loaded chunk, each Thread) gets its own writable
//     global table whose reads fall through to the shared globals, so what one script
//     defines (globals, a redefined pcall, a metatable on _G) never reaches the next one.
//
// To share state between scripts on purpose, set it with SetGlobal (tables included) or
// register host functions before the first run; after sealing, SetGlobal and RegisterFunc
// fail, as every write to the shared globals does.
func WithSandbox() Option { return func(o *options) { o.ctl.sandbox = true } }

// WithRunTimeout stops every run (each outermost DoString, Call, Function.Call, Resume...)
// d after it began, with an *Error of kind KindInterrupted (cause InterruptDeadline); 0
// means none. It is enforced in C: the wrapper's watchdog thread marks the run when its
// time is up and the VM stops at its next safepoint, so an armed timeout costs nothing
// measurable until it fires and no Go code runs at safepoints.
func WithRunTimeout(d time.Duration) Option { return func(o *options) { o.ctl.runTimeout = d } }

// WithPrint sends what scripts print to w, one Write per print call (the line as Luau's
// print formats it: tostring of each argument, tab-separated, then a newline). Without it,
// or with w nil, print exists and discards its output: the library itself never writes to
// the process's standard streams. Write errors are ignored, as a print's are. Write
// runs on the goroutine running the script and must not use the State.
func WithPrint(w io.Writer) Option { return func(o *options) { o.ctl.print = w } }

// Untrusted is the profile for scripts you do not trust, in one option:
//
//   - the sandbox (WithSandbox): libraries, builtin metatables, host functions and host types
//     read-only, separate globals per script run;
//   - a memory limit of UntrustedMemoryLimit bytes of Luau heap (WithMemoryLimit), which
//     also bounds what converting results to Go may allocate;
//   - a run timeout of UntrustedRunTimeout per run (WithRunTimeout);
//   - print to printTo (nil: discarded).
//
// Options after it override its values, e.g. New(Untrusted(nil), WithRunTimeout(time.Second)).
//
// What it does not block: a host function you register runs with the host's full
// authority, and a run timeout cannot stop one that blocks (the stop takes effect when it
// returns); a single long builtin call (string.rep of a huge count) is not interruptible
// inside (the memory limit bounds it); the standard libraries stay open (Luau has no io, no
// os.execute, no file loading; require exists only with WithRequire, WithResolver or
// RegisterModule, and modules then run sandboxed too; os.clock/time/date and debug.traceback/info
// remain, which reveal the time and the script's own call stack: add
// WithLibraries(LibAll &^ (LibOS | LibDebug)) to leave them out).
func Untrusted(printTo io.Writer) Option {
	return func(o *options) {
		o.ctl.sandbox = true
		o.memoryLimit = UntrustedMemoryLimit
		o.ctl.runTimeout = UntrustedRunTimeout
		o.ctl.print = printTo
	}
}

// control is the containment part of a state.
type control struct {
	seal bool // WithSandbox: seal before the first run

	// The stop handle: used by Interrupt from any goroutine, released by Close.
	stopMu sync.RWMutex
	stop   *capi.StopHandle

	printer  *printer // nil: print discards
	memLimit uint64   // the Luau heap limit (0: none), also the conversion budget
	// The conversion Luau -> Go going on (bounds.go), when converting.
	conv       convState
	converting bool

	// Continuations of CallContext.YieldThen by token (thread.go).
	conts    map[uint64]GoFunc
	nextCont uint64

	req requireState // require.go
}

type printer struct {
	w      io.Writer
	st     *state
	handle cgo.Handle
}

func init() {
	capi.PrintHandler = func(ctx uintptr, line []byte) {
		p := cgo.Handle(ctx).Value().(*printer)
		_, _ = p.w.Write(line)
	}
	capi.PrintPanicked = func(ctx uintptr, v any) {
		p := cgo.Handle(ctx).Value().(*printer)
		st := p.st
		if !st.panicking {
			st.panicking, st.panicVal = true, v
		}
		st.requestStop(capi.StopCancel) // stop the script; leave re-panics
	}
}

// initControl applies the containment options to a new state.
func (st *state) initControl(o *options) {
	st.ctl.memLimit = o.memoryLimit
	st.ctl.seal = o.ctl.sandbox
	if o.ctl.runTimeout > 0 {
		st.c.SetRunTimeout(uint64(o.ctl.runTimeout))
	}
	st.setPrint(o.ctl.print)
	st.ctl.stop = st.c.NewStopHandle()
}

// closeControl releases the stop handle and the print sink (the C state is closed or about
// to be: nothing of it is used).
func (st *state) closeControl() {
	st.ctl.stopMu.Lock()
	if st.ctl.stop != nil {
		st.ctl.stop.Release()
		st.ctl.stop = nil
	}
	st.ctl.stopMu.Unlock()
	if p := st.ctl.printer; p != nil {
		p.handle.Delete()
		st.ctl.printer = nil
	}
	st.ctl.conts = nil
	st.closeRequire()
}

func (st *state) setPrint(w io.Writer) {
	if w == io.Discard {
		w = nil
	}
	if w == nil {
		st.c.SetPrint(false, 0)
		if st.ctl.printer != nil {
			st.ctl.printer.handle.Delete()
			st.ctl.printer = nil
		}
		return
	}
	if st.ctl.printer == nil {
		p := &printer{st: st}
		p.handle = cgo.NewHandle(p)
		st.ctl.printer = p
	}
	st.ctl.printer.w = w
	st.c.SetPrint(true, uintptr(st.ctl.printer.handle))
}

// requestStop asks the current run to stop; false if the state is idle or closed.
func (st *state) requestStop(cause int32) bool {
	st.ctl.stopMu.RLock()
	defer st.ctl.stopMu.RUnlock()
	if st.ctl.stop == nil {
		return false
	}
	return st.ctl.stop.Request(cause)
}

// prerun seals a WithSandbox state before its first run.
func (st *state) prerun() *Error {
	if !st.ctl.seal {
		return nil
	}
	return st.sealNow()
}

func (st *state) sealNow() *Error {
	if rc := st.c.Sandbox(); rc != capi.OK {
		return st.errorFrom(rc)
	}
	st.ctl.seal = false
	return nil
}

// Interrupt stops the run going on now (a script, a call, a thread's resume) with an *Error
// of kind KindInterrupted (cause InterruptCancelled), and reports whether a run was going
// on. Any goroutine may call it at any time: it does not wait for the state's use (it works
// while a script runs) nor for the run to stop. When the state is idle, or closed, it does
// nothing and returns false: a later run is not affected.
//
// The stop takes effect at the next VM safepoint (function calls, loop back-edges) and is
// sticky: a script's pcall may catch the error, but the script is stopped again at its next
// safepoint. A host function that is running is not interrupted: the stop takes effect when
// it returns. One long builtin call (string.rep of a huge count) finishes first.
func (s *State) Interrupt() bool {
	ok := s.st.requestStop(capi.StopCancel)
	runtime.KeepAlive(s)
	return ok
}

// Sandbox seals the state's sandbox now (see WithSandbox); states created without
// WithSandbox are sandboxed by it too. Irreversible; calling it again does nothing. Inside a
// run (from a host function) it returns an error of kind KindBusy.
func (s *State) Sandbox() error {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	if e := st.sealNow(); e != nil {
		return e
	}
	return nil
}

// Sandboxed reports whether the state's sandbox is sealed.
func (s *State) Sandboxed() bool {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return false
	}
	defer st.leave(outer)
	return st.c.IsSandboxed()
}

// SetRunTimeout changes the run timeout (see WithRunTimeout) from the next run on; 0
// removes it.
func (s *State) SetRunTimeout(d time.Duration) error {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	if d < 0 {
		d = 0
	}
	st.c.SetRunTimeout(uint64(d))
	return nil
}

// SetPrint sends what scripts print to w from now on (see WithPrint); nil discards it.
func (s *State) SetPrint(w io.Writer) error {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	st.setPrint(w)
	return nil
}

// DoStringContext is DoString under ctx: the run stops when ctx is cancelled or its
// deadline passes, with an *Error of kind KindInterrupted that wraps ctx.Err(), so
// errors.Is(err, context.DeadlineExceeded) or errors.Is(err, context.Canceled) holds. A ctx
// that is already done returns such an error without running anything. The deadline
// becomes the run's C-side deadline (enforced as WithRunTimeout's; the earlier of the two
// wins); cancellation is the stop request Interrupt makes, sent by context.AfterFunc, which
// the call stops or waits for before it returns, so it never reaches a later run. Called from inside a host function of the same state (a nested
// call), only a ctx that is already done is honoured: the run's own controls apply.
func (s *State) DoStringContext(ctx context.Context, src string) ([]any, error) {
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
	return st.withContext(ctx, outer, func() ([]any, error) { return st.doString(src) })
}

// CallContext is Call under ctx (see DoStringContext for what ctx does). It is not
// related to the CallContext type, a host function's view of its call.
func (s *State) CallContext(ctx context.Context, name string, args ...any) ([]any, error) {
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
	return st.withContext(ctx, outer, func() ([]any, error) { return st.callGlobal(name, args) })
}

// CallContext is Call under ctx (see State.DoStringContext for what ctx does).
func (f *Function) CallContext(ctx context.Context, args ...any) ([]any, error) {
	st := f.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	if f.ref <= 0 {
		return nil, newError(KindArgument, "luau: function was released")
	}
	return st.withContext(ctx, outer, func() ([]any, error) { return st.callRef(f.ref, args) })
}

// contextDone is the error of a ...Context call whose ctx was done before it ran.
func contextDone(err error) *Error {
	cause := InterruptCancelled
	if errors.Is(err, context.DeadlineExceeded) {
		cause = InterruptDeadline
	}
	return &Error{Kind: KindInterrupted, Message: "script interrupted: " + cause.String() + " (the context was done before the run)",
		cause: err, interrupt: cause}
}

// withContext runs run (an outermost run when outer) under ctx: its deadline becomes the
// C-side deadline of the run, its cancellation a stop request. Before returning it makes
// sure the stop request of ctx can no longer reach a later run.
func (st *state) withContext(ctx context.Context, outer bool, run func() ([]any, error)) ([]any, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, contextDone(err)
	}
	if !outer {
		return run()
	}
	var deadline uint64
	if d, ok := ctx.Deadline(); ok {
		now := capi.ClockNS()
		deadline = now + 1
		if rem := time.Until(d); rem > 0 {
			deadline = now + uint64(rem)
		}
		st.c.SetDeadline(deadline)
		defer st.c.SetDeadline(0)
	}
	var byCtx atomic.Bool
	if ctx.Done() != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(fired)
			cause := capi.StopCancel
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				cause = capi.StopDeadline
			}
			if st.requestStop(cause) {
				byCtx.Store(true)
			}
		})
		defer func() {
			if !stop() {
				<-fired // it started: let it finish before this run is over
			}
		}()
	}
	out, err := run()
	var e *Error
	if err != nil && errors.As(err, &e) && e.Kind == KindInterrupted {
		switch {
		case e.interrupt == InterruptCancelled && byCtx.Load():
			e.cause = ctx.Err()
		case e.interrupt == InterruptDeadline && (byCtx.Load() || deadline != 0 && capi.ClockNS() >= deadline):
			e.cause = context.DeadlineExceeded
		}
	}
	return out, err
}
