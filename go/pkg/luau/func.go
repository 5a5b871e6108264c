package luau

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// GoFunc is a host function callable from Luau. It reads its arguments from c and pushes
// its results to c.
//
// Returning a non-nil error raises a Luau error whose message is exactly err.Error(); a
// script's pcall catches it. If nothing catches it, the outermost call (DoString, Call,
// ...) returns an *Error of kind KindHost that wraps err (errors.Is / errors.As match it).
//
// A panic raises the Luau error "host function '<name>' panicked: <value>", which a
// script's pcall sees but cannot swallow: the state raises it again at every safepoint,
// and when the outermost call returns, the original value is re-panicked (panic(v)) on the
// calling goroutine. The panic is never lost.
//
// A GoFunc runs inside a cgo callback: it must not call runtime.Goexit (so neither
// t.FailNow nor t.Fatal in tests), and it must not keep c after it returns.
type GoFunc func(c *CallContext) error

// entry is one registered host function.
type entry struct {
	st   *state
	fn   GoFunc
	name string
	id   uint64 // set by funcRegistry.add
}

// The global function registry: id -> entry, a table of slots in fixed-size chunks.
//
// An id is generation<<32 | slot. A host call (the hot path) finds its entry with two
// atomic loads and two index operations: no lock, no hashing, no allocation, and states on
// different goroutines never contend. Writes (register, unregister, close) take one mutex
// for a few instructions and never copy entries: growing copies only the list of chunk
// pointers (chunks never move). A removed slot is reused with the next generation, so an
// id kept by a stale Luau closure never finds the slot's new entry (the generation
// differs) and the table stays as large as the most functions registered at once.
//
// (The previous copy-on-write maps per shard cost one map copy per register and per
// unregister: 5 µs per RegisterFunc with 1024 functions registered, growing with the
// number registered in the whole process; see go/bench register_func.)
const (
	regChunkBits = 9
	regChunkSize = 1 << regChunkBits
)

type regChunk [regChunkSize]atomic.Pointer[entry]

type funcRegistry struct {
	chunks atomic.Pointer[[]*regChunk]
	n      atomic.Int64

	mu   sync.Mutex // writers only
	gens []uint32   // generation of each slot handed out
	free []uint32   // slots to reuse
}

var registry funcRegistry

func (r *funcRegistry) lookup(id uint64) *entry {
	cs := r.chunks.Load()
	if cs == nil {
		return nil
	}
	slot := uint32(id)
	ci := slot >> regChunkBits
	if ci >= uint32(len(*cs)) {
		return nil
	}
	e := (*cs)[ci][slot&(regChunkSize-1)].Load()
	if e == nil || e.id != id {
		return nil
	}
	return e
}

// add stores e under a new id (also set in e.id) and returns the id (never 0).
func (r *funcRegistry) add(e *entry) uint64 {
	r.mu.Lock()
	var slot uint32
	if n := len(r.free); n > 0 {
		slot = r.free[n-1]
		r.free = r.free[:n-1]
	} else {
		slot = uint32(len(r.gens))
		r.gens = append(r.gens, 0)
		var cs []*regChunk
		if p := r.chunks.Load(); p != nil {
			cs = *p
		}
		if int(slot>>regChunkBits) >= len(cs) {
			grown := make([]*regChunk, len(cs)+1)
			copy(grown, cs)
			grown[len(cs)] = new(regChunk)
			r.chunks.Store(&grown)
		}
	}
	g := r.gens[slot] + 1
	if g == 0 {
		g = 1
	}
	r.gens[slot] = g
	id := uint64(g)<<32 | uint64(slot)
	e.id = id
	(*r.chunks.Load())[slot>>regChunkBits][slot&(regChunkSize-1)].Store(e)
	r.mu.Unlock()
	r.n.Add(1)
	return id
}

func (r *funcRegistry) remove(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := r.chunks.Load()
	slot := uint32(id)
	if cs == nil || slot>>regChunkBits >= uint32(len(*cs)) {
		return
	}
	p := &(*cs)[slot>>regChunkBits][slot&(regChunkSize-1)]
	if e := p.Load(); e == nil || e.id != id {
		return
	}
	p.Store(nil)
	r.free = append(r.free, slot)
	r.n.Add(-1)
}

// each calls f for every registered entry (tests).
func (r *funcRegistry) each(f func(*entry)) {
	cs := r.chunks.Load()
	if cs == nil {
		return
	}
	for _, c := range *cs {
		for i := range c {
			if e := c[i].Load(); e != nil {
				f(e)
			}
		}
	}
}

// RegistrySize returns the number of host functions registered by all open states.
func RegistrySize() int { return int(registry.n.Load()) }

func init() {
	capi.Dispatcher = dispatch
	capi.PanicHandler = dispatchPanicked
	capi.GoexitHandler = dispatchGoexit
	capi.StateOf = func(s any) *capi.State { return s.(*State).st.c }
}

// RegisterFunc makes fn callable from Luau as the global name. Any name is valid (empty,
// special characters, Unicode: reach those through _G["name"]). Registering an existing
// name replaces the function; references scripts kept to the old one then raise
// "function '<name>' is not registered". A nil fn gives an error of kind KindArgument.
func (s *State) RegisterFunc(name string, fn GoFunc) error {
	defer runtime.KeepAlive(s)
	if fn == nil {
		return newError(KindArgument, "luau: RegisterFunc(%q): nil function", name)
	}
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	owned := strings.Clone(name)
	id := registry.add(&entry{st: st, fn: fn, name: owned})
	if rc := st.c.RegisterFunction(name, id); rc != capi.OK {
		registry.remove(id)
		return st.errorFrom(rc)
	}
	if old, ok := st.funcs[name]; ok {
		registry.remove(old)
	}
	st.funcs[owned] = id
	return nil
}

// UnregisterFunc removes the host function name: the global is cleared (if it still holds
// the function) and references scripts kept raise "function '<name>' is not registered".
// An unknown name gives an error of kind KindArgument.
func (s *State) UnregisterFunc(name string) error {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	id, ok := st.funcs[name]
	if !ok {
		return newError(KindArgument, "luau: function '%s' is not registered", name)
	}
	registry.remove(id)
	delete(st.funcs, name)
	base := st.c.GetTop()
	if t, rc := st.c.GetGlobal(name); rc == capi.OK && t == capi.TFunction && st.c.FunctionID(-1) == id {
		if st.c.PushNil() == capi.OK {
			st.c.SetGlobal(name)
		}
	}
	st.c.SetTop(base)
	return nil
}

// dispatch is called by the C trampoline once per Luau -> Go call.
//
// It has no defer of its own: the one panic barrier of a host call is the deferred
// recover on capi's //export, which hands a panic to dispatchPanicked (one deferred
// closure and one recover per call instead of two).
func dispatch(stateID uint64, raw *capi.Call) int32 {
	e := registry.lookup(raw.FunctionID())
	if e == nil || e.st.id != stateID {
		raw.SetError("function '"+raw.Name()+"' is not registered", 0)
		return capi.CBError
	}
	st := e.st
	d := st.depth
	if d == len(st.ctxs) {
		st.ctxs = append(st.ctxs, &CallContext{st: st})
	}
	c := st.ctxs[d]
	c.raw, c.name, c.args = raw, e.name, raw.Args()
	st.depth = d + 1
	fn := e.fn
	if k := raw.Continuation(); k != 0 { // resumed after CallContext.YieldThen
		fn = st.takeContinuation(k)
	}
	err := fn(c) // a panic goes to dispatchPanicked, with c still active
	st.depth = d
	c.raw, c.args = nil, nil
	c.gen++ // the call's ArgRefs are stale from here on
	if err != nil {
		if err == errYield { // CallContext.Yield: its values are the results
			return capi.CBYield
		}
		raw.ResetResults()
		msg, rc := st.hostErrorText(raw, err)
		if rc != capi.CBError {
			return rc
		}
		raw.SetError(msg, st.rememberHostErr(err))
		return capi.CBError
	}
	return capi.CBOK
}

// hostErrorText returns err.Error() and CBError. A panic inside Error() is host code
// panicking: it is handled as a panic of the host function (the original value resumed at
// the outermost call, see panicked), and the status is CBPanic. Only the error path pays
// for the deferred recover.
func (st *state) hostErrorText(raw *capi.Call, err error) (msg string, rc int32) {
	done := false
	defer func() {
		if !done {
			v := recover()
			if v == nil { // panic(nil) under GODEBUG=panicnil=1
				v = capi.PanicNil
			}
			rc = st.panicked(raw, v)
		}
	}()
	msg = err.Error()
	done = true
	return msg, capi.CBError
}

// panicked records the first panic of the outermost call; leave re-raises it.
// capi.PanicNil stands for panic(nil) under GODEBUG=panicnil=1: it is re-raised as
// panic(nil), with the text of runtime.PanicNilError.
func (st *state) panicked(raw *capi.Call, v any) int32 {
	text := panicText(v)
	if v == capi.PanicNil {
		v, text = nil, (&runtime.PanicNilError{}).Error()
	}
	if !st.panicking {
		st.panicking, st.panicVal = true, v
	}
	raw.ResetResults()
	raw.SetError(text, 0)
	return capi.CBPanic
}

func panicText(v any) string {
	switch x := v.(type) {
	case error:
		return x.Error()
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// dispatchPanicked is capi's panic barrier handler. A panic of the host function (its
// call context is still the active one: dispatch was unwound between setting it up and
// tearing it down) is recorded for leave to re-raise; any other panic of the dispatcher is
// a binding bug, turned into the panic status without re-raising.
// dispatchGoexit poisons the state whose host function called runtime.Goexit.
func dispatchGoexit(stateID uint64, raw *capi.Call) {
	if e := registry.lookup(raw.FunctionID()); e != nil && e.st.id == stateID {
		e.st.poisoned.Store(true)
	}
}

func dispatchPanicked(stateID uint64, raw *capi.Call, v any) int32 {
	if e := registry.lookup(raw.FunctionID()); e != nil && e.st.id == stateID {
		st := e.st
		if d := st.depth - 1; d >= 0 && d < len(st.ctxs) && st.ctxs[d].raw == raw {
			c := st.ctxs[d]
			st.depth = d
			c.raw, c.args = nil, nil
			c.gen++
			return st.panicked(raw, v)
		}
	}
	raw.ResetResults()
	raw.SetError("luau-embed internal error: "+panicText(v), 0)
	return capi.CBPanic
}

// CallContext is a host function's view of one call: its arguments and results. Argument
// indices are 1-based, as in Luau ("invalid argument #1 ..."). It is valid only during the
// call and on the goroutine that runs the host function.
//
// Reading a nil, boolean, number, string or vector argument and pushing such a result
// costs no cgo call: the whole call crosses cgo once. Table and function arguments are
// read through protected calls into the wrapper.
type CallContext struct {
	st   *state
	raw  *capi.Call
	name string
	args []capi.Value
	gen  uint64 // calls this context has finished: an ArgRef of an earlier one is stale
}

// Name returns the name the function was registered under.
func (c *CallContext) Name() string { return c.name }

// NArgs returns the number of arguments.
func (c *CallContext) NArgs() int { return len(c.args) }

func (c *CallContext) arg(i int) *capi.Value {
	if i < 1 || i > len(c.args) {
		return nil
	}
	return &c.args[i-1]
}

// Type returns the type of argument i (TypeNone if there is no such argument).
func (c *CallContext) Type(i int) Type {
	v := c.arg(i)
	if v == nil {
		return TypeNone
	}
	return Type(v.Type)
}

// ArgError returns the error "invalid argument #i to '<name>' (msg)", worded as Luau's
// luaL_argerror.
func (c *CallContext) ArgError(i int, msg string) error {
	return errors.New("invalid argument #" + itoa(i) + " to '" + c.name + "' (" + msg + ")")
}

// TypeError returns the error for argument i not being a want, worded as Luau's
// luaL_typeerror: "invalid argument #i to '<name>' (want expected, got T)", where T is
// what typeof() says of the argument (a registered type's name for its userdata), or,
// when the call has fewer than i arguments, "missing argument #i to '<name>' (want
// expected)". A nil argument that is present is "got nil".
func (c *CallContext) TypeError(i int, want string) error {
	return c.badArg(i, expected(want, c.st, c.arg(i)))
}

// badArg is the argument error for argument i with detail msg: "missing argument" when
// the call has no argument i (msg is then a bare "T expected", see expected), else
// "invalid argument".
func (c *CallContext) badArg(i int, msg string) error {
	if i > len(c.args) {
		return errors.New("missing argument #" + itoa(i) + " to '" + c.name + "' (" + msg + ")")
	}
	return c.ArgError(i, msg)
}

// Number returns argument i, which must be a number (strings are not converted).
func (c *CallContext) Number(i int) (float64, error) {
	v := c.arg(i)
	if v != nil {
		switch v.Type {
		case capi.TNumber:
			return v.Number(), nil
		case capi.TInteger:
			return float64(v.Integer()), nil
		}
	}
	return 0, c.TypeError(i, "number")
}

// String returns argument i, which must be a string. The string is borrowed from Luau
// without copying: it is valid only until the host function returns. Use strings.Clone
// to keep it.
func (c *CallContext) String(i int) (string, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TString {
		return "", c.TypeError(i, "string")
	}
	return v.BorrowString(), nil
}

// Bool returns argument i, which must be a boolean.
func (c *CallContext) Bool(i int) (bool, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TBoolean {
		return false, c.TypeError(i, "boolean")
	}
	return v.Bool(), nil
}

// Truthy reports Luau truthiness of argument i (false only for nil, false, no value).
func (c *CallContext) Truthy(i int) bool {
	v := c.arg(i)
	if v == nil || v.Type == capi.TNil {
		return false
	}
	return v.Type != capi.TBoolean || v.Bool()
}

// Vector returns argument i, which must be a vector.
func (c *CallContext) Vector(i int) (Vector, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TVector {
		return Vector{}, c.TypeError(i, "vector")
	}
	x, y, z := v.Vector()
	return Vector{x, y, z}, nil
}

// Arg returns argument i converted to Go (see Value); strings are copied and tables are
// copied deeply. A missing argument is nil.
func (c *CallContext) Arg(i int) (any, error) {
	v := c.arg(i)
	if v == nil {
		return nil, nil
	}
	if x, ok := scalarValue(v); ok {
		return x, nil
	}
	return c.st.valueFrom(*v, 0)
}

// ArgRef refers to an argument of a running host function. Passed as an argument to a
// nested call (Call, CallArg) or to Push, it stands for the argument's Luau value itself:
// no conversion, tables and functions keep their identity. Valid during the call only: an
// ArgRef kept and used after its call returned (or yielded) is an error of kind
// KindConversion ("ArgRef used outside its call"), never an argument of a later call. To
// keep a value, convert it (Arg) or hold it as a handle (a *Function or *Table result).
type ArgRef struct {
	c   *CallContext
	raw *capi.Call
	gen uint64
	idx int32
}

// Ref returns a reference to argument i (see ArgRef); a missing argument refers to nil.
func (c *CallContext) Ref(i int) ArgRef {
	v := c.arg(i)
	if v == nil {
		return ArgRef{c: c, raw: c.raw, gen: c.gen}
	}
	return ArgRef{c: c, raw: c.raw, gen: c.gen, idx: v.StackIndex}
}

// Field returns t[key] of table argument i (metamethods run, protected).
func (c *CallContext) Field(i int, key string) (any, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TTable {
		return nil, c.TypeError(i, "table")
	}
	st := c.st
	base := st.c.GetTop()
	if _, rc := st.c.GetField(int(v.StackIndex), key); rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	defer st.c.SetTop(base)
	return st.valueAt(base+1, 0)
}

// Index returns t[n] of table argument i (metamethods run, protected).
func (c *CallContext) Index(i int, n int64) (any, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TTable {
		return nil, c.TypeError(i, "table")
	}
	st := c.st
	base := st.c.GetTop()
	if _, rc := st.c.GetI(int(v.StackIndex), n); rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	defer st.c.SetTop(base)
	return st.valueAt(base+1, 0)
}

// Len returns the raw length of table or string argument i (0 for other types).
func (c *CallContext) Len(i int) int {
	v := c.arg(i)
	if v == nil {
		return 0
	}
	if v.Type == capi.TString {
		return v.StringLen()
	}
	if v.Type != capi.TTable {
		return 0
	}
	n, rc := c.st.c.RawLen(int(v.StackIndex))
	if rc != capi.OK {
		return 0
	}
	return n
}

// nested checks that c is a running call and that its state is entered from its own
// host function (the goroutine running it).
func (c *CallContext) nested() error {
	if c.raw == nil {
		return newError(KindArgument, "luau: CallContext used after its call returned")
	}
	outer, err := c.st.enter()
	if err != nil {
		return err
	}
	if outer {
		c.st.leave(true)
		return newError(KindArgument, "luau: CallContext used after its call returned")
	}
	return nil
}

// CallArg calls function argument i with args (a nested call into Luau).
func (c *CallContext) CallArg(i int, args ...any) ([]any, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TFunction {
		return nil, c.TypeError(i, "function")
	}
	st := c.st
	if err := c.nested(); err != nil {
		return nil, err
	}
	base := st.c.GetTop()
	n, extra, err := st.prepareArgs(args)
	if err != nil {
		st.c.SetTop(base)
		return nil, err
	}
	// The function goes above the prepared table arguments; the value buffer is untouched.
	if rc := st.c.PushIndex(int(v.StackIndex)); rc != capi.OK {
		st.c.SetTop(base)
		return nil, st.errorFrom(rc)
	}
	nres, nread, rc := st.c.PushAndPCall(n)
	if rc != capi.OK {
		st.c.SetTop(base)
		return nil, st.errorFrom(rc)
	}
	return st.takeResults(base+extra, nres, nread, base)
}

// Call calls the global Luau function name (a nested call into Luau).
func (c *CallContext) Call(name string, args ...any) ([]any, error) {
	if err := c.nested(); err != nil {
		return nil, err
	}
	return c.st.callGlobal(name, args)
}

// DoString runs src in the calling state (a nested call into Luau).
func (c *CallContext) DoString(src string) ([]any, error) {
	st := c.st
	if err := c.nested(); err != nil {
		return nil, err
	}
	base := st.c.GetTop()
	nres, nread, rc := st.c.DoString(src, "")
	if rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	return st.takeResults(base, nres, nread, base)
}

// PushNil adds a nil result.
func (c *CallContext) PushNil() {
	if r := c.raw.AddResult(); r != nil {
		r.SetNil()
	}
}

// PushBool adds a boolean result.
func (c *CallContext) PushBool(b bool) {
	if r := c.raw.AddResult(); r != nil {
		r.SetBool(b)
	}
}

// PushNumber adds a number result.
func (c *CallContext) PushNumber(f float64) {
	if r := c.raw.AddResult(); r != nil {
		r.SetNumber(f)
	}
}

// PushVector adds a vector result.
func (c *CallContext) PushVector(v Vector) {
	if r := c.raw.AddResult(); r != nil {
		r.SetVector(v.X, v.Y, v.Z)
	}
}

// PushString adds a string result (its bytes are copied into C memory, once).
func (c *CallContext) PushString(s string) {
	p := c.raw.CopyToScratch(s)
	if p == nil {
		panic(newError(KindMemory, "luau: not enough memory for a string result of %d bytes", len(s)))
	}
	if r := c.raw.AddResult(); r != nil {
		r.SetCString(p, len(s))
	}
}

// PushArg adds argument i itself as a result (any type, no copy).
func (c *CallContext) PushArg(i int) {
	v := c.arg(i)
	r := c.raw.AddResult()
	if r == nil {
		return
	}
	if v == nil {
		r.SetNil()
		return
	}
	r.SetStack(int(v.StackIndex))
}

// Push adds a result of any convertible Go type (see Value).
func (c *CallContext) Push(v any) error {
	switch x := v.(type) {
	case string:
		c.PushString(x)
		return nil
	case []byte:
		c.PushString(string(x))
		return nil
	}
	if isScalar(v) {
		if err := checkExact(v); err != nil {
			return err
		}
		r := c.raw.AddResult()
		if r == nil {
			return newError(KindMemory, "luau: not enough memory for results")
		}
		off := 0
		setScalar(r, v, nil, &off)
		return nil
	}
	st := c.st
	if err := st.push(v, 0); err != nil {
		return err
	}
	r := c.raw.AddResult()
	if r == nil {
		return newError(KindMemory, "luau: not enough memory for results")
	}
	r.SetStack(st.c.GetTop())
	return nil
}

func itoa(i int) string {
	if i >= 0 && i < 10 {
		return string(rune('0' + i))
	}
	return fmt.Sprint(i)
}
