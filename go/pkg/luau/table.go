package luau

// Values as handles: *Table, and the automatic release of every handle (*Function,
// *Table, *Thread) the Go program drops without Release.

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// Table is a Luau table held by the host: a registry reference, as gopher-lua's *LTable
// and mlua's Table are handles. Reads and writes go to the table itself (a script that
// holds the same table sees them, and the host sees the script's changes), unlike the
// copies Value conversions make (map[any]any, []any).
//
// A Table comes from State.NewTable, State.GlobalTable, Table.GetTable, or any value read
// with tables as handles (Function.CallHandles, Table.Get, Table.ForEach). Passed to Luau
// (an argument of Call, Function.Call, a SetGlobal value, a Push, a value of Table.Set) it
// is that table. It belongs to its State: using it on another State, after Release or
// after the State's Close is an error (KindConversion when passed, KindArgument or
// KindClosed for its methods), never another table.
//
// Values read through a Table (Get, RawGet, ForEach) convert as described for Value,
// except that tables come as *Table handles rather than copies: walking a nested result
// costs one handle per table visited, never a copy of the whole. Value copies the table.
//
// Release drops the reference at once; a Table the program drops without Release is
// released automatically after the Go garbage collector finds it unreachable (at the
// State's next entry after that), as are *Function and *Thread values.
type Table struct {
	st      *state
	ref     int32
	cleanup handleCleanup
}

// NewTable creates an empty table held by the host.
func (s *State) NewTable() (*Table, error) {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	base := st.c.GetTop()
	defer st.c.SetTop(base)
	if rc := st.c.NewTable(0, 0); rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	return st.newTable(base + 1)
}

// GlobalTable returns the global name as a *Table handle; a global that is not a table is
// an error of kind KindArgument.
func (s *State) GlobalTable(name string) (*Table, error) {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	base := st.c.GetTop()
	defer st.c.SetTop(base)
	t, rc := st.c.GetGlobal(name)
	if rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	if t != capi.TTable {
		return nil, newError(KindArgument, "luau: global '%s' is a %s, not a table", name, Type(t))
	}
	return st.newTable(base + 1)
}

// newTable makes a handle of the table at absolute index idx.
func (st *state) newTable(idx int) (*Table, error) {
	ref, rc := st.c.Ref(idx)
	if rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	t := &Table{st: st, ref: ref}
	t.cleanup = addHandleCleanup(t, st, deadRefs{ref, 0})
	return t, nil
}

// use enters t's state for a method of t and pushes the table; done restores both.
func (t *Table) use() (base int, done func(), err error) {
	if t == nil || t.st == nil {
		return 0, nil, newError(KindArgument, "luau: nil *Table")
	}
	st := t.st
	outer, eerr := st.enter()
	if eerr != nil {
		return 0, nil, eerr
	}
	if t.ref <= 0 {
		st.leave(outer)
		return 0, nil, newError(KindArgument, "luau: table was released")
	}
	base = st.c.GetTop()
	if rc := st.c.PushRef(t.ref); rc != capi.OK {
		st.leave(outer)
		return 0, nil, newError(kindOf(rc), "luau: cannot push table (status %d)", rc)
	}
	return base, func() { st.c.SetTop(base); st.leave(outer) }, nil
}

// Get returns t[key] (metamethods run, protected). key converts as an argument does (a
// *Table or *Function key is that value). Tables come as *Table handles.
func (t *Table) Get(key any) (any, error) { return t.get(key, false) }

// RawGet is Get without metamethods (rawget).
func (t *Table) RawGet(key any) (any, error) { return t.get(key, true) }

// GetTable returns t[key], which must be a table, as a handle (KindArgument otherwise).
func (t *Table) GetTable(key any) (*Table, error) {
	v, err := t.get(key, false)
	if err != nil {
		return nil, err
	}
	if x, ok := v.(*Table); ok {
		return x, nil
	}
	if f, ok := v.(interface{ Release() }); ok {
		f.Release()
	}
	return nil, newError(KindArgument, "luau: t[%v] is not a table", key)
}

func (t *Table) get(key any, raw bool) (any, error) {
	base, done, err := t.use()
	if err != nil {
		return nil, err
	}
	defer done()
	st := t.st
	if err := st.push(key, 0); err != nil {
		return nil, err
	}
	if _, rc := st.c.TableGet(base+1, raw); rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	return st.handleAt(base + 2)
}

// Set sets t[key] = value (metamethods run, protected). key and value convert as arguments
// do; a nil or NaN key is an error of kind KindRuntime, as in Luau.
func (t *Table) Set(key, value any) error { return t.set(key, value, false) }

// RawSet is Set without metamethods (rawset). A read-only (sandboxed) table refuses it
// (KindArgument).
func (t *Table) RawSet(key, value any) error { return t.set(key, value, true) }

func (t *Table) set(key, value any, raw bool) error {
	base, done, err := t.use()
	if err != nil {
		return err
	}
	defer done()
	st := t.st
	if err := st.push(key, 0); err != nil {
		return err
	}
	if err := st.push(value, 0); err != nil {
		return err
	}
	if rc := st.c.TableSet(base+1, raw); rc != capi.OK {
		return st.errorFrom(rc)
	}
	return nil
}

// Len returns the raw length of t (#t without __len: its sequence part).
func (t *Table) Len() (int, error) {
	base, done, err := t.use()
	if err != nil {
		return 0, err
	}
	defer done()
	n, rc := t.st.c.RawLen(base + 1)
	if rc != capi.OK {
		return 0, newError(kindOf(rc), "luau: cannot take the length of the table")
	}
	return n, nil
}

// ForEach calls fn for every entry of t in the order of Luau's pairs (next: the sequence
// part 1..n first, in order, then the other keys), without metamethods, until fn returns
// false. Keys and values convert as for Get (tables as *Table handles). fn must not change
// t by adding keys (as with next in Luau; changing or clearing existing ones is fine) and
// must not use the State from another goroutine.
func (t *Table) ForEach(fn func(key, value any) bool) error {
	base, done, err := t.use()
	if err != nil {
		return err
	}
	defer done()
	st := t.st
	if rc := st.c.PushNil(); rc != capi.OK {
		return st.errorFrom(rc)
	}
	for {
		more, rc := st.c.Next(base + 1)
		if rc != capi.OK {
			return st.errorFrom(rc)
		}
		if !more {
			return nil
		}
		k, err := st.handleAt(base + 2)
		if err != nil {
			return err
		}
		v, err := st.handleAt(base + 3)
		if err != nil {
			return err
		}
		if !fn(k, v) {
			return nil
		}
		st.c.SetTop(base + 2) // keep the key for the next luaw_next
	}
}

// Value returns a copy of the table converted as described for Value ([]any for a
// sequence, map[any]any otherwise, shared tables converted once, a cycle an error).
func (t *Table) Value() (any, error) {
	base, done, err := t.use()
	if err != nil {
		return nil, err
	}
	defer done()
	return t.st.valueAt(base+1, 0)
}

// Release drops the reference at once. It is idempotent; the Table is unusable afterwards
// (its methods return KindArgument). After the State's Close it does nothing.
func (t *Table) Release() {
	if t == nil || t.st == nil {
		return
	}
	st := t.st
	outer, err := st.enter()
	if err != nil {
		return // closed: the reference died with the state
	}
	defer st.leave(outer)
	if t.ref > 0 {
		t.cleanup.stop(t)
		st.c.Unref(t.ref)
		t.ref = 0
	}
}

// handleAt converts the value at absolute index idx with tables as handles.
func (st *state) handleAt(idx int) (any, error) {
	defer st.withHandles()()
	return st.valueAt(idx, 0)
}

// withHandles makes conversions at the current host depth give tables as handles (a host
// function called meanwhile, one level deeper, still gets copies) until the returned
// function restores the previous mode.
func (st *state) withHandles() func() {
	prev := st.handlesDepth
	st.handlesDepth = st.depth + 1
	return func() { st.handlesDepth = prev }
}

// wantHandles reports whether conversions now give tables as handles.
func (st *state) wantHandles() bool { return st.handlesDepth == st.depth+1 }

// CallHandles is Call with the results' tables as *Table handles (not copies).
func (f *Function) CallHandles(args ...any) ([]any, error) {
	st := f.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	if f.ref <= 0 {
		return nil, newError(KindArgument, "luau: function was released")
	}
	defer st.withHandles()()
	return st.callRef(f.ref, args)
}

// ---- automatic release ----

// deadRefs are the registry references of one handle the Go GC found unreachable.
type deadRefs struct{ a, b int32 }

// deadQueue collects the references of unreachable handles. The cleanups run on the Go
// runtime's cleanup goroutine and only append here (never a C call); the state's own
// goroutine drains the queue at its next outermost entry.
type deadQueue struct {
	pending atomic.Bool
	mu      sync.Mutex
	refs    []deadRefs
}

// dropRefs is the cleanup of every handle: it queues r.
func (st *state) dropRefs(r deadRefs) {
	if st.closed.Load() {
		return
	}
	st.dead.mu.Lock()
	st.dead.refs = append(st.dead.refs, r)
	st.dead.mu.Unlock()
	st.dead.pending.Store(true)
}

// drainDead releases the queued references (the state's goroutine, entered).
func (st *state) drainDead() {
	st.dead.mu.Lock()
	refs := st.dead.refs
	st.dead.refs = nil
	st.dead.pending.Store(false)
	st.dead.mu.Unlock()
	for _, r := range refs {
		if r.a > 0 {
			st.c.Unref(r.a)
		}
		if r.b > 0 {
			st.c.Unref(r.b)
		}
	}
}

// tableMap gives a converted table as a map: a sequence ([]any) keyed 1..n.
func tableMap(x any) (map[any]any, bool) {
	switch t := x.(type) {
	case map[any]any:
		return t, true
	case []any:
		m := make(map[any]any, len(t))
		for i, e := range t {
			m[float64(i+1)] = e
		}
		return m, true
	}
	return nil, false
}

// ---- the typed host -> Luau call ----

// CallFloat calls f with number arguments and returns its first result, which must be a
// number (an integer result converts). It is Call's fast form: the arguments go into C
// memory without a cgo call, the call crosses cgo once, and nothing is allocated. A first
// result of another type (or none) is an error of kind KindConversion; errors of the call
// are as for Call.
func (f *Function) CallFloat(args ...float64) (float64, error) {
	st := f.st
	outer, err := st.enter()
	if err != nil {
		return 0, err
	}
	defer st.leave(outer)
	if f.ref <= 0 {
		return 0, newError(KindArgument, "luau: function was released")
	}
	if !st.c.Reserve(len(args), 0) {
		return 0, newError(KindMemory, "luau: not enough memory for arguments")
	}
	vals := st.c.Vals(len(args))
	for i, a := range args {
		vals[i].SetNumber(a)
	}
	base, nres, nread, restored, rc := st.c.CallRef(f.ref, len(args))
	if rc != capi.OK {
		return 0, st.errorFrom(rc)
	}
	if !restored { // some result lives on the Luau heap (a string, a table...)
		st.c.SetTop(base)
	}
	if nres == 0 || nread == 0 {
		return 0, errNotNumber(capi.TNone)
	}
	v := &st.c.Vals(1)[0]
	switch v.Type {
	case capi.TNumber:
		return v.Number(), nil
	case capi.TInteger:
		return float64(v.Integer()), nil
	}
	return 0, errNotNumber(v.Type)
}

func errNotNumber(t int32) error {
	if t == capi.TNone {
		return newError(KindConversion, "luau: CallFloat: no number result")
	}
	return newError(KindConversion, "luau: CallFloat: the first result is a %s, not a number", Type(t))
}
