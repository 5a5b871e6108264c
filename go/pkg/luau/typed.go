package luau

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"unsafe"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// Typed host functions.
//
// Register accepts any Go function. Its parameters and results are converted by plans
// built once per function type (and cached), so a call does no reflection on the type:
//
//	Go parameter                 accepts (Luau)
//	int*, uint*                  a number with an integer value in the type's range
//	float32, float64             a number
//	bool                         a boolean
//	string, []byte               a string (copied: safe to keep)
//	Vector                       a vector
//	*T, T of a RegisterType type the userdata of exactly that type
//	struct S, *S                 a table; fields by name: the `luau:"name"` tag, else the
//	                             Go name with its first letter lowered ("x" for X; the Go
//	                             name itself is accepted too)
//	[]E, [N]E                    a sequence table {e1, e2, ...}
//	map[K]V                      a table
//	*Function                    a function (a reference: Release it)
//	any                          any value, converted as by CallContext.Arg
//	pointer to any of the above  nil, or the value
//
// A first parameter of type *CallContext receives the call context; a variadic function
// takes the remaining arguments. Results convert the other way (a registered type becomes
// userdata, a struct a new table); a trailing error result, when non-nil, raises that
// error (as returning it from a GoFunc does).
//
// A bad argument raises Luau 0.745's own wording: "invalid argument #2 to 'add' (number
// expected, got string)", "invalid argument #1 to 'f' (number has no integer
// representation)", and for an argument the call does not have at all "missing argument
// #2 to 'add' (number expected)".

// Register makes the Go function fn callable from Luau as the global name (see the
// conversions above). fn that is not a function, or has a parameter or result type
// without a conversion, gives an error of kind KindArgument.
func (s *State) Register(name string, fn any) error {
	gf, err := typedFunc(fn)
	if err != nil {
		return newError(KindArgument, "luau: Register(%q): %v", name, err)
	}
	return s.RegisterFunc(name, gf)
}

// typedFunc builds the GoFunc that calls fn with converted arguments.
func typedFunc(fn any) (GoFunc, error) {
	if fn == nil {
		return nil, errors.New("nil function")
	}
	rv := reflect.ValueOf(fn)
	if rv.Kind() != reflect.Func {
		return nil, errors.New("not a function: " + rv.Type().String())
	}
	if rv.IsNil() {
		return nil, errors.New("nil function")
	}
	if gf := fastFunc(fn); gf != nil {
		return gf, nil
	}
	p, err := planFor(rv.Type())
	if err != nil {
		return nil, err
	}
	return p.bind(rv), nil
}

// ---- plans ----

// A funcPlan converts the arguments and results of one function type.
type funcPlan struct {
	ctx      bool    // the first parameter is *CallContext
	params   []*conv // the Luau-visible fixed parameters
	variadic *conv   // the element of a variadic parameter, or nil
	results  []*conv // results but a trailing error
	errLast  bool    // the last result is an error
	nin      int     // Go parameter count (fixed, with ctx)
}

var (
	planCache sync.Map // reflect.Type (func) -> *funcPlan
	convCache sync.Map // reflect.Type -> *conv
)

var (
	errorType       = reflect.TypeOf((*error)(nil)).Elem()
	callContextType = reflect.TypeOf((*CallContext)(nil))
	functionPtrType = reflect.TypeOf((*Function)(nil))
	vectorType      = reflect.TypeOf(Vector{})
	bytesType       = reflect.TypeOf([]byte(nil))
)

func planFor(t reflect.Type) (*funcPlan, error) {
	if p, ok := planCache.Load(t); ok {
		return p.(*funcPlan), nil
	}
	p := &funcPlan{nin: t.NumIn()}
	first := 0
	if t.NumIn() > 0 && t.In(0) == callContextType {
		p.ctx, first = true, 1
	}
	for i := first; i < t.NumIn(); i++ {
		pt := t.In(i)
		if t.IsVariadic() && i == t.NumIn()-1 {
			c, err := convFor(pt.Elem())
			if err != nil {
				return nil, err
			}
			p.variadic = c
			continue
		}
		c, err := convFor(pt)
		if err != nil {
			return nil, err
		}
		p.params = append(p.params, c)
	}
	for i := 0; i < t.NumOut(); i++ {
		rt := t.Out(i)
		if i == t.NumOut()-1 && rt == errorType {
			p.errLast = true
			continue
		}
		c, err := convFor(rt)
		if err != nil {
			return nil, err
		}
		p.results = append(p.results, c)
	}
	actual, _ := planCache.LoadOrStore(t, p)
	return actual.(*funcPlan), nil
}

// bind returns the GoFunc calling fn through the plan (reflect.Value.Call).
func (p *funcPlan) bind(fn reflect.Value) GoFunc {
	return func(c *CallContext) error {
		n := p.nin
		extra := 0
		if p.variadic != nil {
			n-- // the variadic slot is replaced by the spread arguments
			if rest := c.NArgs() - len(p.params); rest > 0 {
				extra = rest
			}
		}
		in := make([]reflect.Value, n+extra)
		k := 0
		if p.ctx {
			in[0] = reflect.ValueOf(c)
			k = 1
		}
		for j, cv := range p.params {
			dst := reflect.New(cv.t).Elem()
			if msg := cv.arg(c, c.arg(j+1), dst); msg != "" {
				return c.badArg(j+1, msg)
			}
			in[k] = dst
			k++
		}
		for j := 0; j < extra; j++ {
			i := len(p.params) + j + 1
			dst := reflect.New(p.variadic.t).Elem()
			if msg := p.variadic.arg(c, c.arg(i), dst); msg != "" {
				return c.badArg(i, msg)
			}
			in[k] = dst
			k++
		}
		out := fn.Call(in)
		if p.errLast {
			if e := out[len(out)-1]; !e.IsNil() {
				return e.Interface().(error)
			}
		}
		for j, cv := range p.results {
			if err := cv.push(c, out[j]); err != nil {
				return err
			}
		}
		return nil
	}
}

// ---- converters ----

// A conv converts one Go type. arg reads a Luau argument (nil for a missing one) into dst
// and returns "" or the parenthesised part of a bad-argument message; push adds v as a
// result; from converts a value already copied to Go (a table element).
type conv struct {
	t    reflect.Type
	arg  func(c *CallContext, v *capi.Value, dst reflect.Value) string
	push func(c *CallContext, v reflect.Value) error
	from func(st *state, x any, dst reflect.Value) string
}

func convFor(t reflect.Type) (*conv, error) {
	if c, ok := convCache.Load(t); ok {
		return c.(*conv), nil
	}
	c, err := buildConv(t, building{})
	if err != nil {
		return nil, err
	}
	actual, _ := convCache.LoadOrStore(t, c)
	return actual.(*conv), nil
}

// building holds the converters under construction, so that a recursive type (type node
// struct{ C *node }) refers to its own converter instead of recursing forever. Its
// converter's functions are set before any call reads them.
type building map[reflect.Type]*conv

func buildConv(t reflect.Type, b building) (*conv, error) {
	if c, ok := convCache.Load(t); ok {
		return c.(*conv), nil
	}
	if c, ok := b[t]; ok {
		return c, nil
	}
	c := &conv{t: t}
	b[t] = c
	switch {
	case t == vectorType:
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if v == nil || v.Type != capi.TVector {
				return expected("vector", cc.st, v)
			}
			x, y, z := v.Vector()
			dst.Set(reflect.ValueOf(Vector{x, y, z}))
			return ""
		}
		c.push = func(cc *CallContext, v reflect.Value) error { cc.PushVector(v.Interface().(Vector)); return nil }
		c.from = func(st *state, x any, dst reflect.Value) string {
			if vv, ok := x.(Vector); ok {
				dst.Set(reflect.ValueOf(vv))
				return ""
			}
			return "vector expected, got " + goValueTypeName(st, x)
		}
		return c, nil
	case t == functionPtrType:
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if v == nil || v.Type == capi.TNil {
				return ""
			}
			if v.Type != capi.TFunction {
				return expected("function", cc.st, v)
			}
			f, err := cc.st.newFunction(int(v.StackIndex))
			if err != nil {
				return err.Error()
			}
			dst.Set(reflect.ValueOf(f))
			return ""
		}
		c.push = pushAny
		c.from = func(st *state, x any, dst reflect.Value) string {
			switch f := x.(type) {
			case nil:
				return ""
			case *Function:
				dst.Set(reflect.ValueOf(f))
				return ""
			}
			return "function expected, got " + goValueTypeName(st, x)
		}
		return c, nil
	case t == bytesType:
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if v == nil || v.Type != capi.TString {
				return expected("string", cc.st, v)
			}
			dst.SetBytes([]byte(v.BorrowString()))
			return ""
		}
		c.push = func(cc *CallContext, v reflect.Value) error {
			b := v.Bytes()
			cc.PushString(unsafeString(b))
			return nil
		}
		c.from = func(st *state, x any, dst reflect.Value) string {
			if s, ok := x.(string); ok {
				dst.SetBytes([]byte(s))
				return ""
			}
			return "string expected, got " + goValueTypeName(st, x)
		}
		return c, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if v == nil || v.Type != capi.TBoolean {
				return expected("boolean", cc.st, v)
			}
			dst.SetBool(v.Bool())
			return ""
		}
		c.push = func(cc *CallContext, v reflect.Value) error { cc.PushBool(v.Bool()); return nil }
		c.from = func(st *state, x any, dst reflect.Value) string {
			if b, ok := x.(bool); ok {
				dst.SetBool(b)
				return ""
			}
			return "boolean expected, got " + goValueTypeName(st, x)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			i, msg := intArg(cc.st, v, bits)
			if msg == "" {
				dst.SetInt(i)
			}
			return msg
		}
		c.push = func(cc *CallContext, v reflect.Value) error { return cc.pushInt(v.Int()) }
		c.from = func(st *state, x any, dst reflect.Value) string {
			f, ok := numberOf(x)
			if !ok {
				return "number expected, got " + goValueTypeName(st, x)
			}
			i, ok := toInt(f, bits)
			if !ok {
				return msgNoInteger
			}
			dst.SetInt(i)
			return ""
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		bits := t.Bits()
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			u, msg := uintArg(cc.st, v, bits)
			if msg == "" {
				dst.SetUint(u)
			}
			return msg
		}
		c.push = func(cc *CallContext, v reflect.Value) error { return cc.pushUint(v.Uint()) }
		c.from = func(st *state, x any, dst reflect.Value) string {
			f, ok := numberOf(x)
			if !ok {
				return "number expected, got " + goValueTypeName(st, x)
			}
			u, ok := toUint(f, bits)
			if !ok {
				return msgNoInteger
			}
			dst.SetUint(u)
			return ""
		}
	case reflect.Float32, reflect.Float64:
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			f, msg := floatArg(cc.st, v)
			if msg == "" {
				dst.SetFloat(f)
			}
			return msg
		}
		c.push = func(cc *CallContext, v reflect.Value) error { cc.PushNumber(v.Float()); return nil }
		c.from = func(st *state, x any, dst reflect.Value) string {
			f, ok := numberOf(x)
			if !ok {
				return "number expected, got " + goValueTypeName(st, x)
			}
			dst.SetFloat(f)
			return ""
		}
	case reflect.String:
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if v == nil || v.Type != capi.TString {
				return expected("string", cc.st, v)
			}
			dst.SetString(strings.Clone(v.BorrowString()))
			return ""
		}
		c.push = func(cc *CallContext, v reflect.Value) error { cc.PushString(v.String()); return nil }
		c.from = func(st *state, x any, dst reflect.Value) string {
			if s, ok := x.(string); ok {
				dst.SetString(s)
				return ""
			}
			return "string expected, got " + goValueTypeName(st, x)
		}
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return nil, errors.New("no conversion for interface type " + t.String())
		}
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if v == nil {
				return ""
			}
			x, err := cc.Arg(argIndex(cc, v))
			if err != nil {
				return err.Error()
			}
			if x != nil {
				dst.Set(reflect.ValueOf(x))
			}
			return ""
		}
		c.push = pushAny
		c.from = func(st *state, x any, dst reflect.Value) string {
			if x != nil {
				dst.Set(reflect.ValueOf(x))
			}
			return ""
		}
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct, reflect.Pointer:
		return buildCompositeConv(c, t, b)
	default:
		return nil, errors.New("no conversion for type " + t.String())
	}
	return c, nil
}

// buildCompositeConv handles types that arrive as tables (or userdata of registered types).
func buildCompositeConv(c *conv, t reflect.Type, b building) (*conv, error) {
	switch t.Kind() {
	case reflect.Pointer:
		et := t.Elem()
		ec, err := buildConv(et, b)
		if err != nil {
			return nil, err
		}
		tid := typeIDOf(et)
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if v == nil || v.Type == capi.TNil {
				// A *T of a registered type is the userdata itself: nil is not one (take
				// the parameter as any to accept nil too). Other pointers may be nil.
				if ut := cc.st.udTypeOf(et); ut != nil {
					return expected(ut.name, cc.st, v)
				}
				return ""
			}
			if p, msg, ok := cc.st.udListArg(cc, v, et); ok {
				if msg == "" {
					dst.Set(p)
				}
				return msg
			}
			if v.Type == capi.TUserdata || cc.st.udTypeOf(et) != nil {
				p, msg := cc.st.udArg(v, tid, et)
				if msg == "" {
					dst.Set(p)
				}
				return msg
			}
			p := reflect.New(et)
			if msg := ec.arg(cc, v, p.Elem()); msg != "" {
				return msg
			}
			dst.Set(p)
			return ""
		}
		c.push = pushAny
		c.from = func(st *state, x any, dst reflect.Value) string {
			if x == nil {
				return ""
			}
			if xv := reflect.ValueOf(x); xv.Type() == t {
				dst.Set(xv)
				return ""
			}
			if ut := st.udTypeOf(et); ut != nil {
				return ut.name + " expected, got " + goValueTypeName(st, x)
			}
			p := reflect.New(et)
			if msg := ec.from(st, x, p.Elem()); msg != "" {
				return msg
			}
			dst.Set(p)
			return ""
		}
		return c, nil
	case reflect.Struct:
		fields, err := structFields(t, b)
		if err != nil {
			return nil, err
		}
		tid := typeIDOf(t)
		c.from = func(st *state, x any, dst reflect.Value) string {
			if ut := st.udTypeOf(t); ut != nil {
				if xv := reflect.ValueOf(x); xv.IsValid() && xv.Type() == reflect.PointerTo(t) && !xv.IsNil() {
					dst.Set(xv.Elem())
					return ""
				}
				return ut.name + " expected, got " + goValueTypeName(st, x)
			}
			m, ok := tableMap(x)
			if !ok {
				return "table expected, got " + goValueTypeName(st, x)
			}
			for _, f := range fields {
				e, ok := m[f.name]
				if !ok {
					e, ok = m[f.alias]
				}
				if !ok || e == nil {
					continue
				}
				if msg := f.conv.from(st, e, dst.FieldByIndex(f.index)); msg != "" {
					return "field '" + f.name + "': " + msg
				}
			}
			return ""
		}
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string {
			if p, msg, ok := cc.st.udListArg(cc, v, t); ok {
				if msg == "" {
					dst.Set(p.Elem())
				}
				return msg
			}
			if v != nil && v.Type == capi.TUserdata || cc.st.udTypeOf(t) != nil {
				p, msg := cc.st.udArg(v, tid, t)
				if msg == "" {
					dst.Set(p.Elem())
				}
				return msg
			}
			return tableArg(cc, v, dst, c.from)
		}
		c.push = pushAny
		return c, nil
	case reflect.Slice, reflect.Array:
		ec, err := buildConv(t.Elem(), b)
		if err != nil {
			return nil, err
		}
		c.from = func(st *state, x any, dst reflect.Value) string {
			m, ok := tableMap(x)
			if !ok {
				return "table expected, got " + goValueTypeName(st, x)
			}
			n := len(m)
			if t.Kind() == reflect.Array {
				if n > t.Len() {
					n = t.Len()
				}
			} else {
				dst.Set(reflect.MakeSlice(t, n, n))
			}
			for i := 0; i < n; i++ {
				e, ok := m[float64(i+1)]
				if !ok {
					return "table is not a sequence (no element " + itoa(i+1) + ")"
				}
				if msg := ec.from(st, e, dst.Index(i)); msg != "" {
					return "element " + itoa(i+1) + ": " + msg
				}
			}
			return ""
		}
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string { return tableArg(cc, v, dst, c.from) }
		c.push = pushAny
		return c, nil
	case reflect.Map:
		kc, err := buildConv(t.Key(), b)
		if err != nil {
			return nil, err
		}
		vc, err := buildConv(t.Elem(), b)
		if err != nil {
			return nil, err
		}
		c.from = func(st *state, x any, dst reflect.Value) string {
			m, ok := tableMap(x)
			if !ok {
				return "table expected, got " + goValueTypeName(st, x)
			}
			out := reflect.MakeMapWithSize(t, len(m))
			for k, e := range m {
				kv := reflect.New(t.Key()).Elem()
				if msg := kc.from(st, k, kv); msg != "" {
					return "key: " + msg
				}
				ev := reflect.New(t.Elem()).Elem()
				if msg := vc.from(st, e, ev); msg != "" {
					return "value: " + msg
				}
				out.SetMapIndex(kv, ev)
			}
			dst.Set(out)
			return ""
		}
		c.arg = func(cc *CallContext, v *capi.Value, dst reflect.Value) string { return tableArg(cc, v, dst, c.from) }
		c.push = pushAny
		return c, nil
	}
	return nil, errors.New("no conversion for type " + t.String())
}

// tableArg converts a table argument (copied to Go first) with from.
func tableArg(cc *CallContext, v *capi.Value, dst reflect.Value, from func(*state, any, reflect.Value) string) string {
	if v == nil || v.Type != capi.TTable {
		return expected("table", cc.st, v)
	}
	x, err := cc.st.tableAt(int(v.StackIndex), 1)
	if err != nil {
		return err.Error()
	}
	return from(cc.st, x, dst)
}

// argIndex finds the 1-based index of v among the call's arguments.
func argIndex(cc *CallContext, v *capi.Value) int {
	for i := range cc.args {
		if &cc.args[i] == v {
			return i + 1
		}
	}
	return 0
}

// pushAny adds v as a result through the general conversion (tables, userdata).
func pushAny(cc *CallContext, v reflect.Value) error {
	if !v.IsValid() || (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface ||
		v.Kind() == reflect.Map || v.Kind() == reflect.Slice) && v.IsNil() {
		cc.PushNil()
		return nil
	}
	x := v.Interface()
	if u, ok := cc.st.udResult(x); ok {
		r := cc.raw.AddResult()
		if r == nil {
			return newError(KindMemory, "luau: not enough memory for results")
		}
		r.SetUserdata(u.typeID, u.handle)
		return nil
	}
	return cc.Push(x)
}

// structField is an exported field of a struct converted to or from a table.
type structField struct {
	name     string // the Luau name: the tag, or the Go name with its first letter lowered
	alias    string // the Go name ("" if the same as name or tagged)
	index    []int
	conv     *conv
	readonly bool
}

// structFields lists t's exported fields with their converters.
func structFields(t reflect.Type, b building) ([]structField, error) {
	var out []structField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, alias, ro := lowerFirst(f.Name), f.Name, false
		if tag, ok := f.Tag.Lookup("luau"); ok {
			parts := strings.Split(tag, ",")
			if parts[0] == "-" {
				continue
			}
			if parts[0] != "" {
				name, alias = parts[0], ""
			}
			for _, o := range parts[1:] {
				if o == "readonly" {
					ro = true
				}
			}
		}
		if alias == name {
			alias = ""
		}
		fc, err := buildConv(f.Type, b)
		if err != nil {
			return nil, errors.New("field " + f.Name + ": " + err.Error())
		}
		out = append(out, structField{name: name, alias: alias, index: f.Index, conv: fc, readonly: ro})
	}
	return out, nil
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// structTable converts a struct value to a map (for tables built from Go structs).
func structTable(v reflect.Value) map[string]any {
	fields, err := structFields(v.Type(), building{})
	if err != nil {
		return nil
	}
	m := make(map[string]any, len(fields))
	for _, f := range fields {
		m[f.name] = v.FieldByIndex(f.index).Interface()
	}
	return m
}

// ---- scalar arguments ----

const msgNoInteger = "number has no integer representation"

// expected is "<want> expected, got <type of v>"; userdata of a registered type is named
// by its type name. For a missing argument (v == nil) it is just "<want> expected", which
// badArg turns into Luau's "missing argument" error.
func expected(want string, st *state, v *capi.Value) string {
	if v == nil {
		return want + " expected"
	}
	return want + " expected, got " + valueTypeName(st, v)
}

func valueTypeName(st *state, v *capi.Value) string {
	if v == nil {
		return "nil"
	}
	if v.Type == capi.TUserdata {
		if h, tid := v.Userdata(); h != 0 {
			if ut := st.udTypeByID(tid); ut != nil {
				return ut.name
			}
		}
	}
	return Type(v.Type).String() // Luau's own names (typeof): "integer" for an integer
}

// goValueTypeName names the Luau type of a value already converted to Go.
func goValueTypeName(st *state, x any) string {
	switch v := x.(type) {
	case nil:
		return "nil"
	case bool:
		return "boolean"
	case float64, int64:
		return "number"
	case string:
		return "string"
	case Vector:
		return "vector"
	case map[any]any, []any, *Table:
		return "table"
	case *Function:
		return "function"
	case Opaque:
		return v.Type.String()
	}
	if ut := st.udTypeOf(reflect.TypeOf(x)); ut != nil {
		return ut.name
	}
	if t := reflect.TypeOf(x); t.Kind() == reflect.Pointer {
		if ut := st.udTypeOf(t.Elem()); ut != nil {
			return ut.name
		}
	}
	return "userdata"
}

func numberOf(x any) (float64, bool) {
	switch n := x.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func floatArg(st *state, v *capi.Value) (float64, string) {
	if v != nil {
		switch v.Type {
		case capi.TNumber:
			return v.Number(), ""
		case capi.TInteger:
			return float64(v.Integer()), ""
		}
	}
	return 0, expected("number", st, v)
}

func intArg(st *state, v *capi.Value, bits int) (int64, string) {
	if v != nil && v.Type == capi.TInteger {
		i := v.Integer()
		if bits < 64 && (i < -1<<(bits-1) || i > 1<<(bits-1)-1) {
			return 0, msgNoInteger
		}
		return i, ""
	}
	f, msg := floatArg(st, v)
	if msg != "" {
		return 0, msg
	}
	i, ok := toInt(f, bits)
	if !ok {
		return 0, msgNoInteger
	}
	return i, ""
}

func uintArg(st *state, v *capi.Value, bits int) (uint64, string) {
	if v != nil && v.Type == capi.TInteger {
		i := v.Integer()
		if i < 0 || bits < 64 && uint64(i) > 1<<bits-1 {
			return 0, msgNoInteger
		}
		return uint64(i), ""
	}
	f, msg := floatArg(st, v)
	if msg != "" {
		return 0, msg
	}
	u, ok := toUint(f, bits)
	if !ok {
		return 0, msgNoInteger
	}
	return u, ""
}

// toInt converts an integral f that fits a signed integer of bits bits.
func toInt(f float64, bits int) (int64, bool) {
	if f != math.Trunc(f) {
		return 0, false
	}
	lim := math.Ldexp(1, bits-1) // 2^(bits-1), exact
	if f < -lim || f >= lim {
		return 0, false
	}
	return int64(f), true
}

func toUint(f float64, bits int) (uint64, bool) {
	if f != math.Trunc(f) || f < 0 || f >= math.Ldexp(1, bits) {
		return 0, false
	}
	return uint64(f), true
}

// ---- fast paths: common signatures called without reflection (no allocation) ----

var intBits = strconvIntSize()

func strconvIntSize() int { return 32 << (^uint(0) >> 63) }

func (c *CallContext) typedFloat(i int) (float64, error) {
	f, msg := floatArg(c.st, c.arg(i))
	if msg != "" {
		return 0, c.badArg(i, msg)
	}
	return f, nil
}

func (c *CallContext) typedInt(i int) (int, error) {
	n, msg := intArg(c.st, c.arg(i), intBits)
	if msg != "" {
		return 0, c.badArg(i, msg)
	}
	return int(n), nil
}

func (c *CallContext) typedInt64(i int) (int64, error) {
	n, msg := intArg(c.st, c.arg(i), 64)
	if msg != "" {
		return 0, c.badArg(i, msg)
	}
	return n, nil
}

func (c *CallContext) typedString(i int) (string, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TString {
		return "", c.badArg(i, expected("string", c.st, v))
	}
	return strings.Clone(v.BorrowString()), nil
}

func (c *CallContext) typedBool(i int) (bool, error) {
	v := c.arg(i)
	if v == nil || v.Type != capi.TBoolean {
		return false, c.badArg(i, expected("boolean", c.st, v))
	}
	return v.Bool(), nil
}

// pushInt adds an integer result, exactly or not at all (see checkExact).
func (c *CallContext) pushInt(i int64) error {
	if !exactInt(i) {
		return errInexact(strconv.FormatInt(i, 10))
	}
	c.PushNumber(float64(i))
	return nil
}

func (c *CallContext) pushUint(u uint64) error {
	if !exactUint(u) {
		return errInexact(strconv.FormatUint(u, 10))
	}
	c.PushNumber(float64(u))
	return nil
}

// fastFunc returns a GoFunc for the common signatures, or nil.
func fastFunc(fn any) GoFunc {
	switch f := fn.(type) {
	case func():
		return func(c *CallContext) error { f(); return nil }
	case func() error:
		return func(c *CallContext) error { return f() }
	case func() float64:
		return func(c *CallContext) error { c.PushNumber(f()); return nil }
	case func() int:
		return func(c *CallContext) error { return c.pushInt(int64(f())) }
	case func() string:
		return func(c *CallContext) error { c.PushString(f()); return nil }
	case func() bool:
		return func(c *CallContext) error { c.PushBool(f()); return nil }
	case func(float64) float64:
		return func(c *CallContext) error {
			a, err := c.typedFloat(1)
			if err != nil {
				return err
			}
			c.PushNumber(f(a))
			return nil
		}
	case func(float64, float64) float64:
		return func(c *CallContext) error {
			a, err := c.typedFloat(1)
			if err != nil {
				return err
			}
			b, err := c.typedFloat(2)
			if err != nil {
				return err
			}
			c.PushNumber(f(a, b))
			return nil
		}
	case func(float64, float64) (float64, error):
		return func(c *CallContext) error {
			a, err := c.typedFloat(1)
			if err != nil {
				return err
			}
			b, err := c.typedFloat(2)
			if err != nil {
				return err
			}
			r, err := f(a, b)
			if err != nil {
				return err
			}
			c.PushNumber(r)
			return nil
		}
	case func(int) int:
		return func(c *CallContext) error {
			a, err := c.typedInt(1)
			if err != nil {
				return err
			}
			return c.pushInt(int64(f(a)))
		}
	case func(int, int) int:
		return func(c *CallContext) error {
			a, err := c.typedInt(1)
			if err != nil {
				return err
			}
			b, err := c.typedInt(2)
			if err != nil {
				return err
			}
			return c.pushInt(int64(f(a, b)))
		}
	case func(int, int) (int, error):
		return func(c *CallContext) error {
			a, err := c.typedInt(1)
			if err != nil {
				return err
			}
			b, err := c.typedInt(2)
			if err != nil {
				return err
			}
			r, err := f(a, b)
			if err != nil {
				return err
			}
			return c.pushInt(int64(r))
		}
	case func(int64, int64) int64:
		return func(c *CallContext) error {
			a, err := c.typedInt64(1)
			if err != nil {
				return err
			}
			b, err := c.typedInt64(2)
			if err != nil {
				return err
			}
			return c.pushInt(int64(f(a, b)))
		}
	case func(string) string:
		return func(c *CallContext) error {
			a, err := c.typedString(1)
			if err != nil {
				return err
			}
			c.PushString(f(a))
			return nil
		}
	case func(string, string) string:
		return func(c *CallContext) error {
			a, err := c.typedString(1)
			if err != nil {
				return err
			}
			b, err := c.typedString(2)
			if err != nil {
				return err
			}
			c.PushString(f(a, b))
			return nil
		}
	case func(string) int:
		return func(c *CallContext) error {
			a, err := c.typedString(1)
			if err != nil {
				return err
			}
			return c.pushInt(int64(f(a)))
		}
	case func(string) error:
		return func(c *CallContext) error {
			a, err := c.typedString(1)
			if err != nil {
				return err
			}
			return f(a)
		}
	case func(bool) bool:
		return func(c *CallContext) error {
			a, err := c.typedBool(1)
			if err != nil {
				return err
			}
			c.PushBool(f(a))
			return nil
		}
	}
	return nil
}

// unsafeString views b as a string for a copy that happens at once (PushString).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
