package luau

import (
	"runtime"
	"sync/atomic"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// State is one Luau VM.
//
// A State is used by one goroutine at a time. Entering it from a second goroutine while it
// is in use is detected and returns an error of kind KindConcurrentUse (it is never
// corrupted). Using it again from inside one of its own host functions (nesting) is allowed.
// After Close every method returns an error of kind KindClosed.
type State struct {
	st *state
}

// state is the part of a State that the function registry refers to. The public *State
// wraps it so that a forgotten State can still be finalized (registered functions keep
// only the inner state alive).
type state struct {
	id     uint64
	c      *capi.State // set once in New; the C state is gone once closed is set
	busy   atomic.Int32
	closed atomic.Bool
	// poisoned: a host function called runtime.Goexit; the Go runtime abandoned the C and
	// Luau frames of that call, so the VM is inconsistent and is never touched again.
	poisoned atomic.Bool
	pressure []byte // stands for the C memory in the Go GC's accounting (gcpressure.go)

	// Fields below belong to the goroutine that holds busy (and its nested calls).
	funcs        map[string]uint64 // registered name -> function id
	valueFuncs   []uint64          // ids of NewFunction's functions: they live until Close
	ctxs         []*CallContext    // reused call contexts, one per host-call depth
	depth        int               // host functions of this state currently running
	panicking    bool              // a host function panicked during the current outermost call
	panicVal     any
	hostErrs     [hostErrSlots]hostErr // recent host errors by token (the C side keeps 32)
	nextToken    uint64
	hostErrsUsed bool
	refs         map[int32]struct{} // live Function references
	ud           *udState           // host userdata (userdata.go); nil until RegisterType
	ctl          control            // containment.go: sandbox, stop handle, print
	dead         deadQueue          // table.go: references of unreachable handles
	handlesDepth int                // table.go: tables convert to handles at this depth+1
}

const hostErrSlots = 64

type hostErr struct {
	token uint64
	err   error
}

var nextStateID atomic.Uint64

// Option configures New.
type Option func(*options)

type options struct {
	memoryLimit uint64
	noLibs      bool
	ctl         controlOptions // containment.go
	resolver    Resolver       // require.go
	codegen     bool           // codegen.go
}

// WithMemoryLimit limits the Luau heap of the state to n bytes (0: no limit). Going over
// it raises an error of kind KindMemory; the state stays usable.
func WithMemoryLimit(n uint64) Option { return func(o *options) { o.memoryLimit = n } }

// WithoutStdlib creates the state without Luau's standard libraries.
func WithoutStdlib() Option { return func(o *options) { o.noLibs = true } }

// New creates a State. It checks that the linked native library has the ABI this package
// was built for (kind KindABI otherwise). The standard libraries are opened; print writes
// to the WithPrint writer and by default discards: the library never writes to the
// process's stdout.
func New(opts ...Option) (*State, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkABI(); err != nil {
		return nil, err
	}
	id := nextStateID.Add(1)
	c, status := capi.NewLibs(id, o.memoryLimit, o.openLibs())
	if status != capi.OK {
		return nil, newError(kindOf(status), "luau: cannot create state (status %d)", status)
	}
	st := &state{id: id, c: c, funcs: make(map[string]uint64)}
	st.initControl(&o)
	st.initCodegen(&o)
	if e := st.initRequire(&o); e != nil {
		_ = st.close()
		return nil, e
	}
	// The C memory behind OnOwnerThread outlives Close: another goroutine may still test it.
	runtime.SetFinalizer(st, func(st *state) { st.c.Free() })
	st.holdPressure()
	s := &State{st: st}
	runtime.SetFinalizer(s, func(s *State) { _ = s.st.close() })
	return s, nil
}

var abiErr atomic.Pointer[Error]

func checkABI() error {
	if e := abiErr.Load(); e != nil {
		return e
	}
	if e := abiMismatch(capi.LibraryABIVersion(), capi.GetBuildInfo()); e != nil {
		abiErr.Store(e)
		return e
	}
	return nil
}

// abiMismatch is the KindABI error for a linked library this package cannot use, or nil.
func abiMismatch(lib uint32, bi capi.BuildInfo) *Error {
	switch {
	case lib != capi.HeaderABIVersion || bi.ABIVersion != capi.HeaderABIVersion:
		return newError(KindABI, "luau: native library ABI %d, this package needs %d", lib, capi.HeaderABIVersion)
	case bi.VectorSize != 3:
		return newError(KindABI, "luau: native library has LUA_VECTOR_SIZE %d, this package needs 3", bi.VectorSize)
	}
	return nil
}

// BuildInfo describes the linked native library.
type BuildInfo struct {
	ABIVersion     uint32
	LuauVersion    string
	MaxCStack      int
	VectorSize     int
	UsesLongjmp    bool
	AssertsEnabled bool
}

// LibraryInfo returns the build facts of the linked native library.
func LibraryInfo() BuildInfo {
	bi := capi.GetBuildInfo()
	return BuildInfo{
		ABIVersion:     bi.ABIVersion,
		LuauVersion:    bi.LuauVersion,
		MaxCStack:      int(bi.MaxCStack),
		VectorSize:     int(bi.VectorSize),
		UsesLongjmp:    bi.UsesLongjmp,
		AssertsEnabled: bi.AssertsEnabled,
	}
}

// enter claims the state for the calling goroutine. outer is true for the outermost entry;
// a nested entry (from inside a host function of this state) gives outer == false.
func (st *state) enter() (outer bool, err *Error) {
	if st.poisoned.Load() && !st.closed.Load() {
		return false, errPoisoned()
	}
	if st.busy.CompareAndSwap(0, 1) {
		if st.closed.Load() {
			st.busy.Store(0)
			return false, errClosed()
		}
		if st.dead.pending.Load() {
			st.drainDead() // table.go: handles the Go GC found unreachable
		}
		return true, nil
	}
	if st.closed.Load() {
		return false, errClosed()
	}
	if st.c.OnOwnerThread() {
		return false, nil
	}
	return false, errConcurrent()
}

// leave ends an entry. At the outermost one it forgets the call's host errors and
// re-raises a host function's panic on the calling goroutine, after the C side returned.
func (st *state) leave(outer bool) {
	if !outer {
		return
	}
	if st.poisoned.Load() {
		st.busy.Store(0) // runs while the Goexit unwinds: touch nothing else
		return
	}
	if st.ud != nil && (st.ud.live > 0 || st.ud.pending != nil) {
		if dtors := st.udDrain(); len(dtors) > 0 {
			hostPanic := st.panicking // re-raised below; it wins over a destructor's panic
			defer func() {
				if v, p := runDestructors(dtors); p && !hostPanic {
					panic(v)
				}
			}()
		}
	}
	if st.hostErrsUsed {
		st.hostErrs = [hostErrSlots]hostErr{}
		st.hostErrsUsed = false
	}
	if st.panicking {
		v := st.panicVal
		st.panicking, st.panicVal = false, nil
		st.busy.Store(0)
		panic(v)
	}
	st.busy.Store(0)
}

// errorFrom turns the state's last C error into an *Error.
func (st *state) errorFrom(status int32) *Error {
	ce := st.c.Err()
	if ce.Status == 0 {
		ce.Status = status
	}
	e := &Error{Kind: kindOf(status), Message: ce.Message, Traceback: ce.Traceback}
	if status == capi.ErrHost && ce.Token != 0 {
		e.cause = st.hostErr(ce.Token)
		if e.cause != nil {
			// The host's own text, also when a C function re-raised it with a position
			// prefix (coroutine.wrap).
			e.Message = e.cause.Error()
		}
		e.Traceback = nestedTraceback(e.cause, e.Traceback)
	}
	if status == capi.ErrInterrupt {
		e.interrupt = InterruptCause(ce.Token)
	}
	if e.Message == "" {
		e.Message = "luau: " + e.Kind.String() + " error"
	}
	return e
}

func (st *state) rememberHostErr(err error) uint64 {
	st.nextToken++
	t := st.nextToken
	st.hostErrs[t%hostErrSlots] = hostErr{token: t, err: err}
	st.hostErrsUsed = true
	return t
}

func (st *state) hostErr(token uint64) error {
	h := st.hostErrs[token%hostErrSlots]
	if h.token == token {
		return h.err
	}
	return nil
}

// Close closes the state and removes its host functions from the registry. It is
// idempotent: closing a closed State returns nil. Closing from inside one of the state's
// own host functions returns an error of kind KindBusy and closes nothing.
func (s *State) Close() error {
	err := s.st.close()
	runtime.KeepAlive(s)
	return err
}

func (st *state) close() error {
	if st.poisoned.Load() {
		return st.abandon()
	}
	outer, err := st.enter()
	if err != nil {
		if err.Kind == KindClosed {
			return nil
		}
		return err
	}
	if !outer {
		return newError(KindBusy, "luau: Close called from inside a host function of the same state")
	}
	if rc := st.c.Close(); rc != capi.OK {
		st.busy.Store(0)
		return newError(kindOf(rc), "luau: cannot close state (status %d)", rc)
	}
	st.removeFuncs()
	st.ctxs = nil
	st.refs = nil
	st.closeControl()
	dtors := st.udClose()
	st.releasePressure()
	st.closed.Store(true)
	st.busy.Store(0)
	reraise(runDestructors(dtors)) // every destructor runs; then the first panic, if any
	return nil
}

// abandon closes a poisoned state on the Go side only: its host functions leave the
// registry and its userdata destructors run, but the C state, whose call frames the Go
// runtime discarded, is deliberately leaked rather than freed in an inconsistent state.
func (st *state) abandon() error {
	if !st.busy.CompareAndSwap(0, 1) {
		return errConcurrent()
	}
	if st.closed.Load() {
		st.busy.Store(0)
		return nil
	}
	st.removeFuncs()
	st.ctxs, st.refs = nil, nil
	st.closeControl()     // Go side and the reference-counted handle only
	dtors := st.udClose() // Go side only: no C call
	st.releasePressure()  // the leaked C state is never freed: nothing to pace for
	st.closed.Store(true)
	st.busy.Store(0)
	reraise(runDestructors(dtors))
	return nil
}

// DoString compiles and runs src as a chunk and returns its results (see Value for the Go
// types). A syntax error has kind KindSyntax and its message names the line
// (`[string "chunk"]:3: ...`); a runtime error has kind KindRuntime and a Traceback.
// The chunk runs as a main chunk, as in the standalone interpreter: coroutine.running() is
// nil, while it is yieldable and pcall nests to Luau's own depth; a yield that reaches
// DoString is an error (run a chunk that yields to the host with NewThreadString).
func (s *State) DoString(src string) ([]any, error) {
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
	return st.doString(src)
}

// doString runs src as a chunk (one crossing) and converts its results.
func (st *state) doString(src string) ([]any, error) {
	base := st.c.GetTop()
	nres, nread, rc := st.c.DoString(src, "")
	if rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	return st.takeResults(base, nres, nread, base)
}

// Compile compiles src to bytecode with the default options (optimisation 1, debug 1).
// A syntax error has kind KindSyntax and a message of the form ":<line>: <text>".
func Compile(src string) ([]byte, error) { return CompileWith(src, 1, 1) }

// CompileWith compiles src with the given optimisation level (0..2) and debug level (0..2).
func CompileWith(src string, optimization, debug int) ([]byte, error) {
	bc, msg, rc := capi.Compile(src, optimization, debug)
	switch rc {
	case capi.OK:
		return bc, nil
	case capi.ErrSyntax:
		return nil, &Error{Kind: KindSyntax, Message: msg}
	case capi.ErrArg:
		return nil, newError(KindArgument, "luau: bad compile options (%d, %d)", optimization, debug)
	}
	return nil, newError(kindOf(rc), "luau: compile failed (status %d)", rc)
}

// Compile compiles src with the default options; it is Compile, but fails after Close.
func (s *State) Compile(src string) ([]byte, error) {
	if s.st.closed.Load() {
		return nil, errClosed()
	}
	return Compile(src)
}

// LoadBytecode loads bytecode made by Compile as a function named chunkname (used in
// messages; "" gives "chunk") without running it.
func (s *State) LoadBytecode(chunkname string, bytecode []byte) (*Function, error) {
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
	base, lerr := st.load(chunkname, bytecode)
	if lerr != nil {
		return nil, lerr
	}
	f, ferr := st.newFunction(base + 1)
	st.c.SetTop(base)
	return f, ferr
}

// load pushes the function made from bytecode; base is the stack top below it.
func (st *state) load(chunkname string, bytecode []byte) (base int, err *Error) {
	if len(bytecode) == 0 {
		return 0, newError(KindArgument, "luau: empty bytecode")
	}
	base = st.c.GetTop()
	if rc := st.c.Load(chunkname, bytecode); rc != capi.OK {
		return 0, st.errorFrom(rc)
	}
	return base, nil
}

// DoBytecode loads bytecode and runs it as DoString runs its chunk, returning its results.
func (s *State) DoBytecode(chunkname string, bytecode []byte) ([]any, error) {
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
	base, lerr := st.load(chunkname, bytecode)
	if lerr != nil {
		return nil, lerr
	}
	nres, nread, rc := st.c.PushAndRun(0)
	if rc != capi.OK {
		st.c.SetTop(base)
		return nil, st.errorFrom(rc)
	}
	return st.takeResults(base, nres, nread, base)
}

// Call calls the global function name with args and returns its results. Arguments are
// converted as described for Value.
func (s *State) Call(name string, args ...any) ([]any, error) {
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
	return st.callGlobal(name, args)
}

func (st *state) callGlobal(name string, args []any) ([]any, error) {
	base := st.c.GetTop()
	n, extra, err := st.prepareArgs(args)
	if err != nil {
		st.c.SetTop(base)
		return nil, err
	}
	nres, nread, rc := st.c.CallGlobal(name, n)
	if rc != capi.OK {
		st.c.SetTop(base)
		return nil, st.errorFrom(rc)
	}
	return st.takeResults(base+extra, nres, nread, base)
}

// SetGlobal sets the global name to v.
func (s *State) SetGlobal(name string, v any) error {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	return st.pushThen(v, func() int32 { return st.c.SetGlobal(name) })
}

// pushThen pushes v and runs op, which consumes it (SetGlobal, RegisterModule); on either
// failure the stack is back where it was.
func (st *state) pushThen(v any, op func() int32) error {
	base := st.c.GetTop()
	if err := st.push(v, 0); err != nil {
		st.c.SetTop(base)
		return err
	}
	if rc := op(); rc != capi.OK {
		st.c.SetTop(base)
		return st.errorFrom(rc)
	}
	return nil
}

// Global returns the value of the global name.
func (s *State) Global(name string) (any, error) {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	base := st.c.GetTop()
	if _, rc := st.c.GetGlobal(name); rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	defer st.c.SetTop(base)
	return st.valueAt(base+1, 0)
}

// MemoryUsed returns the bytes in use by the state's Luau heap (0 after Close).
func (s *State) MemoryUsed() uint64 {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return 0
	}
	defer st.leave(outer)
	return st.c.MemoryUsed()
}

// GC runs a full garbage collection.
func (s *State) GC() error {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	if rc := st.c.GCCollect(); rc != capi.OK {
		return newError(kindOf(rc), "luau: garbage collection failed (status %d)", rc)
	}
	return nil
}

// SetMemoryLimit changes the memory limit (0: none); it applies from the next allocation.
func (s *State) SetMemoryLimit(n uint64) error {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	st.c.SetMemoryLimit(n)
	st.ctl.memLimit = n
	return nil
}
