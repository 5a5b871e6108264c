package luau

import (
	"strings"
	"testing"
)

// Requirement (issue 13, item 2): a host function's argument errors read exactly as Luau
// 0.745's own builtins': "invalid argument #N to 'f' (T expected, got U)" where U is what
// typeof() says (a host type's name for its userdata, "nil" for a nil that is there), and
// "missing argument #N to 'f' (T expected)" when the call has no argument N at all. The
// test asks Luau itself (math.abs, string.len) for the message and compares byte for byte
// with the raw API, the typed API (fast path and reflection path) and a userdata method.
func TestArgumentErrorsMatchLuauBuiltinsByteForByte(t *testing.T) {
	e := newVecEnv(t)
	s := e.s
	// Raw API: the function is registered as "abs" / "len", the names Luau's builtins have.
	must(t, s.RegisterFunc("abs", func(c *CallContext) error {
		x, err := c.Number(1)
		if err != nil {
			return err
		}
		c.PushNumber(x)
		return nil
	}))
	must(t, s.RegisterFunc("len", func(c *CallContext) error {
		x, err := c.String(1)
		if err != nil {
			return err
		}
		c.PushNumber(float64(len(x)))
		return nil
	}))
	// The argument lists, as Luau source; "" is no argument at all.
	args := []string{"", "nil", "'x'", "{}", "true", "Vec3.new(1, 2, 3)", "Counter.new()", "newproxy()", "vector.create(1, 2, 3)", "math.floor"}
	check := func(builtin, host string, skip func(string) bool) {
		t.Helper()
		for _, a := range args {
			if skip(a) {
				continue
			}
			src := `local _, a = pcall(` + builtin + `, ` + a + `) local _, b = pcall(` + host + `, ` + a + `) return a, b`
			if a == "" {
				src = `local _, a = pcall(` + builtin + `) local _, b = pcall(` + host + `) return a, b`
			}
			got := run(t, s, src)
			if len(got) != 2 || got[0] != got[1] {
				t.Errorf("%s(%s): Luau says %q, host %s says %q", builtin, a, got[0], host, got[1])
			}
		}
	}
	notNumber := func(a string) bool { return false }
	check("math.abs", "abs", notNumber)
	// string.len converts numbers; every listed argument but those is a type error.
	check("string.len", "len", func(a string) bool { return a == "'x'" })

	// Typed API: the fast path (func(float64) float64) and the reflection path.
	must(t, s.Register("abs", func(x float64) float64 { return x }))
	check("math.abs", "abs", notNumber)
	must(t, s.Register("abs", func(x float64, _ ...int) float64 { return x }))
	check("math.abs", "abs", notNumber)
	must(t, s.Register("len", func(x string) int { return len(x) }))
	check("string.len", "len", func(a string) bool { return a == "'x'" })
	must(t, s.Register("len", func(x []byte, _ ...int) int { return len(x) }))
	check("string.len", "len", func(a string) bool { return a == "'x'" })

	// The two forms side by side, as the issue states them.
	for src, want := range map[string]string{
		`abs(nil)`:                "invalid argument #1 to 'abs' (number expected, got nil)",
		`abs()`:                   "missing argument #1 to 'abs' (number expected)",
		`abs(Vec3.new(1, 2, 3))`:  "invalid argument #1 to 'abs' (number expected, got Vec3)",
		`Vec3.new(1, 2)`:          "missing argument #3 to 'new' (number expected)",
		`Vec3.new(1, 2, nil)`:     "invalid argument #3 to 'new' (number expected, got nil)",
		`Vec3.new(1,2,3):scale()`: "missing argument #2 to 'scale' (number expected)",
		`Vec3.new(1,2,3).len()`:   "missing argument #1 to 'len' (Vec3 expected)",
	} {
		got := runErr(t, s, src)
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
		if strings.Contains(got, "bad argument") {
			t.Errorf("%s: %q uses Lua 5.1's wording", src, got)
		}
	}
}

// Requirement: CallContext.TypeError is Luau's luaL_typeerror (missing vs invalid, typeof
// names), ArgError is luaL_argerror (always "invalid").
func TestTypeErrorAndArgErrorWording(t *testing.T) {
	s := newState(t)
	var msgs []string
	must(t, s.RegisterFunc("f", func(c *CallContext) error {
		msgs = append(msgs, c.TypeError(2, "string").Error(), c.ArgError(2, "out of range").Error())
		return nil
	}))
	run(t, s, `f(1) f(1, 2)`)
	want := []string{
		"missing argument #2 to 'f' (string expected)", "invalid argument #2 to 'f' (out of range)",
		"invalid argument #2 to 'f' (string expected, got number)", "invalid argument #2 to 'f' (out of range)",
	}
	if strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", msgs, want)
	}
}
