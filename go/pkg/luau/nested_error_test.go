package luau

import (
	"errors"
	"strings"
	"testing"
)

// Nested errors (issue 13, item 1), stated requirement first.

// loadNamed loads src as chunk name and runs it (defining its globals).
func loadNamed(t *testing.T, s *State, name, src string) {
	t.Helper()
	bc, err := Compile(src)
	must(t, err)
	f, err := s.LoadBytecode(name, bc)
	must(t, err)
	_, err = f.Call()
	must(t, err)
}

// checkOnce fails unless every fragment occurs exactly once in tb, in this order.
func checkOnce(t *testing.T, tb string, fragments ...string) {
	t.Helper()
	at := 0
	for _, f := range fragments {
		if n := strings.Count(tb, f); n != 1 {
			t.Errorf("traceback has %q %d times, want once:\n%s", f, n, tb)
			continue
		}
		i := strings.Index(tb, f)
		if i < at {
			t.Errorf("traceback has %q out of order:\n%s", f, tb)
		}
		at = i
	}
}

// Requirement: host -> Luau -> host function whose nested call into Luau failed: the error the
// outermost caller gets carries the whole Luau call stack, innermost frame first (the inner
// chunk's frames, the host function, the outer chunk's frames, each chunk:line), every frame
// once under one header, and no traceback text in the message; the nested error stays
// reachable as the cause.
func TestNestedErrorCarriesTheWholeCallStackOnce(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("h", func(c *CallContext) error {
		_, err := c.Call("inner")
		return err
	}))
	loadNamed(t, s, "=inner", "function inner()\n  local a = 1\n  error('boom')\nend")
	loadNamed(t, s, "=outer", "function outer()\n  h()\n  return 1\nend\nfunction top()\n  outer()\nend")

	_, err := s.Call("top")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindHost {
		t.Fatalf("err = %v, want a KindHost *Error", err)
	}
	if e.Message != "inner:3: boom" {
		t.Errorf("message = %q, want the nested error's message alone", e.Message)
	}
	checkOnce(t, e.Traceback, "stack traceback:", "inner:3 function inner", "[C] function h",
		"outer:2 function outer", "outer:6 function top")
	cause, ok := errors.Unwrap(err).(*Error)
	if !ok || cause.Kind != KindRuntime || cause.Message != "inner:3: boom" {
		t.Fatalf("cause = %#v, want the nested runtime *Error", errors.Unwrap(err))
	}
}

// Requirement: the same holds through two host levels (host -> Luau -> host -> Luau -> host
// error): the outermost error has the frames of all three Luau levels once, and the original
// host error is reachable through errors.As.
func TestTwiceNestedHostErrorCarriesEveryLevel(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("down", func(c *CallContext) error {
		name, err := c.String(1)
		if err != nil {
			return err
		}
		_, err = c.Call(name)
		return err
	}))
	sentinel := errors.New("disk on fire")
	must(t, s.RegisterFunc("fail", func(c *CallContext) error { return sentinel }))
	loadNamed(t, s, "=c3", "function l3()\n  fail()\nend")
	loadNamed(t, s, "=c2", "function l2()\n  down('l3')\nend")
	loadNamed(t, s, "=c1", "function l1()\n  down('l2')\nend")

	_, err := s.Call("l1")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindHost || !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want KindHost wrapping the host's error", err)
	}
	want := "stack traceback:\n\t[C] function fail\n\tc3:2 function l3\n\t[C] function down" +
		"\n\tc2:2 function l2\n\t[C] function down\n\tc1:2 function l1"
	if e.Traceback != want {
		t.Errorf("traceback =\n%s\nwant\n%s", e.Traceback, want)
	}
}

// Requirement: a nested chunk runs on a thread of its own, so its traceback does not hold
// the outer frames: the outermost error has the nested chunk's frames, then the outer ones,
// each once.
func TestNestedChunkErrorCarriesBothThreads(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("run", func(c *CallContext) error {
		_, err := c.DoString("local z = 1\nerror('deep')")
		return err
	}))
	loadNamed(t, s, "=outer", "function outer()\n  run()\nend")
	_, err := s.Call("outer")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindHost {
		t.Fatalf("err = %v, want KindHost", err)
	}
	checkOnce(t, e.Traceback, "stack traceback:", "[C] function error", `[string "chunk"]:2`,
		"[C] function run", "outer:2 function outer")
}

// Requirement: a host error that did not come from a nested call keeps the outer traceback
// as it is.
func TestPlainHostErrorTracebackUnchanged(t *testing.T) {
	s := newState(t)
	must(t, s.RegisterFunc("fail", func(c *CallContext) error { return errors.New("x") }))
	loadNamed(t, s, "=outer", "function outer()\n  fail()\nend")
	_, err := s.Call("outer")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	want := "stack traceback:\n\t[C] function fail\n\touter:2 function outer"
	if e.Traceback != want {
		t.Errorf("traceback = %q, want %q", e.Traceback, want)
	}
}

// Requirement: host <-> Luau recursion past the C stack reaches the outermost caller as one
// documented kind whatever the nesting: KindHost (each host function returned its nested
// call's error) with the message "C stack overflow", and the innermost cause is the runtime
// error Luau raised. (A script that catches it and raises its text again raises its own,
// runtime, error.)
func TestCStackOverflowKindIsHostAtAnyNesting(t *testing.T) {
	for _, script := range []string{
		"function r() return call_back('r') end\nr()",
		"function r() return call_fn(r) end\nr()",
		"function a() return call_back('b') end\nfunction b() local x = call_fn(a) return x end\na()",
	} {
		s := newState(t)
		must(t, s.RegisterFunc("call_back", func(c *CallContext) error {
			name, err := c.String(1)
			if err != nil {
				return err
			}
			_, err = c.Call(name)
			return err
		}))
		must(t, s.RegisterFunc("call_fn", func(c *CallContext) error {
			_, err := c.CallArg(1)
			return err
		}))
		_, err := s.DoString(script)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindHost || !strings.Contains(e.Message, "C stack overflow") {
			t.Fatalf("%s: err = %v (%T), want KindHost 'C stack overflow'", script, err, err)
		}
		innermost := e
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			if x, ok := u.(*Error); ok {
				innermost = x
			}
		}
		if innermost.Kind != KindRuntime || !strings.Contains(innermost.Message, "C stack overflow") {
			t.Errorf("%s: innermost cause %v %q, want runtime 'C stack overflow'", script, innermost.Kind, innermost.Message)
		}
	}
}
