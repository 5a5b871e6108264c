package luau

import (
	"errors"
	"os"
	"strings"
	"testing"
)

var testModules = MapResolver{
	"lib/util.luau":  "local m = {}\nfunction m.double(x) return x * 2 end\nreturn m",
	"lib/init.luau":  "return { util = require('./lib/util') }",
	"lib/peer.luau":  "return require('./util').double(1)",
	".luaurc":        `{"aliases": {"lib": "./lib"}}`,
	"a.luau":         "return require('./b')",
	"b.luau":         "return require('./a')",
	"bad.luau":       "local x = 1\nerror('module failed')\nreturn x",
	"globals.luau":   "leaked = 1\nreturn leaked",
	"both.luau":      "return 1",
	"both/init.luau": "return 2",
}

func newRequireState(t *testing.T, opts ...Option) *State {
	t.Helper()
	s, err := New(append([]Option{WithResolver(testModules)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRequireIsAbsentUnlessConfigured(t *testing.T) {
	// Requirement: no require exists unless the host configured one, Untrusted included.
	for name, opts := range map[string][]Option{"default": nil, "untrusted": {Untrusted(nil)}} {
		s, err := New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.DoString(`return type(require)`)
		if err != nil || out[0] != "nil" {
			t.Errorf("%s: type(require) = %v, %v; want nil", name, out, err)
		}
		s.Close()
	}
}

func TestRequireRelativeAliasAndCache(t *testing.T) {
	// Requirement: relative paths resolve from the requiring module, @lib from .luaurc, and a
	// second require returns the same (cached) table.
	s := newRequireState(t)
	out, err := s.DoString(`
		local u = require('./lib/util')
		return u.double(21), require('./lib/peer'), rawequal(u, require('@lib/util')),
			rawequal(require('./lib').util, u)`)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != 42.0 || out[1] != 2.0 || out[2] != true || out[3] != true {
		t.Fatalf("got %v", out)
	}
}

func TestRequireErrorsAreCleanAndNamed(t *testing.T) {
	// Requirement: a cycle, a missing module, an ambiguous one and a failing one are runtime
	// errors that name the cycle, the path, the files, and the module's file and line.
	s := newRequireState(t)
	cases := map[string]string{
		`require('./a')`:       `cyclic require: a.luau -> b.luau -> a.luau`,
		`require('./missing')`: `error requiring module "./missing": no module at "missing"`,
		`require('./both')`:    `module both is ambiguous: both.luau and both/init.luau`,
		`require('./bad')`:     `bad.luau:2: module failed`,
	}
	for src, want := range cases {
		_, err := s.DoString(src)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, want) {
			t.Errorf("%s: got %v, want a message containing %q", src, err, want)
		}
	}
	_, err := s.DoString(`require('./bad')`)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRuntime || !strings.Contains(e.Traceback, "bad.luau:2") {
		t.Errorf("traceback of a failing module: %v", err)
	}
}

type failingResolver struct{ err error }

func (r failingResolver) Module(string) (string, string, bool, error) { return "", "", false, r.err }
func (r failingResolver) Config(string) (string, bool, error)         { return "", false, r.err }

func TestRequireResolverErrorKeepsItsIdentity(t *testing.T) {
	// Requirement: a resolver's error reaches the caller as the same error value.
	sentinel := errors.New("disk on fire")
	s, err := New(WithResolver(failingResolver{sentinel}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.DoString(`return require('./x')`)
	var e *Error
	if !errors.Is(err, sentinel) || !errors.As(err, &e) || e.Kind != KindHost {
		t.Fatalf("got %v, want the resolver's error (kind host)", err)
	}
	out, err := s.DoString(`local ok, e = pcall(require, './x'); return ok, e`)
	if err != nil || out[0] != false || !strings.Contains(out[1].(string), "disk on fire") {
		t.Fatalf("pcall: %v %v", out, err)
	}
}

func TestRequireFromOSDirFS(t *testing.T) {
	// Requirement: os.DirFS works unchanged as a module tree (with its .luaurc aliases).
	s, err := New(WithRequire(os.DirFS("testdata/modules")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.DoString(`return require('./main')`)
	if err != nil || out[0] != "hello, modules, 42" {
		t.Fatalf("got %v, %v", out, err)
	}
}

func TestRequireInTheSandbox(t *testing.T) {
	// Requirement: under Untrusted with a resolver, modules load, with globals of their own.
	s := newRequireState(t, Untrusted(nil))
	out, err := s.DoString(`leaked = 0; local v = require('./globals'); return v, leaked`)
	if err != nil || out[0] != 1.0 || out[1] != 0.0 {
		t.Fatalf("got %v, %v", out, err)
	}
}

func TestRegisterModule(t *testing.T) {
	// Requirement: a host value registered as @host/name is require's result, resolver or not;
	// other names are rejected.
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RegisterModule("@host/config", map[string]any{"answer": 42}); err != nil {
		t.Fatal(err)
	}
	out, err := s.DoString(`return require('@host/config').answer, rawequal(require('@host/config'), require('@HOST/CONFIG'))`)
	if err != nil || out[0] != 42.0 || out[1] != true {
		t.Fatalf("got %v, %v", out, err)
	}
	var e *Error
	if err := s.RegisterModule("host/config", 1); !errors.As(err, &e) || e.Kind != KindArgument {
		t.Fatalf("a name without '@': %v", err)
	}
}

func TestCloseReleasesTheResolver(t *testing.T) {
	// Requirement: the resolver's registry entry leaves with its state.
	before := RegistrySize()
	s, err := New(WithResolver(testModules))
	if err != nil {
		t.Fatal(err)
	}
	if RegistrySize() != before+1 {
		t.Fatalf("registry %d, want %d", RegistrySize(), before+1)
	}
	s.Close()
	if RegistrySize() != before {
		t.Fatalf("registry %d after Close, want %d", RegistrySize(), before)
	}
}
