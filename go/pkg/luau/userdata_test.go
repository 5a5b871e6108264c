package luau

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// Tests of RegisterType (host userdata), stated requirement first.

type vec3 struct{ X, Y, Z float64 }

func (v *vec3) Len() float64            { return math.Sqrt(v.X*v.X + v.Y*v.Y + v.Z*v.Z) }
func (v *vec3) Scale(k float64) *vec3   { return &vec3{v.X * k, v.Y * k, v.Z * k} }
func (v vec3) Dot(o *vec3) float64      { return v.X*o.X + v.Y*o.Y + v.Z*o.Z }
func (v *vec3) Unexportable(c chan int) {}
func (v *vec3) SetAll(x float64) *vec3  { v.X, v.Y, v.Z = x, x, x; return v }
func (v *vec3) String() string          { return fmt.Sprintf("Vec3(%g, %g, %g)", v.X, v.Y, v.Z) }
func (v *vec3) Fail(msg string) error   { return errors.New(msg) }
func (v *vec3) Pair() (float64, string) { return v.X, "x" }
func (v *vec3) Sum(xs ...float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

type counter struct {
	N     int    `luau:"n,readonly"`
	Label string `luau:"label"`
}

func (c *counter) Inc() int { c.N++; return c.N }

type vecEnv struct {
	s         *State
	destroyed map[*vec3]int
}

func newVecEnv(t *testing.T) *vecEnv {
	t.Helper()
	e := &vecEnv{s: newState(t), destroyed: map[*vec3]int{}}
	must(t, RegisterType[vec3](e.s, "Vec3",
		WithConstructor(func(x, y, z float64) *vec3 { return &vec3{x, y, z} }),
		WithStatic("zero", func() vec3 { return vec3{} }),
		WithOperator("__add", func(a, b *vec3) *vec3 { return &vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }),
		WithOperator("__sub", func(a, b *vec3) *vec3 { return &vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }),
		WithOperator("__mul", func(a *vec3, k float64) *vec3 { return a.Scale(k) }),
		WithOperator("__unm", func(a *vec3) *vec3 { return a.Scale(-1) }),
		WithOperator("__eq", func(a, b *vec3) bool { return *a == *b }),
		WithOperator("__lt", func(a, b *vec3) bool { return a.Len() < b.Len() }),
		WithOperator("__le", func(a, b *vec3) bool { return a.Len() <= b.Len() }),
		WithOperator("__len", func(a *vec3) int { return 3 }),
		WithOperator("__concat", func(a, b any) string { return fmt.Sprint(a, b) }),
		WithOperator("__call", func(a *vec3, k float64) float64 { return a.X * k }),
		WithOperator("__tostring", (*vec3).String),
		WithDestructor(func(v *vec3) { e.destroyed[v]++ }),
	))
	must(t, RegisterType[counter](e.s, "Counter", WithConstructor(func() *counter { return &counter{} })))
	must(t, e.s.Register("takes_vec", func(v *vec3) float64 { return v.X }))
	must(t, e.s.Register("takes_counter", func(c *counter) int { return c.N }))
	return e
}

func TestUserdataTypeIdentityIsRecorded(t *testing.T) {
	e := newVecEnv(t)
	wantValues(t, run(t, e.s, `local v = Vec3.new(1, 2, 3) return typeof(v), type(v), typeof(Counter.new())`), "Vec3", "userdata", "Counter")
}

func TestUserdataConstructorMethodsAndFields(t *testing.T) {
	e := newVecEnv(t)
	wantValues(t, run(t, e.s, `local v = Vec3.new(3, 4, 0) return v.x, v.X, v:len(), v:Len(), v:scale(2).x`), 3.0, 3.0, 5.0, 5.0, 6.0)
	wantValues(t, run(t, e.s, `local v = Vec3.new(1, 2, 3) v.x = 10 v.Y = 20 return v.x, v.y, v:dot(Vec3.new(1, 1, 1))`), 10.0, 20.0, 33.0)
	wantValues(t, run(t, e.s, `local z = Vec3.zero() return typeof(z), z.x`), "Vec3", 0.0)
	wantValues(t, run(t, e.s, `return Vec3.new(1,2,3):pair()`), 1.0, "x")
	wantValues(t, run(t, e.s, `return Vec3.new(1,2,3):sum(1, 2, 3)`), 6.0)
	wantValues(t, run(t, e.s, `local v = Vec3.new(1,2,3) return v.nothing, v.unexportable`), nil, nil)
	// A method returning its receiver returns the same Go value.
	wantValues(t, run(t, e.s, `local v = Vec3.new(1,2,3) local w = v:setAll(7) return v.x, w.z`), 7.0, 7.0)
	wantValues(t, run(t, e.s, `return pcall(function() return Vec3.new(1,2,3):fail("nope") end)`), false, "nope")
}

func TestUserdataFieldWritesAreChecked(t *testing.T) {
	e := newVecEnv(t)
	for src, want := range map[string]string{
		`Vec3.new(1,2,3).x = "a"`:                         "bad value for field 'x' of Vec3 (number expected, got string)",
		`Vec3.new(1,2,3).w = 1`:                           "Vec3 has no field 'w'",
		`Counter.new().n = 5`:                             "field 'n' of Counter is read-only",
		`Vec3.new(1,2,3):scale()`:                         "missing argument #2 to 'scale' (number expected)",
		`Vec3.new(1, "y", 3)`:                             "invalid argument #2 to 'new' (number expected, got string)",
		`local f = Vec3.new(1,2,3).len; f(5)`:             "invalid argument #1 to 'len' (Vec3 expected, got number)",
		`local f = Vec3.new(1,2,3).len; f(Counter.new())`: "invalid argument #1 to 'len' (Vec3 expected, got Counter)",
	} {
		if got := runErr(t, e.s, src); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
	wantValues(t, run(t, e.s, `local c = Counter.new() c:inc() c:inc() c.label = "hits" return c.n, c.label`), 2.0, "hits")
}

func TestUserdataIsCheckedWhenItComesBack(t *testing.T) {
	e := newVecEnv(t)
	wantValues(t, run(t, e.s, `return takes_vec(Vec3.new(7, 0, 0)), takes_counter(Counter.new())`), 7.0, 0.0)
	for src, want := range map[string]string{
		`takes_vec(Counter.new())`:       "invalid argument #1 to 'takes_vec' (Vec3 expected, got Counter)",
		`takes_counter(Vec3.new(1,2,3))`: "invalid argument #1 to 'takes_counter' (Counter expected, got Vec3)",
		`takes_vec({x = 1})`:             "invalid argument #1 to 'takes_vec' (Vec3 expected, got table)",
		`takes_vec(newproxy())`:          "invalid argument #1 to 'takes_vec' (Vec3 expected, got userdata)",
	} {
		if got := runErr(t, e.s, src); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
}

func TestUserdataOperatorsAreWired(t *testing.T) {
	e := newVecEnv(t)
	wantValues(t, run(t, e.s, `
		local a, b = Vec3.new(1, 2, 3), Vec3.new(1, 2, 3)
		local c = a + b
		return c.x, (a - b).y, (a * 2).z, (-a).x, a == b, a == c, a < c, c <= a, #a, a(10), tostring(a)`),
		2.0, 0.0, 6.0, -1.0, true, false, true, false, 3.0, 10.0, "Vec3(1, 2, 3)")
	wantValues(t, run(t, e.s, `return Vec3.new(1,2,3) .. "!"`), "Vec3(1, 2, 3)!")
	if got := runErr(t, e.s, `return Vec3.new(1,2,3) + 1`); !strings.Contains(got, "invalid argument #2 to '__add' (Vec3 expected, got number)") {
		t.Fatal(got)
	}
	if got := runErr(t, e.s, `return Vec3.new(1,2,3) / 1`); !strings.Contains(got, "attempt to perform arithmetic") {
		t.Fatal(got)
	}
}

func TestUserdataGoValuesRoundTrip(t *testing.T) {
	e := newVecEnv(t)
	p := &vec3{1, 2, 3}
	must(t, e.s.SetGlobal("p", p))
	out, err := e.s.DoString(`p.x = 5 return p, Vec3.new(9, 9, 9)`)
	must(t, err)
	if out[0] != p || p.X != 5 {
		t.Fatalf("got %#v back, want the same *vec3 (X=5)", out[0])
	}
	if v, ok := out[1].(*vec3); !ok || v.X != 9 {
		t.Fatalf("constructor result: %#v", out[1])
	}
	// A value (not a pointer) is copied.
	must(t, e.s.SetGlobal("q", vec3{1, 1, 1}))
	wantValues(t, run(t, e.s, `return typeof(q), q:len() == math.sqrt(3)`), "Vec3", true)
	res, err := e.s.Call("takes_vec", p)
	must(t, err)
	wantValues(t, res, 5.0)
}

func TestUserdataDestructorRunsExactlyOnce(t *testing.T) {
	e := newVecEnv(t)
	run(t, e.s, `for i = 1, 1000 do local v = Vec3.new(i, 0, 0) local w = v:scale(2) end`)
	must(t, e.s.GC())
	total := 0
	for v, n := range e.destroyed {
		if n != 1 {
			t.Fatalf("%v destroyed %d times", v, n)
		}
		total++
	}
	if total != 2000 {
		t.Fatalf("%d destructors ran after GC, want 2000", total)
	}
	if e.s.st.ud.live != 0 {
		t.Fatalf("%d handles still live", e.s.st.ud.live)
	}
	// Values still referenced survive a collection; Close releases them, once.
	keep := &vec3{42, 0, 0}
	must(t, e.s.SetGlobal("keep", keep))
	must(t, e.s.SetGlobal("keep2", keep))
	must(t, e.s.GC())
	if e.destroyed[keep] != 0 {
		t.Fatal("a referenced value was destroyed")
	}
	run(t, e.s, `keep2 = nil`)
	must(t, e.s.GC())
	if e.destroyed[keep] != 0 {
		t.Fatal("a value still referenced by another userdata was destroyed")
	}
	must(t, e.s.Close())
	if e.destroyed[keep] != 1 {
		t.Fatalf("Close ran the destructor %d times", e.destroyed[keep])
	}
}

func TestUserdataCloseRemovesItsFunctions(t *testing.T) {
	before := RegistrySize()
	e := newVecEnv(t)
	if RegistrySize() <= before {
		t.Fatal("no functions registered")
	}
	run(t, e.s, `v = Vec3.new(1, 2, 3)`)
	must(t, e.s.Close())
	if after := RegistrySize(); after != before {
		t.Fatalf("registry holds %d entries after Close, %d before", after, before)
	}
}

func TestRegisterTypeRejectsBadOptions(t *testing.T) {
	s := newState(t)
	for _, opt := range []TypeOption{
		WithOperator("__index", func() {}),
		WithConstructor(42),
		WithOperator("__add", func(c chan int) {}),
	} {
		err := RegisterType[vec3](s, "Vec3", opt)
		var le *Error
		if !errors.As(err, &le) || le.Kind != KindArgument {
			t.Errorf("want kind argument, got %v", err)
		}
	}
}

func TestUserdataPanicsInMethodsAreResumed(t *testing.T) {
	s := newState(t)
	must(t, RegisterType[counter](s, "Counter", WithConstructor(func() *counter { return &counter{} }),
		WithOperator("__call", func(c *counter) { panic("boom") })))
	defer func() {
		if v := recover(); v != "boom" {
			t.Fatalf("recovered %v", v)
		}
	}()
	_, _ = s.DoString(`Counter.new()()`)
	t.Fatal("no panic")
}

func TestUserdataThroughTheRawCallContext(t *testing.T) {
	e := newVecEnv(t)
	must(t, e.s.RegisterFunc("raw_echo", func(c *CallContext) error {
		x, err := c.Arg(1)
		if err != nil {
			return err
		}
		v, ok := x.(*vec3)
		if !ok {
			return fmt.Errorf("got %T", x)
		}
		return c.Push(v.Scale(10))
	}))
	wantValues(t, run(t, e.s, `local w = raw_echo(Vec3.new(1, 2, 3)) return typeof(w), w.z`), "Vec3", 30.0)
}

func TestUserdataHandlesAreRecycledDuringLongScripts(t *testing.T) {
	e := newVecEnv(t)
	run(t, e.s, `for i = 1, 100000 do local v = Vec3.new(i, 0, 0) end`)
	// Collections during the script released most handles already; slots are reused.
	if n := len(e.s.st.ud.slots); n > 50000 {
		t.Fatalf("%d handle slots for 100000 short-lived values", n)
	}
	must(t, e.s.GC())
	if e.s.st.ud.live != 0 || len(e.destroyed) != 100000 {
		t.Fatalf("live %d, destroyed %d", e.s.st.ud.live, len(e.destroyed))
	}
}

func TestUserdataOfAnotherStateIsNotMisread(t *testing.T) {
	a, b := newVecEnv(t), newVecEnv(t)
	must(t, a.s.SetGlobal("v", &vec3{1, 2, 3}))
	got, err := a.s.Global("v")
	must(t, err)
	// A Go value can be given to another state: it gets its own handle there.
	must(t, b.s.SetGlobal("v", got))
	wantValues(t, run(t, b.s, `return v.x, typeof(v)`), 1.0, "Vec3")
}
