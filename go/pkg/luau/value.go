package luau

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// Values crossing the boundary.
//
// Luau -> Go (results, Global, CallContext.Arg):
//
//	nil                 nil
//	boolean             bool
//	number              float64 (integers are exact up to 2^53)
//	integer             int64
//	string              string (a copy; byte-exact, NUL bytes kept)
//	vector              Vector
//	table               a deep copy: []any for a sequence (keys exactly 1..n, n >= 1),
//	                    else map[any]any (keys float64, string, bool, ...; the empty
//	                    table too); with tables as handles (Function.CallHandles,
//	                    Table.Get...) a *Table instead
//	                    (a table reached twice is one Go value; a cycle is KindConversion)
//	function            *Function (a reference: Release, or released once unreachable)
//	thread              *Thread (a reference: Close, or released once unreachable)
//	userdata, thread,
//	buffer, light ud.   Opaque (the type only)
//
// Go -> Luau (arguments, SetGlobal, CallContext.Push): nil, bool, every integer and float
// kind (as number), string, []byte (as string), Vector, *Function, *Table, *Thread, and slices, arrays and
// maps (as tables; map keys must be strings, numbers or bools). Anything else gives an
// error of kind KindConversion.
//
// Integers are never rounded: an int, int64, uint, uint64 or uintptr value becomes a Luau
// number only if a float64 holds it exactly (every integer within ±2^53, and larger ones
// that happen to be exact, such as 2^60); any other value is an error of kind
// KindConversion ("luau: integer 9007199254740993 has no exact Luau number ..."), also
// when a typed host function returns it (the script then sees that error).

// Vector is a Luau vector (3 components).
type Vector struct{ X, Y, Z float32 }

// Type is a Luau value type.
type Type int

// The Luau value types (values equal luaw_Type).
const (
	TypeNone          Type = Type(capi.TNone)
	TypeNil           Type = Type(capi.TNil)
	TypeBoolean       Type = Type(capi.TBoolean)
	TypeLightUserdata Type = Type(capi.TLightUserdata)
	TypeNumber        Type = Type(capi.TNumber)
	TypeInteger       Type = Type(capi.TInteger)
	TypeVector        Type = Type(capi.TVector)
	TypeString        Type = Type(capi.TString)
	TypeTable         Type = Type(capi.TTable)
	TypeFunction      Type = Type(capi.TFunction)
	TypeUserdata      Type = Type(capi.TUserdata)
	TypeThread        Type = Type(capi.TThread)
	TypeBuffer        Type = Type(capi.TBuffer)
)

// String returns Luau's name of the type ("number", "string", ...; "no value" for TypeNone).
func (t Type) String() string {
	switch t {
	case TypeNone:
		return "no value"
	case TypeNil:
		return "nil"
	case TypeBoolean:
		return "boolean"
	case TypeLightUserdata, TypeUserdata:
		return "userdata"
	case TypeNumber:
		return "number"
	case TypeInteger:
		return "integer"
	case TypeVector:
		return "vector"
	case TypeString:
		return "string"
	case TypeTable:
		return "table"
	case TypeFunction:
		return "function"
	case TypeThread:
		return "thread"
	case TypeBuffer:
		return "buffer"
	}
	return "unknown"
}

// Opaque stands for a Luau value that has no Go form (userdata, thread, buffer).
type Opaque struct{ Type Type }

// maxDepth bounds table nesting in conversions (and breaks cycles).
const maxDepth = 100

// isScalar reports whether v converts to a luaw_Value without touching the stack.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, bool, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, uintptr, string, []byte, Vector:
		return true
	}
	return false
}

// setScalar writes scalar v into slot; string bytes are copied to buf (C memory) at *off.
func setScalar(slot *capi.Value, v any, buf []byte, off *int) {
	switch x := v.(type) {
	case nil:
		slot.SetNil()
	case bool:
		slot.SetBool(x)
	case float64:
		slot.SetNumber(x)
	case float32:
		slot.SetNumber(float64(x))
	case int:
		slot.SetNumber(float64(x))
	case int8:
		slot.SetNumber(float64(x))
	case int16:
		slot.SetNumber(float64(x))
	case int32:
		slot.SetNumber(float64(x))
	case int64:
		slot.SetNumber(float64(x))
	case uint:
		slot.SetNumber(float64(x))
	case uint8:
		slot.SetNumber(float64(x))
	case uint16:
		slot.SetNumber(float64(x))
	case uint32:
		slot.SetNumber(float64(x))
	case uint64:
		slot.SetNumber(float64(x))
	case uintptr:
		slot.SetNumber(float64(x))
	case Vector:
		slot.SetVector(x.X, x.Y, x.Z)
	case string:
		p := copyInto(buf, off, x)
		slot.SetCString(p, len(x))
	case []byte:
		p := copyInto(buf, off, unsafe.String(unsafe.SliceData(x), len(x)))
		slot.SetCString(p, len(x))
	}
}

func copyInto(buf []byte, off *int, s string) unsafe.Pointer {
	if len(buf) == 0 {
		return nil
	}
	p := unsafe.Pointer(&buf[*off])
	*off += copy(buf[*off:], s)
	return p
}

func scalarBytes(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	}
	return 0
}

// prepareArgs writes args into the value buffer. Non-scalar arguments are first pushed on
// the stack (extra of them) and referenced by index. The caller restores the stack.
func (st *state) prepareArgs(args []any) (n, extra int, err error) {
	base := st.c.GetTop()
	nbytes := 0
	for _, a := range args {
		if isScalar(a) {
			if err := checkExact(a); err != nil {
				return 0, 0, err
			}
			nbytes += scalarBytes(a)
			continue
		}
		if err := st.push(a, 0); err != nil {
			return 0, 0, err
		}
		extra++
	}
	if !st.c.Reserve(len(args), nbytes+1) {
		return 0, 0, newError(KindMemory, "luau: not enough memory for arguments")
	}
	vals := st.c.Vals(len(args))
	buf := st.c.Bytes()
	off, k := 0, 0
	for i, a := range args {
		if isScalar(a) {
			setScalar(&vals[i], a, buf, &off)
			continue
		}
		k++
		vals[i].SetStack(base + k)
	}
	return len(args), extra, nil
}

// push pushes one Go value onto the Luau stack.
func (st *state) push(v any, depth int) error {
	if isScalar(v) {
		if err := checkExact(v); err != nil {
			return err
		}
		n := scalarBytes(v)
		if !st.c.Reserve(1, n+1) {
			return newError(KindMemory, "luau: not enough memory")
		}
		off := 0
		setScalar(&st.c.Vals(1)[0], v, st.c.Bytes(), &off)
		if rc := st.c.PushVals(1); rc != capi.OK {
			return st.errorFrom(rc)
		}
		return nil
	}
	if depth > maxDepth {
		return newError(KindConversion, "luau: value nesting deeper than %d (a cycle?)", maxDepth)
	}
	switch x := v.(type) {
	case ArgRef:
		if x.c == nil || x.c.st != st || x.raw == nil || x.c.raw != x.raw || x.c.gen != x.gen {
			return newError(KindConversion, "luau: ArgRef used outside its call")
		}
		if x.idx == 0 {
			return st.push(nil, depth)
		}
		if rc := st.c.PushIndex(int(x.idx)); rc != capi.OK {
			return st.errorFrom(rc)
		}
		return nil
	case *Function:
		if x == nil || x.st != st || x.ref <= 0 {
			return newError(KindConversion, "luau: *Function from another state or released")
		}
		if rc := st.c.PushRef(x.ref); rc != capi.OK {
			return newError(kindOf(rc), "luau: cannot push function (status %d)", rc)
		}
		return nil
	case *Table:
		if x == nil || x.st != st || x.ref <= 0 {
			return newError(KindConversion, "luau: *Table from another state or released")
		}
		if rc := st.c.PushRef(x.ref); rc != capi.OK {
			return newError(kindOf(rc), "luau: cannot push table (status %d)", rc)
		}
		return nil
	case *Thread:
		if x == nil || x.st != st || x.ref <= 0 {
			return newError(KindConversion, "luau: *Thread from another state or closed")
		}
		if rc := st.c.PushRef(x.ref); rc != capi.OK {
			return newError(kindOf(rc), "luau: cannot push thread (status %d)", rc)
		}
		return nil
	case []any:
		if rc := st.c.NewTable(len(x), 0); rc != capi.OK {
			return st.errorFrom(rc)
		}
		for i, e := range x {
			if err := st.push(e, depth+1); err != nil {
				return err
			}
			if rc := st.c.SetI(-2, int64(i+1)); rc != capi.OK {
				return st.errorFrom(rc)
			}
		}
		return nil
	case map[string]any:
		if rc := st.c.NewTable(0, len(x)); rc != capi.OK {
			return st.errorFrom(rc)
		}
		for k, e := range x {
			if err := st.push(e, depth+1); err != nil {
				return err
			}
			if rc := st.c.SetField(-2, k); rc != capi.OK {
				return st.errorFrom(rc)
			}
		}
		return nil
	}
	if ok, err := st.pushHost(v, depth); ok {
		return err
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rc := st.c.NewTable(rv.Len(), 0); rc != capi.OK {
			return st.errorFrom(rc)
		}
		for i := 0; i < rv.Len(); i++ {
			if err := st.push(rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
			if rc := st.c.SetI(-2, int64(i+1)); rc != capi.OK {
				return st.errorFrom(rc)
			}
		}
		return nil
	case reflect.Map:
		if rc := st.c.NewTable(0, rv.Len()); rc != capi.OK {
			return st.errorFrom(rc)
		}
		it := rv.MapRange()
		for it.Next() {
			key := it.Key().Interface()
			if s, ok := key.(string); ok {
				if err := st.push(it.Value().Interface(), depth+1); err != nil {
					return err
				}
				if rc := st.c.SetField(-2, s); rc != capi.OK {
					return st.errorFrom(rc)
				}
				continue
			}
			if !isScalar(key) || key == nil {
				return newError(KindConversion, "luau: unsupported table key type %T", key)
			}
			// table[key] = value through a two-value set: push key, value, then rawset via
			// a helper table is not available; use the numeric path when possible.
			if f, ok := toFloat(key); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				if err := st.push(it.Value().Interface(), depth+1); err != nil {
					return err
				}
				if rc := st.c.SetI(-2, int64(f)); rc != capi.OK {
					return st.errorFrom(rc)
				}
				continue
			}
			return newError(KindConversion, "luau: unsupported table key %v (%T)", key, key)
		}
		return nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return st.push(nil, depth)
		}
	}
	return newError(KindConversion, "luau: cannot convert %T to a Luau value", v)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// scalarValue converts a scalar luaw_Value (strings copied). ok is false for the others.
func scalarValue(v *capi.Value) (any, bool) {
	switch v.Type {
	case capi.TNil:
		return nil, true
	case capi.TBoolean:
		return v.Bool(), true
	case capi.TNumber:
		return v.Number(), true
	case capi.TInteger:
		return v.Integer(), true
	case capi.TString:
		return strings.Clone(v.BorrowString()), true
	case capi.TVector:
		x, y, z := v.Vector()
		return Vector{x, y, z}, true
	}
	return nil, false
}

// valueFrom converts v (a copy of a luaw_Value whose Luau value is on the stack).
func (st *state) valueFrom(v capi.Value, depth int) (any, error) {
	if x, ok := scalarValue(&v); ok {
		return x, nil
	}
	switch v.Type {
	case capi.TTable:
		if st.wantHandles() {
			return st.newTable(int(v.StackIndex))
		}
		return st.tableAt(int(v.StackIndex), depth+1)
	case capi.TFunction:
		return st.newFunction(int(v.StackIndex))
	case capi.TThread:
		return st.threadAt(int(v.StackIndex))
	case capi.TUserdata:
		if x, ok := st.udValue(&v); ok {
			return x, nil
		}
	}
	return Opaque{Type: Type(v.Type)}, nil
}

// valueAt converts the value at absolute stack index idx.
func (st *state) valueAt(idx, depth int) (any, error) {
	if !st.c.Reserve(1, 0) {
		return nil, newError(KindMemory, "luau: not enough memory")
	}
	if rc := st.c.ReadVals(idx, 1); rc != capi.OK {
		return nil, newError(KindArgument, "luau: bad stack index %d", idx)
	}
	return st.valueFrom(st.c.Vals(1)[0], depth)
}

// tableAt copies the table at absolute index idx: a sequence (keys exactly 1..n, n >= 1)
// becomes []any, any other table (the empty one too) map[any]any.
func (st *state) tableAt(idx, depth int) (any, error) {
	if depth > maxDepth {
		return nil, newError(KindConversion, "luau: table nesting deeper than %d (a cycle?)", maxDepth)
	}
	if st.convBegin() { // bounds.go: shared tables convert once, bytes are bounded
		defer st.convEnd()
	}
	p, prev, done, cerr := st.tableStart(idx)
	if done {
		if cerr != nil {
			return nil, cerr
		}
		return prev, nil
	}
	// Entries go to seq while the keys come as 1, 2, 3... (next gives the array part first,
	// in order); the first other key moves them to m.
	var seq []any
	var m map[any]any
	top := st.c.GetTop()
	defer st.c.SetTop(top)
	if rc := st.c.PushNil(); rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	for {
		more, rc := st.c.Next(idx)
		if rc != capi.OK {
			return nil, st.errorFrom(rc)
		}
		if !more {
			break
		}
		if !st.c.Reserve(2, 0) || st.c.ReadVals(top+1, 2) != capi.OK {
			return nil, newError(KindMemory, "luau: cannot read table entry")
		}
		kv := st.c.Vals(2)
		kc, vc := kv[0], kv[1]
		if err := st.chargeEntry(&kc, &vc); err != nil {
			return nil, err
		}
		k, err := st.valueFrom(kc, depth)
		if err != nil {
			return nil, err
		}
		if !reflect.TypeOf(k).Comparable() {
			return nil, newError(KindConversion, "luau: table used as a table key cannot be converted")
		}
		val, err := st.valueFrom(vc, depth)
		if err != nil {
			return nil, err
		}
		if m == nil {
			if f, ok := k.(float64); ok && f == float64(len(seq)+1) {
				seq = append(seq, val)
				st.c.SetTop(top + 1)
				continue
			}
			m = make(map[any]any, len(seq)+1)
			for i, e := range seq {
				m[float64(i+1)] = e
			}
			seq = nil
		}
		m[k] = val
		st.c.SetTop(top + 1) // keep the key for the next luaw_next
	}
	var out any
	switch {
	case m == nil && len(seq) > 0:
		out = seq
	case m == nil:
		out = map[any]any{}
	default:
		out = m
		if s, ok := sequenceOf(m); ok { // 1..n, met out of order (keys in the hash part)
			out = s
		}
	}
	st.tableDone(p, out)
	return out, nil
}

// sequenceOf returns m as a slice when its keys are exactly the numbers 1..len(m).
func sequenceOf(m map[any]any) ([]any, bool) {
	n := len(m)
	for k := range m {
		f, ok := k.(float64)
		if !ok || f < 1 || f > float64(n) || f != math.Trunc(f) {
			return nil, false
		}
	}
	s := make([]any, n)
	for k, v := range m {
		s[int(k.(float64))-1] = v
	}
	return s, true
}

// takeResults converts the nres results at first+1.. (nread of them already in the value
// buffer), then sets the stack top to restore.
func (st *state) takeResults(first, nres, nread, restore int) ([]any, error) {
	if nres == 0 {
		if first != restore {
			st.c.SetTop(restore)
		}
		return nil, nil
	}
	defer st.c.SetTop(restore)
	if nread < nres {
		if !st.c.Reserve(nres, 0) || st.c.ReadVals(first+1, nres) != capi.OK {
			return nil, newError(KindMemory, "luau: cannot read %d results", nres)
		}
	}
	vals := st.c.Vals(nres)
	if st.convBegin() { // bounds.go
		defer st.convEnd()
	}
	if err := st.chargeResults(vals); err != nil {
		return nil, err
	}
	out := make([]any, nres)
	var rich []int
	for i := range vals {
		x, ok := scalarValue(&vals[i])
		if !ok {
			rich = append(rich, i)
			continue
		}
		out[i] = x
	}
	if len(rich) > 0 {
		saved := make([]capi.Value, len(rich))
		for j, i := range rich {
			saved[j] = vals[i]
		}
		for j, i := range rich {
			x, err := st.valueFrom(saved[j], 0)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
	}
	return out, nil
}

// Function is a reference to a Luau function held by the host. It belongs to its State
// and is usable until Release or the State's Close. Release drops the reference at once;
// a Function the program drops without Release is released automatically once the Go
// garbage collector finds it unreachable (at the State's next entry after that).
type Function struct {
	st      *state
	ref     int32
	cleanup handleCleanup // queues ref when the Function is unreachable (table.go)
}

func (st *state) newFunction(idx int) (*Function, error) {
	ref, rc := st.c.Ref(idx)
	if rc != capi.OK {
		return nil, st.errorFrom(rc)
	}
	f := &Function{st: st, ref: ref}
	f.cleanup = addHandleCleanup(f, st, deadRefs{ref, 0})
	return f, nil
}

// Call calls the function with args and returns its results.
func (f *Function) Call(args ...any) ([]any, error) {
	st := f.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	if f.ref <= 0 {
		return nil, newError(KindArgument, "luau: function was released")
	}
	return st.callRef(f.ref, args)
}

func (st *state) callRef(ref int32, args []any) ([]any, error) {
	if out, err, ok := st.callRefScalar(ref, args); ok {
		return out, err
	}
	base := st.c.GetTop()
	n, extra, err := st.prepareArgs(args)
	if err != nil {
		st.c.SetTop(base)
		return nil, err
	}
	if rc := st.c.PushRef(ref); rc != capi.OK {
		st.c.SetTop(base)
		return nil, newError(kindOf(rc), "luau: cannot push function (status %d)", rc)
	}
	nres, nread, rc := st.c.PushAndPCall(n)
	if rc != capi.OK {
		st.c.SetTop(base)
		return nil, st.errorFrom(rc)
	}
	return st.takeResults(base+extra, nres, nread, base)
}

// Release drops the reference. It is idempotent; the Function is unusable afterwards.
func (f *Function) Release() {
	st := f.st
	outer, err := st.enter()
	if err != nil {
		return // closed: the reference died with the state
	}
	defer st.leave(outer)
	if f.ref > 0 {
		f.cleanup.stop(f)
		st.c.Unref(f.ref)
		f.ref = 0
	}
}

// callRefScalar is callRef's fast path when every argument is a scalar: the arguments go
// into the value buffer without a cgo call and the call is one crossing (capi.CallRef),
// which also reads heap-free scalar results and restores the stack. ok is false when an
// argument is not a scalar (the caller takes the general path; nothing was done).
func (st *state) callRefScalar(ref int32, args []any) (out []any, err error, ok bool) {
	nbytes := 0
	for _, a := range args {
		if !isScalar(a) {
			return nil, nil, false
		}
		nbytes += scalarBytes(a)
	}
	if !st.c.Reserve(len(args), nbytes+1) {
		return nil, newError(KindMemory, "luau: not enough memory for arguments"), true
	}
	vals := st.c.Vals(len(args))
	if nbytes > 0 {
		buf := st.c.Bytes()
		off := 0
		for i, a := range args {
			setScalar(&vals[i], a, buf, &off)
		}
	} else {
		for i, a := range args {
			setScalar(&vals[i], a, nil, nil)
		}
	}
	base, nres, nread, restored, rc := st.c.CallRef(ref, len(args))
	if rc != capi.OK {
		return nil, st.errorFrom(rc), true
	}
	if !restored {
		out, err = st.takeResults(base, nres, nread, base)
		return out, err, true
	}
	if nres == 0 {
		return nil, nil, true
	}
	out = make([]any, nres)
	for i, v := range st.c.Vals(nres) {
		out[i], _ = scalarValue(&v)
	}
	return out, nil, true
}

// exactInt reports whether a float64 holds i exactly (always within ±2^53).
func exactInt(i int64) bool {
	if i >= -1<<53 && i <= 1<<53 {
		return true
	}
	f := float64(i)
	return f < 0x1p63 && int64(f) == i
}

// exactUint reports whether a float64 holds u exactly (always up to 2^53).
func exactUint(u uint64) bool {
	if u <= 1<<53 {
		return true
	}
	f := float64(u)
	return f < 0x1p64 && uint64(f) == u
}

func errInexact(s string) error {
	return newError(KindConversion, "luau: integer %s has no exact Luau number (a Luau number holds integers exactly within ±2^53)", s)
}

// checkExact is nil unless v is an integer that would be rounded as a Luau number.
func checkExact(v any) error {
	switch x := v.(type) {
	case int:
		if !exactInt(int64(x)) {
			return errInexact(strconv.FormatInt(int64(x), 10))
		}
	case int64:
		if !exactInt(x) {
			return errInexact(strconv.FormatInt(x, 10))
		}
	case uint:
		if !exactUint(uint64(x)) {
			return errInexact(strconv.FormatUint(uint64(x), 10))
		}
	case uint64:
		if !exactUint(x) {
			return errInexact(strconv.FormatUint(x, 10))
		}
	case uintptr:
		if !exactUint(uint64(x)) {
			return errInexact(strconv.FormatUint(uint64(x), 10))
		}
	}
	return nil
}
