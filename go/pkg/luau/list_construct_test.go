package luau

import (
	"fmt"
	"strings"
	"testing"
)

// Requirement (issue 13, item 7b): a table literal constructs the type where one is
// expected, through the type's declared list constructor: {1, 2, 3} is accepted by a *T or
// T parameter of a registered function; a wrong-shape literal is the Luau-worded argument
// error, and the function is not called; a type without a list constructor still takes
// only its userdata.
func TestATableLiteralConstructsTheTypeWhereOneIsExpected(t *testing.T) {
	s := newState(t)
	must(t, RegisterType[vec3](s, "Vec3",
		WithConstructor(func(x, y, z float64) *vec3 { return &vec3{x, y, z} }),
		WithListConstructor(func(xs []float64) (*vec3, error) {
			if len(xs) != 3 {
				return nil, fmt.Errorf("Vec3 expected, got a list of %d numbers", len(xs))
			}
			return &vec3{xs[0], xs[1], xs[2]}, nil
		}),
	))
	must(t, RegisterType[counter](s, "Counter", WithConstructor(func() *counter { return &counter{} })))
	calls := 0
	must(t, s.Register("sum", func(v *vec3) float64 { calls++; return v.X + v.Y + v.Z }))
	must(t, s.Register("sum_val", func(v vec3) float64 { calls++; return v.X + v.Y + v.Z }))
	must(t, s.Register("count", func(c *counter) int { calls++; return c.N }))

	r := run(t, s, "return sum({1, 2, 3}), sum_val({4, 5, 6}), sum(Vec3.new(1, 1, 1))")
	if fmt.Sprint(r) != "[6 15 3]" {
		t.Fatalf("results %v, want [6 15 3]", r)
	}
	calls = 0
	for src, want := range map[string]string{
		"sum({1, 2})":           "invalid argument #1 to 'sum' (Vec3 expected, got a list of 2 numbers)",
		"sum({1, 'two', 3})":    "invalid argument #1 to 'sum' (element 2: number expected, got string)",
		"sum_val({1, 2, 3, 4})": "invalid argument #1 to 'sum_val' (Vec3 expected, got a list of 4 numbers)",
		"sum(7)":                "invalid argument #1 to 'sum' (Vec3 expected, got number)",
		"count({1})":            "invalid argument #1 to 'count' (Counter expected, got table)",
	} {
		_, err := s.DoString(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", src, err, want)
		}
	}
	if calls != 0 {
		t.Errorf("host functions called %d times with bad arguments", calls)
	}
}
