package luau

import (
	"errors"
	"strings"
	"testing"
)

// Requirement: a host function made a value (NewFunction) works wherever a Luau value
// goes — as a host module's member, a table field, a global and an argument — with its
// name in Luau's argument errors, and a host error keeps its identity through it.
func TestNewFunctionIsAValueWithoutAGlobal(t *testing.T) {
	s := newState(t)
	double, err := s.NewFunction("double", func(x float64) float64 { return 2 * x })
	must(t, err)
	sentinel := errors.New("refused")
	refuse, err := s.NewFunction("refuse", GoFunc(func(c *CallContext) error { return sentinel }))
	must(t, err)
	must(t, s.RegisterModule("@host/math2", map[string]any{"double": double, "refuse": refuse}))
	wantValues(t, run(t, s, "return require('@host/math2').double(21)"), 42.0)
	if g, _ := s.Global("double"); g != nil {
		t.Fatalf("NewFunction set a global: %v", g)
	}
	must(t, s.SetGlobal("twice", double))
	wantValues(t, run(t, s, "return twice(4), rawequal(twice, require('@host/math2').double)"), 8.0, true)
	r, err := s.DoString("return function(f, x) return f(x) end")
	must(t, err)
	got, err := r[0].(*Function).Call(double, 5.0)
	must(t, err)
	wantValues(t, got, 10.0)

	_, err = s.DoString("return twice('x')")
	if e := wantKind(t, err, KindHost); !strings.Contains(e.Message, "invalid argument #1 to 'double' (number expected, got string)") {
		t.Fatalf("message %q", e.Message)
	}
	_, err = s.DoString("return require('@host/math2').refuse()")
	if !errors.Is(err, sentinel) {
		t.Fatalf("host error lost its identity: %v", err)
	}
	if _, err := s.NewFunction("bad", 42); err == nil || !strings.Contains(err.Error(), "not a function") {
		t.Fatalf("NewFunction(42): %v", err)
	}
}

// Requirement: NewFunction's functions leave the registry at Close: a closed state keeps
// none of its host functions (a long-lived process creating states does not grow it).
func TestNewFunctionLeavesTheRegistryAtClose(t *testing.T) {
	before := RegistrySize()
	s, err := New()
	must(t, err)
	for i := 0; i < 10; i++ {
		_, err := s.NewFunction("f", func() {})
		must(t, err)
	}
	if RegistrySize() != before+10 {
		t.Fatalf("registry %d, want %d", RegistrySize(), before+10)
	}
	must(t, s.Close())
	if RegistrySize() != before {
		t.Fatalf("registry after Close %d, want %d", RegistrySize(), before)
	}
}
