package luau

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// Host userdata: Go values in Luau.
//
// RegisterType exposes a Go type T to scripts. A value of T (or a *T) given to Luau, as a
// typed function's result or through SetGlobal, Call and CallContext.Push, becomes a full
// userdata of that type: typeof(v) is the registered name, obj:Method(...) calls T's
// exported methods (on T and *T; also reachable with the first letter lowered: v:len()
// for Len), obj.Field reads and obj.Field = x writes exported fields (names as for
// tables: `luau:"name"` tags, `luau:"name,readonly"` to refuse writes).
//
// The userdata holds only (type id, handle): the Go value stays in a per-state table and
// is released when Luau collects the userdata (after the outermost call that notices it)
// or when the State is closed, whichever comes first; WithDestructor runs then, exactly
// once per Go value. A *T pushed twice is one Go value behind two userdata: it is
// released when both are collected. A T (not a pointer) is copied into a new *T.
//
// A userdata coming back is checked: a parameter of type *T (or T) accepts only userdata
// of T's registered type ("invalid argument #1 to 'f' (Vec3 expected, got Counter)"), and
// CallContext.Arg / results return the *T itself.

// TypeOption configures RegisterType.
type TypeOption func(*typeConfig)

type typeConfig struct {
	statics []namedFunc // functions of the global type table (constructor: "new")
	ops     []namedFunc // metamethods
	dtor    func(any)
	list    listCtor
	errs    []error
}

// listCtor builds a *T from a table argument (WithListConstructor); msg is the argument
// error's detail when it cannot.
type listCtor func(cc *CallContext, v *capi.Value) (p reflect.Value, msg string)

// WithListConstructor declares the type's list construction: a table literal such as
// {1, 2, 3} is accepted wherever a *T (or T) parameter of a registered function expects the
// type. The table converts to []E as a typed []E parameter would (an element of another
// type is "invalid argument #I to 'f' (element 2: number expected, got string)", a table
// that is not a sequence "(Vec3 expected, got table)"), then fn builds the value; fn's error
// is the argument error's detail ("invalid argument #1 to 'f' (<err>)").
// The userdata values of the type are accepted as before. Operator operands and method
// receivers take only userdata.
func WithListConstructor[E, T any](fn func(xs []E) (*T, error)) TypeOption {
	return func(c *typeConfig) {
		if fn == nil {
			return
		}
		ec, err := buildConv(reflect.TypeOf([]E(nil)), building{})
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("list constructor: %v", err))
			return
		}
		c.list = func(cc *CallContext, v *capi.Value) (reflect.Value, string) {
			var xs []E
			if msg := ec.arg(cc, v, reflect.ValueOf(&xs).Elem()); msg != "" {
				return reflect.Value{}, msg
			}
			p, err := fn(xs)
			if err != nil {
				return reflect.Value{}, err.Error()
			}
			if p == nil {
				return reflect.Value{}, "list constructor returned nil"
			}
			return reflect.ValueOf(p), ""
		}
	}
}

type namedFunc struct {
	name string
	fn   any
}

// WithConstructor makes fn the type's constructor, called from Luau as Name.new(...).
// fn is a function as for Register, normally returning *T (or T, or (*T, error)).
func WithConstructor(fn any) TypeOption {
	return func(c *typeConfig) { c.statics = append(c.statics, namedFunc{"new", fn}) }
}

// WithStatic adds fn (as for Register) to the type's global table as Name.<name>(...):
// factories and other functions that belong to the type.
func WithStatic(name string, fn any) TypeOption {
	return func(c *typeConfig) { c.statics = append(c.statics, namedFunc{name, fn}) }
}

// Operators accepted by WithOperator.
var operators = map[string]bool{
	"__add": true, "__sub": true, "__mul": true, "__div": true, "__mod": true, "__pow": true,
	"__idiv": true, "__unm": true, "__eq": true, "__lt": true, "__le": true, "__len": true,
	"__concat": true, "__call": true, "__tostring": true,
}

// WithOperator sets the metamethod op (__add, __sub, __mul, __div, __mod, __pow, __idiv,
// __unm, __eq, __lt, __le, __len, __concat, __call or __tostring) to fn, a function as for
// Register: func(a, b *Vec3) *Vec3 for __add, func(v *Vec3) string for __tostring, ...
// An operand of another type gives the usual bad-argument error.
func WithOperator(op string, fn any) TypeOption {
	return func(c *typeConfig) {
		if !operators[op] {
			c.errs = append(c.errs, fmt.Errorf("unsupported operator %q", op))
			return
		}
		c.ops = append(c.ops, namedFunc{op, fn})
	}
}

// WithDestructor runs fn once for each Go value of the type when Luau no longer refers to
// it (after the outermost call that noticed the collection) or when the State closes. It
// runs on the goroutine that used the state, outside any call: it must not use the state.
//
// A panicking destructor does not stop the others: every destructor due runs, then the
// first panic is re-raised (with its original value) from the call that ran them: the
// outermost call (DoString, Call, ...) after its results are ready, or Close after the
// state is closed. If a host function's panic is being re-raised by the same call, that
// one wins and the destructor panics are dropped. Later destructor panics of the same
// batch are dropped.
func WithDestructor[T any](fn func(*T)) TypeOption {
	return func(c *typeConfig) {
		if fn == nil {
			return
		}
		c.dtor = func(p any) {
			if v, ok := p.(*T); ok {
				fn(v)
			}
		}
	}
}

// udType is a registered type in one state.
type udType struct {
	id     uint32
	name   string
	goType reflect.Type // T
	fields map[string]*structField
	dtor   func(any)
	list   listCtor // WithListConstructor, or nil
}

// udState is a state's userdata bookkeeping (owned by the goroutine holding the state).
type udState struct {
	types   map[reflect.Type]*udType
	byID    map[uint32]*udType
	slots   []udSlot // handle h lives in slots[h-1]
	free    []uint64
	byPtr   map[udKey]uint64
	live    int
	pending []func() // destructors to run at the outermost leave
	funcIDs []uint64 // host functions of metatables and type tables
	creates int
	buf     [64]uint64
}

type udSlot struct {
	typ  *udType
	ptr  any // *T
	refs int
	key  udKey
}

type udKey struct {
	p unsafe.Pointer
	t *udType
}

// Type ids are global per Go type, so converters built once can carry them.
var (
	typeIDs    sync.Map // reflect.Type -> uint32
	nextTypeID atomic.Uint32
)

func typeIDOf(t reflect.Type) uint32 {
	if id, ok := typeIDs.Load(t); ok {
		return id.(uint32)
	}
	id, _ := typeIDs.LoadOrStore(t, nextTypeID.Add(1))
	return id.(uint32)
}

func (st *state) udTypeOf(t reflect.Type) *udType {
	if st.ud == nil {
		return nil
	}
	return st.ud.types[t]
}

func (st *state) udTypeByID(id uint32) *udType {
	if st.ud == nil {
		return nil
	}
	return st.ud.byID[id]
}

// RegisterType exposes the Go type T to Luau under name (see "Host userdata" above):
// name is typeof() of its values and, with WithConstructor or WithStatic, a global table
// (Name.new(...)). Methods whose parameter or result types have no conversion are not
// exposed. Registering T again on the same state replaces its metatable.
func RegisterType[T any](s *State, name string, opts ...TypeOption) error {
	defer runtime.KeepAlive(s)
	t := reflect.TypeOf((*T)(nil)).Elem()
	var cfg typeConfig
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.errs) > 0 {
		return newError(KindArgument, "luau: RegisterType(%q): %v", name, errors.Join(cfg.errs...))
	}
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	fast := func(fn any, ut *udType) GoFunc { return fastMethod[T](fn, ut) }
	if e := st.registerType(t, name, &cfg, fast); e != nil {
		return e
	}
	return nil
}

func (st *state) registerType(t reflect.Type, name string, cfg *typeConfig, fast func(any, *udType) GoFunc) error {
	if st.ud == nil {
		st.ud = &udState{types: map[reflect.Type]*udType{}, byID: map[uint32]*udType{}, byPtr: map[udKey]uint64{}}
	}
	ut := &udType{id: typeIDOf(t), name: strings.Clone(name), goType: t, dtor: cfg.dtor, list: cfg.list}
	if t.Kind() == reflect.Struct {
		fs, err := structFields(t, building{})
		if err != nil {
			return newError(KindArgument, "luau: RegisterType(%q): %v", name, err)
		}
		ut.fields = map[string]*structField{}
		for i := range fs {
			f := &fs[i]
			ut.fields[f.name] = f
			if f.alias != "" {
				if _, taken := ut.fields[f.alias]; !taken {
					ut.fields[f.alias] = f
				}
			}
		}
	}
	// Converters of the options first: nothing is installed if one is bad.
	type built struct {
		name string
		fn   GoFunc
	}
	var statics, ops, methods []built
	build := func(fn any) (GoFunc, error) {
		if fn != nil && !reflect.ValueOf(fn).IsZero() {
			if gf := fast(fn, ut); gf != nil {
				return gf, nil
			}
		}
		return typedFunc(fn)
	}
	for _, nf := range cfg.statics {
		gf, err := build(nf.fn)
		if err != nil {
			return newError(KindArgument, "luau: RegisterType(%q): %s: %v", name, nf.name, err)
		}
		statics = append(statics, built{nf.name, gf})
	}
	for _, nf := range cfg.ops {
		gf, err := build(nf.fn)
		if err != nil {
			return newError(KindArgument, "luau: RegisterType(%q): %s: %v", name, nf.name, err)
		}
		ops = append(ops, built{nf.name, gf})
	}
	pt := reflect.PointerTo(t)
	for i := 0; i < pt.NumMethod(); i++ {
		m := pt.Method(i)
		fn := m.Func.Interface()
		if gf := fast(fn, ut); gf != nil {
			methods = append(methods, built{m.Name, gf})
			continue
		}
		gf, err := typedFunc(fn)
		if err != nil {
			continue // no conversion for a parameter or result: not exposed
		}
		methods = append(methods, built{m.Name, st.selfChecked(ut, gf)})
	}

	c := st.c
	base := c.GetTop()
	defer c.SetTop(base)
	fail := func(rc int32) error { return st.errorFrom(rc) }
	push := func(fnName string, gf GoFunc) int32 {
		id := registry.add(&entry{st: st, fn: gf, name: fnName})
		st.ud.funcIDs = append(st.ud.funcIDs, id)
		return c.PushFunction(id, fnName)
	}
	// The methods table (base+1).
	if rc := c.NewTable(0, len(methods)*2); rc != capi.OK {
		return fail(rc)
	}
	for _, m := range methods {
		lname := lowerFirst(m.name)
		if rc := push(lname, m.fn); rc != capi.OK {
			return fail(rc)
		}
		if lname != m.name {
			if rc := c.PushIndex(c.GetTop()); rc != capi.OK {
				return fail(rc)
			}
			if rc := c.SetField(base+1, m.name); rc != capi.OK {
				return fail(rc)
			}
		}
		if rc := c.SetField(base+1, lname); rc != capi.OK {
			return fail(rc)
		}
	}
	// The metatable (base+2).
	if rc := c.NewTable(0, 4+len(ops)); rc != capi.OK {
		return fail(rc)
	}
	if len(ut.fields) > 0 {
		getter := func() int32 { return push(name+".__index", st.fieldGetter(ut)) }
		if rc := st.pushIndexer(base+1, getter); rc != capi.OK {
			return fail(rc)
		}
	} else if rc := c.PushIndex(base + 1); rc != capi.OK {
		return fail(rc)
	}
	if rc := c.SetField(base+2, "__index"); rc != capi.OK {
		return fail(rc)
	}
	if rc := push(name+".__newindex", st.fieldSetter(ut)); rc != capi.OK {
		return fail(rc)
	}
	if rc := c.SetField(base+2, "__newindex"); rc != capi.OK {
		return fail(rc)
	}
	for _, op := range ops {
		if rc := push(op.name, op.fn); rc != capi.OK {
			return fail(rc)
		}
		if rc := c.SetField(base+2, op.name); rc != capi.OK {
			return fail(rc)
		}
	}
	if rc := c.SetUserdataType(ut.id, name); rc != capi.OK {
		return fail(rc)
	}
	// The global type table.
	if len(statics) > 0 {
		if rc := c.NewTable(0, len(statics)); rc != capi.OK {
			return fail(rc)
		}
		for _, sf := range statics {
			if rc := push(sf.name, sf.fn); rc != capi.OK {
				return fail(rc)
			}
			if rc := c.SetField(base+2, sf.name); rc != capi.OK {
				return fail(rc)
			}
		}
		if rc := c.SetGlobal(name); rc != capi.OK {
			return fail(rc)
		}
	}
	if old := st.ud.types[t]; old != nil {
		delete(st.ud.byID, old.id)
	}
	st.ud.types[t] = ut
	st.ud.byID[ut.id] = ut
	return nil
}

// indexerSource builds __index for types with fields: methods first (no crossing), then
// the host's field getter.
const indexerSource = `local methods, get = ...
return function(self, key)
	local m = methods[key]
	if m ~= nil then return m end
	return get(self, key)
end`

var indexerBytecode = sync.OnceValues(func() ([]byte, error) { return Compile(indexerSource) })

// pushIndexer pushes the __index closure over the methods table at methodsIdx and the
// getter that pushGetter pushes.
func (st *state) pushIndexer(methodsIdx int, pushGetter func() int32) int32 {
	c := st.c
	bc, err := indexerBytecode()
	if err != nil {
		return capi.ErrSyntax
	}
	if rc := c.Load("=userdata", bc); rc != capi.OK {
		return rc
	}
	if rc := c.PushIndex(methodsIdx); rc != capi.OK {
		return rc
	}
	if rc := pushGetter(); rc != capi.OK {
		return rc
	}
	return c.PCall(2, 1)
}

// selfChecked wraps a method so that argument 1 must be a userdata of ut.
func (st *state) selfChecked(ut *udType, gf GoFunc) GoFunc {
	return func(c *CallContext) error {
		if _, msg := c.self(ut); msg != "" {
			return c.badArg(1, msg)
		}
		return gf(c)
	}
}

// self returns the *T of argument 1 when it is a live userdata of ut.
func (c *CallContext) self(ut *udType) (any, string) {
	v := c.arg(1)
	if v != nil && v.Type == capi.TUserdata {
		if p, ok := c.st.udPtr(v, ut.id); ok {
			return p, ""
		}
	}
	return nil, expected(ut.name, c.st, v)
}

func (st *state) udPtr(v *capi.Value, tid uint32) (any, bool) {
	h, id := v.Userdata()
	u := st.ud
	if h == 0 || id != tid || u == nil || h > uint64(len(u.slots)) {
		return nil, false
	}
	s := &u.slots[h-1]
	if s.typ == nil || s.typ.id != tid {
		return nil, false
	}
	return s.ptr, true
}

// udListArg builds a *T of registered type et from a table argument when the type declares
// a list constructor (ok false otherwise: the caller checks for a userdata).
func (st *state) udListArg(cc *CallContext, v *capi.Value, et reflect.Type) (p reflect.Value, msg string, ok bool) {
	if v == nil || v.Type != capi.TTable {
		return reflect.Value{}, "", false
	}
	ut := st.udTypeOf(et)
	if ut == nil || ut.list == nil {
		return reflect.Value{}, "", false
	}
	p, msg = ut.list(cc, v)
	if strings.HasPrefix(msg, "table is not a sequence") { // not a list at all
		msg = expected(ut.name, st, v)
	}
	return p, msg, true
}

// udArg checks that v is a userdata of type id tid (Go type et) and returns its *T.
func (st *state) udArg(v *capi.Value, tid uint32, et reflect.Type) (reflect.Value, string) {
	if v != nil && v.Type == capi.TUserdata {
		if p, ok := st.udPtr(v, tid); ok {
			return reflect.ValueOf(p), ""
		}
	}
	want := "table"
	if ut := st.udTypeOf(et); ut != nil {
		want = ut.name
	}
	return reflect.Value{}, expected(want, st, v)
}

// udValue returns the Go value (*T) of a host userdata, for CallContext.Arg and results.
func (st *state) udValue(v *capi.Value) (any, bool) {
	_, tid := v.Userdata()
	return st.udPtr(v, tid)
}

func (st *state) fieldGetter(ut *udType) GoFunc {
	return func(c *CallContext) error {
		p, msg := c.self(ut)
		if msg != "" {
			return c.badArg(1, msg)
		}
		k := c.arg(2)
		if k == nil || k.Type != capi.TString {
			c.PushNil()
			return nil
		}
		f := ut.fields[k.BorrowString()]
		if f == nil {
			c.PushNil()
			return nil
		}
		return f.conv.push(c, reflect.ValueOf(p).Elem().FieldByIndex(f.index))
	}
}

func (st *state) fieldSetter(ut *udType) GoFunc {
	return func(c *CallContext) error {
		p, msg := c.self(ut)
		if msg != "" {
			return c.badArg(1, msg)
		}
		k := c.arg(2)
		key := "?"
		if k != nil && k.Type == capi.TString {
			key = k.BorrowString()
		}
		f := ut.fields[key]
		if f == nil {
			return errors.New(ut.name + " has no field '" + key + "'")
		}
		if f.readonly {
			return errors.New("field '" + key + "' of " + ut.name + " is read-only")
		}
		if msg := f.conv.arg(c, c.arg(3), reflect.ValueOf(p).Elem().FieldByIndex(f.index)); msg != "" {
			return errors.New("bad value for field '" + key + "' of " + ut.name + " (" + msg + ")")
		}
		return nil
	}
}

// udRef is a userdata to create: (type id, handle).
type udRef struct {
	typeID uint32
	handle uint64
}

// udResult gives x a handle when its type (T or *T) is registered.
func (st *state) udResult(x any) (udRef, bool) {
	u := st.ud
	if u == nil || x == nil {
		return udRef{}, false
	}
	t := reflect.TypeOf(x)
	if t.Kind() == reflect.Pointer {
		if ut := u.types[t.Elem()]; ut != nil {
			rv := reflect.ValueOf(x)
			if rv.IsNil() {
				return udRef{}, false
			}
			return udRef{ut.id, st.udHandle(ut, x, rv.UnsafePointer())}, true
		}
	}
	if ut := u.types[t]; ut != nil {
		p := reflect.New(t)
		p.Elem().Set(reflect.ValueOf(x))
		return udRef{ut.id, st.udHandle(ut, p.Interface(), nil)}, true
	}
	return udRef{}, false
}

// udHandle returns the handle of the Go value p (*T), a new one unless p is already held.
func (st *state) udHandle(ut *udType, p any, key unsafe.Pointer) uint64 {
	u := st.ud
	k := udKey{key, ut}
	if key != nil {
		if h, ok := u.byPtr[k]; ok {
			u.slots[h-1].refs++
			return h
		}
	}
	u.creates++
	if u.creates&255 == 0 {
		st.udCollect()
	}
	var h uint64
	if n := len(u.free); n > 0 {
		h = u.free[n-1]
		u.free = u.free[:n-1]
	} else {
		u.slots = append(u.slots, udSlot{})
		h = uint64(len(u.slots))
	}
	u.slots[h-1] = udSlot{typ: ut, ptr: p, refs: 1, key: k}
	if key != nil {
		u.byPtr[k] = h
	}
	u.live++
	return h
}

// udCollect takes the handles Luau released and queues their destructors.
func (st *state) udCollect() {
	u := st.ud
	for {
		n := st.c.DrainReleased(u.buf[:])
		for _, h := range u.buf[:n] {
			st.udRelease(h)
		}
		if n < len(u.buf) {
			return
		}
	}
}

func (st *state) udRelease(h uint64) {
	u := st.ud
	if h == 0 || h > uint64(len(u.slots)) {
		return
	}
	s := &u.slots[h-1]
	if s.typ == nil {
		return
	}
	s.refs--
	if s.refs > 0 {
		return
	}
	if s.typ.dtor != nil {
		dtor, p := s.typ.dtor, s.ptr
		u.pending = append(u.pending, func() { dtor(p) })
	}
	if s.key.p != nil {
		delete(u.byPtr, s.key)
	}
	*s = udSlot{}
	u.free = append(u.free, h)
	u.live--
}

// udDrain is called at the outermost leave: it returns the destructors to run.
func (st *state) udDrain() []func() {
	if st.ud.live > 0 {
		st.udCollect()
	}
	d := st.ud.pending
	st.ud.pending = nil
	return d
}

// udClose releases every Go value of a closed state and its metatable functions.
func (st *state) udClose() []func() {
	u := st.ud
	if u == nil {
		return nil
	}
	for _, id := range u.funcIDs {
		registry.remove(id)
	}
	d := u.pending
	for i := range u.slots {
		s := &u.slots[i]
		if s.typ != nil && s.typ.dtor != nil {
			dtor, p := s.typ.dtor, s.ptr
			d = append(d, func() { dtor(p) })
		}
	}
	st.ud = nil
	return d
}

// runDestructors runs destructors outside the state (after it was released): every one of
// them, even when some panic. It returns the first panic (panicked is true; v is nil for
// panic(nil) under GODEBUG=panicnil=1), which the caller re-raises; later ones are dropped.
func runDestructors(d []func()) (v any, panicked bool) {
	for _, f := range d {
		if pv, ok := runGuarded(f); ok && !panicked {
			v, panicked = pv, true
		}
	}
	return v, panicked
}

// runGuarded runs f and reports its panic (the flag, not recover's result, tells that f
// panicked: recover() is nil for panic(nil) under GODEBUG=panicnil=1).
func runGuarded(f func()) (v any, panicked bool) {
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

// reraise panics with the first destructor panic, if there was one.
func reraise(v any, panicked bool) {
	if panicked {
		panic(v)
	}
}

// pushHost pushes Go values the general conversion does not know: values of registered
// types (as userdata) and structs (as tables). ok is false for other values.
func (st *state) pushHost(v any, depth int) (bool, error) {
	if u, ok := st.udResult(v); ok {
		if rc := st.c.PushUserdata(u.typeID, u.handle); rc != capi.OK {
			return true, st.errorFrom(rc)
		}
		return true, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct {
		m := structTable(rv)
		if m == nil {
			return true, newError(KindConversion, "luau: cannot convert %T to a Luau value", v)
		}
		return true, st.push(m, depth+1)
	}
	return false, nil
}
