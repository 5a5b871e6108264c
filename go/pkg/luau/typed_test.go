package luau

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// Tests of Register (typed host functions), stated requirement first.

// run runs src and returns its results, failing the test on an error.
func run(t *testing.T, s *State, src string) []any {
	t.Helper()
	out, err := s.DoString(src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return out
}

// runErr runs src and returns the error message (the test fails if there is none).
func runErr(t *testing.T, s *State, src string) string {
	t.Helper()
	_, err := s.DoString(src)
	if err == nil {
		t.Fatalf("%s: no error", src)
	}
	return err.Error()
}

func wantValues(t *testing.T, got []any, want ...any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestRegisterMakesAnyGoFunctionCallable(t *testing.T) {
	s := newState(t)
	type pair struct{ A, B int }
	fns := map[string]any{
		"f_ff":    func(a, b float64) float64 { return a * b },
		"f_ii":    func(a, b int) int { return a - b },
		"f_i8":    func(a int8) int8 { return a + 1 },
		"f_u16":   func(a uint16) uint16 { return a * 2 },
		"f_f32":   func(a float32) float32 { return a / 2 },
		"f_s":     func(s string) string { return strings.ToUpper(s) },
		"f_b":     func(b bool) bool { return !b },
		"f_bytes": func(b []byte) []byte { return append(b, '!') },
		"f_named": func(s string, n uint) string { return strings.Repeat(s, int(n)) },
		"f_multi": func() (int, string, bool) { return 1, "two", true },
		"f_none":  func() {},
		"f_slice": func(xs []float64) (sum float64) {
			for _, x := range xs {
				sum += x
			}
			return
		},
		"f_map": func(m map[string]int) int { return m["a"] + m["b"] },
		"f_mkslice": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i * i
			}
			return out
		},
		"f_struct": func(p pair) int { return p.A * p.B },
		"f_pstruct": func(p *pair) string {
			if p == nil {
				return "nil"
			}
			return fmt.Sprint(p.A)
		},
		"f_var": func(sep string, xs ...int) string {
			return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(xs)), sep), "[]")
		},
		"f_any": func(x any) string { return fmt.Sprintf("%T", x) },
		"f_vec": func(v Vector) Vector { return Vector{v.X * 2, v.Y * 2, v.Z * 2} },
	}
	for name, fn := range fns {
		if err := s.Register(name, fn); err != nil {
			t.Fatalf("Register(%s): %v", name, err)
		}
	}
	wantValues(t, run(t, s, `return f_ff(6, 7), f_ii(10, 3), f_i8(126), f_u16(21), f_f32(3)`), 42.0, 7.0, 127.0, 42.0, 1.5)
	wantValues(t, run(t, s, `return f_s("abc"), f_b(false), f_bytes("hi"), f_named("ab", 3)`), "ABC", true, "hi!", "ababab")
	wantValues(t, run(t, s, `return f_multi()`), 1.0, "two", true)
	wantValues(t, run(t, s, `return select("#", f_none())`), 0.0)
	wantValues(t, run(t, s, `return f_slice({1, 2, 3.5}), f_slice({}), f_map({a = 40, b = 2})`), 6.5, 0.0, 42.0)
	wantValues(t, run(t, s, `local t = f_mkslice(4) return #t, t[1], t[4]`), 4.0, 0.0, 9.0)
	wantValues(t, run(t, s, `return f_struct({A = 6, b = 7}), f_pstruct({a = 5}), f_pstruct(nil)`), 42.0, "5", "nil")
	wantValues(t, run(t, s, `return f_var("-"), f_var("-", 1), f_var("+", 1, 2, 3)`), "", "1", "1+2+3")
	wantValues(t, run(t, s, `return f_any(1), f_any("s"), f_any({}), f_any(nil)`), "float64", "string", "map[interface {}]interface {}", "<nil>")
	wantValues(t, run(t, s, `return f_vec(vector.create(1, 2, 3))`), Vector{2, 4, 6})
}

func TestTypedArgumentErrorsReadLikeLuau(t *testing.T) {
	s := newState(t)
	must(t, s.Register("add", func(a, b float64) float64 { return a + b }))
	must(t, s.Register("iadd", func(a, b int) int { return a + b }))
	must(t, s.Register("small", func(a int8) int8 { return a }))
	must(t, s.Register("nonneg", func(a uint) uint { return a }))
	must(t, s.Register("greet", func(name string, times int) string { return name }))
	must(t, s.Register("sum", func(xs []float64) float64 { return 0 }))
	must(t, s.Register("vsum", func(xs ...float64) float64 { return 0 }))
	cases := []struct{ src, want string }{
		{`add(1, "x")`, "invalid argument #2 to 'add' (number expected, got string)"},
		{`add(1)`, "missing argument #2 to 'add' (number expected)"}, {`add(1, nil)`, "invalid argument #2 to 'add' (number expected, got nil)"},
		{`add({}, 1)`, "invalid argument #1 to 'add' (number expected, got table)"},
		{`iadd(1.5, 1)`, "invalid argument #1 to 'iadd' (number has no integer representation)"},
		{`iadd(1, 2^70)`, "invalid argument #2 to 'iadd' (number has no integer representation)"},
		{`small(200)`, "invalid argument #1 to 'small' (number has no integer representation)"},
		{`nonneg(-1)`, "invalid argument #1 to 'nonneg' (number has no integer representation)"},
		{`greet(42, 1)`, "invalid argument #1 to 'greet' (string expected, got number)"},
		{`sum(1)`, "invalid argument #1 to 'sum' (table expected, got number)"},
		{`sum({1, "x"})`, "invalid argument #1 to 'sum' (element 2: number expected, got string)"},
		{`vsum(1, 2, true)`, "invalid argument #3 to 'vsum' (number expected, got boolean)"},
	}
	for _, c := range cases {
		if got := runErr(t, s, c.src); !strings.Contains(got, c.want) {
			t.Errorf("%s: error %q, want %q", c.src, got, c.want)
		}
	}
	// pcall sees exactly Luau's message (no position prefix from a host function).
	wantValues(t, run(t, s, `return pcall(add, 1, "x")`), false, "invalid argument #2 to 'add' (number expected, got string)")
}

func TestTypedErrorResultRaisesTheError(t *testing.T) {
	s := newState(t)
	errDiv := errors.New("division by zero")
	must(t, s.Register("divide", func(a, b float64) (float64, error) {
		if b == 0 {
			return 0, errDiv
		}
		return a / b, nil
	}))
	must(t, s.Register("check", func(s string) (string, int, error) {
		if s == "" {
			return "", 0, errDiv
		}
		return s, len(s), nil
	}))
	wantValues(t, run(t, s, `return divide(1, 4), check("abc")`), 0.25, "abc", 3.0)
	wantValues(t, run(t, s, `return pcall(divide, 1, 0)`), false, "division by zero")
	_, err := s.DoString(`return check("")`)
	var le *Error
	if !errors.As(err, &le) || le.Kind != KindHost || !errors.Is(err, errDiv) {
		t.Fatalf("want kind host wrapping errDiv, got %#v", err)
	}
}

func TestTypedCallContextFirstParameter(t *testing.T) {
	s := newState(t)
	must(t, s.Register("whoami", func(c *CallContext, n int) string { return fmt.Sprint(c.Name(), ":", n, ":", c.NArgs()) }))
	wantValues(t, run(t, s, `return whoami(7)`), "whoami:7:1")
	// Argument numbers do not count the context.
	if got := runErr(t, s, `whoami("x")`); !strings.Contains(got, "invalid argument #1 to 'whoami' (number expected, got string)") {
		t.Fatal(got)
	}
}

func TestTypedStructResultBecomesTable(t *testing.T) {
	s := newState(t)
	type point struct {
		X, Y   float64
		Label  string `luau:"label"`
		Hidden int    `luau:"-"`
		secret int
	}
	must(t, s.Register("t_point", func() point { return point{X: 1, Y: 2, Label: "p", Hidden: 9, secret: 3} }))
	must(t, s.Register("t_points", func() []point { return []point{{X: 1}, {X: 2}} }))
	wantValues(t, run(t, s, `local p = t_point() return p.x, p.y, p.label, p.hidden, p.secret`), 1.0, 2.0, "p", nil, nil)
	wantValues(t, run(t, s, `local ps = t_points() return #ps, ps[2].x`), 2.0, 2.0)
}

func TestRegisterRejectsWhatItCannotConvert(t *testing.T) {
	s := newState(t)
	for name, fn := range map[string]any{
		"nil":     nil,
		"notfunc": 42,
		"chan":    func(c chan int) {},
		"iface":   func(e error) {},
	} {
		err := s.Register(name, fn)
		var le *Error
		if !errors.As(err, &le) || le.Kind != KindArgument {
			t.Errorf("Register(%s): want kind argument, got %v", name, err)
		}
	}
	var nilFn func(int) int
	if err := s.Register("nilfn", nilFn); err == nil {
		t.Error("Register of a nil func value succeeded")
	}
}

func TestTypedStringsAreCopiesSafeToKeep(t *testing.T) {
	s := newState(t)
	var kept []string
	must(t, s.Register("keep", func(a string) { kept = append(kept, a) }))
	must(t, s.Register("keep2", func(a, b string) string { kept = append(kept, a, b); return a + b }))
	run(t, s, `for i = 1, 200 do keep("s" .. i) keep2("a" .. i, "b" .. i) end`)
	must(t, s.GC())
	if kept[0] != "s1" || kept[len(kept)-1] != "b200" || len(kept) != 600 {
		t.Fatalf("kept strings changed: %q ... %q (%d)", kept[0], kept[len(kept)-1], len(kept))
	}
}

func TestTypedIntegersAreExactAndInRange(t *testing.T) {
	s := newState(t)
	must(t, s.Register("i64", func(a int64) int64 { return a }))
	must(t, s.Register("u8", func(a uint8) uint8 { return a }))
	wantValues(t, run(t, s, `return i64(-2^53), u8(255), u8(0)`), -math.Pow(2, 53), 255.0, 0.0)
	for _, src := range []string{`i64(2^63)`, `u8(256)`, `u8(0.5)`, `i64(0/0)`, `i64(math.huge)`} {
		if got := runErr(t, s, src); !strings.Contains(got, msgNoInteger) {
			t.Errorf("%s: %q", src, got)
		}
	}
}

// The converters are built once per function type (not per registration or call).
func TestTypedPlansAreCachedPerFunctionType(t *testing.T) {
	type q struct{ A []string }
	f1 := func(a q, n uint32) []q { return nil }
	f2 := func(b q, m uint32) []q { return []q{b} }
	p1, err := planFor(reflect.TypeOf(f1))
	must(t, err)
	p2, err := planFor(reflect.TypeOf(f2))
	must(t, err)
	if p1 != p2 {
		t.Fatal("two functions of the same type got different plans")
	}
}

func TestTypedScalarCallsDoNotAllocate(t *testing.T) {
	s := newState(t)
	must(t, s.Register("add", func(a, b float64) float64 { return a + b }))
	must(t, s.Register("iadd", func(a, b int) int { return a + b }))
	must(t, s.Register("divide", func(a, b float64) (float64, error) { return a / b, nil }))
	run(t, s, `function loop(n) local x = 0 for i = 1, n do x = add(x, 1) + iadd(i, 1) + divide(i, 2) end return x end`)
	if _, err := s.Call("loop", 10); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := s.Call("loop", 1000); err != nil {
			t.Fatal(err)
		}
	})
	// The outer Call itself allocates its result slice; 1000 iterations of 3 typed calls must not.
	if allocs > 3 {
		t.Fatalf("%v allocations for 3000 typed calls", allocs)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkCallWithArgsTyped(b *testing.B) {
	benchLoop(b, func(s *State) { _ = s.Register("add", func(a, b float64) float64 { return a + b }) }, "add(i, 1)")
}

func BenchmarkCallWithArgsTypedReflect(b *testing.B) {
	type num float64
	benchLoop(b, func(s *State) { _ = s.Register("add", func(a, b num) num { return a + b }) }, "add(i, 1)")
}

func BenchmarkUserdataMethodCall(b *testing.B) {
	s := newState(b)
	must(b, RegisterType[vec3](s, "Vec3", WithConstructor(func(x, y, z float64) *vec3 { return &vec3{x, y, z} })))
	if _, err := s.DoString(`v = Vec3.new(3, 4, 0)`); err != nil {
		b.Fatal(err)
	}
	benchLoopOn(b, s, "v:len()")
}

func BenchmarkUserdataFieldRead(b *testing.B) {
	s := newState(b)
	must(b, RegisterType[vec3](s, "Vec3", WithConstructor(func(x, y, z float64) *vec3 { return &vec3{x, y, z} })))
	if _, err := s.DoString(`v = Vec3.new(3, 4, 0)`); err != nil {
		b.Fatal(err)
	}
	benchLoopOn(b, s, "v.x")
}

func benchLoopOn(b *testing.B, s *State, call string) {
	if _, err := s.DoString(fmt.Sprintf("function run(n) local x for i = 1, n do x = %s end return x end", call)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := s.Call("run", b.N); err != nil {
		b.Fatal(err)
	}
}
