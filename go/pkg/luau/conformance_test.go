package luau_test

// The Go runner of Luau's own conformance suite (issue 9; tests/conformance/README.md):
// every <script>.luau of the directory LUAU_CONFORMANCE_DIR (default: ../shared/luau-
// conformance/tests next to the repository, when it exists) runs at optimisation levels 0,
// 1 and 2 as TestConformance/<script>/O<level>, through the public API only. A full run
// writes target/conformance/go.json for tools/conformance_report.py.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

const conformanceSkipped = "SKIPPED: set LUAU_CONFORMANCE_DIR to a Luau checkout's tests/conformance"

// conformanceLevels are the optimisation levels every script runs at (as upstream's CI).
var conformanceLevels = []int{0, 1, 2}

// cfEntry is one expected failure (tests/conformance/expected_failures/go.json).
type cfEntry struct {
	Script string `json:"script"`
	Opt    []int  `json:"opt,omitempty"` // levels it fails at; empty: all
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

type cfResult struct {
	Outcome string `json:"outcome"` // "pass" or "fail": the raw result; the lists are applied by the tool too
	Detail  string `json:"detail,omitempty"`
}

func conformanceRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod) not found")
		}
		dir = parent
	}
}

// conformanceDir is LUAU_CONFORMANCE_DIR, else ../shared/luau-conformance/tests from the
// repository root; "" when that directory does not exist.
func conformanceDir(root string) string {
	dir := os.Getenv("LUAU_CONFORMANCE_DIR")
	if dir == "" {
		dir = filepath.Join(root, "..", "shared", "luau-conformance", "tests")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ""
	}
	return dir
}

// registerConformanceHelpers installs the globals upstream's runner gives every script
// (tests/conformance/README.md has the exact semantics and what is approximated).
func registerConformanceHelpers(s *luau.State) error {
	gcOps := map[string]luau.GCOp{
		"stop": luau.GCStop, "restart": luau.GCRestart, "collect": luau.GCCollect, "count": luau.GCCount,
		"isrunning": luau.GCIsRunning, "step": luau.GCStep, "setgoal": luau.GCSetGoal,
		"setstepmul": luau.GCSetStepMul, "setstepsize": luau.GCSetStepSize,
	}
	helpers := map[string]luau.GoFunc{
		// print is silent (upstream's lua_silence).
		"print": func(c *luau.CallContext) error { return nil },
		// cxxthrow(): upstream throws a C++ exception with "oops"; a host error of that text.
		"cxxthrow": func(c *luau.CallContext) error { return errors.New("oops") },
		// resumeerror(co, msg): resumes the script's suspended coroutine co by raising msg at
		// its yield point (upstream's lua_resumeerror); results and status are ignored.
		"resumeerror": func(c *luau.CallContext) error {
			v, err := c.Arg(1)
			if err != nil {
				return err
			}
			th, ok := v.(*luau.Thread)
			if !ok {
				return fmt.Errorf("resumeerror: thread expected, got %T", v)
			}
			msg, err := c.String(2)
			if err != nil {
				return err
			}
			_, _, _ = th.ResumeError(msg)
			return th.Close()
		},
		// loadstring(src [, chunkname]): the chunk name defaults to the source text itself;
		// loaded on the calling thread; a syntax error returns nil, msg.
		"loadstring": func(c *luau.CallContext) error {
			src, err := c.String(1)
			if err != nil {
				return err
			}
			name := src
			if t := c.Type(2); t != luau.TypeNone && t != luau.TypeNil {
				if name, err = c.String(2); err != nil {
					return err
				}
			}
			f, err := c.Load(src, name)
			var lerr *luau.Error
			if errors.As(err, &lerr) && lerr.Kind == luau.KindSyntax {
				c.PushNil()
				c.PushString(lerr.Message)
				return nil
			}
			if err != nil {
				return err
			}
			return c.Push(f)
		},
		// collectgarbage([opt = "collect" [, arg = 0]]): lua_gc on the calling state; a
		// boolean for "step" and "isrunning", a number otherwise.
		"collectgarbage": func(c *luau.CallContext) error {
			opt := "collect"
			if t := c.Type(1); t != luau.TypeNone && t != luau.TypeNil {
				s, err := c.String(1)
				if err != nil {
					return err
				}
				opt = s
			}
			arg := 0
			if t := c.Type(2); t != luau.TypeNone && t != luau.TypeNil {
				n, err := c.Number(2)
				if err != nil {
					return err
				}
				arg = int(n)
			}
			op, ok := gcOps[opt]
			if !ok {
				return c.ArgError(1, "invalid option '"+opt+"'")
			}
			res, err := c.GCControl(op, arg)
			if err != nil {
				return err
			}
			if op == luau.GCStep || op == luau.GCIsRunning {
				c.PushBool(res != 0)
			} else {
				c.PushNumber(float64(res))
			}
			return nil
		},
		// makelud(x): upstream returns a light userdata; a fresh table is an equally
		// distinct table key (tables.luau passes with it).
		"makelud": func(c *luau.CallContext) error { return c.Push([]any{}) },
		// No native code generation in the bindings: "native if supported" holds.
		"is_native_if_supported": func(c *luau.CallContext) error { c.PushBool(true); return nil },
		// cYieldingIterator(max, i) (iter.luau): past max, no values; otherwise it yields i+1
		// to the resumer and, once resumed, returns (i+1, i+1), as upstream's C continuation.
		"cYieldingIterator": func(c *luau.CallContext) error {
			limit, err := c.Number(1)
			if err != nil {
				return err
			}
			i, err := c.Number(2)
			if err != nil {
				return err
			}
			if i >= limit {
				return nil
			}
			next := i + 1
			return c.YieldThen(func(c *luau.CallContext) error {
				c.PushNumber(next)
				c.PushNumber(next)
				return nil
			}, next)
		},
		// setblockallocations(b): upstream makes every allocation fail while blocked; here a
		// no-op (gc.luau passes with it; the OOM-robustness of the collector is not tested).
		"setblockallocations": func(c *luau.CallContext) error { return nil },
	}
	if err := registerConformanceInt64(s); err != nil {
		return err
	}
	names := make([]string, 0, len(helpers))
	for name := range helpers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.RegisterFunc(name, helpers[name]); err != nil {
			return err
		}
	}
	return nil
}

// cfInt64 is userdata.luau's int64: upstream defines it in C++ (a userdata holding an
// int64_t with arithmetic, comparison, tostring and a "value" field); here it is a type of
// the binding's userdata, with the same semantics.
type cfInt64 struct{ Value int64 }

// int64Of reads an int64 operand: an int64 userdata or a number (truncated, as lua_tointeger).
func int64Of(v any) (int64, error) {
	switch x := v.(type) {
	case *cfInt64:
		return x.Value, nil
	case float64:
		return int64(x), nil
	}
	return 0, fmt.Errorf("int64 expected, got %T", v)
}

func registerConformanceInt64(s *luau.State) error {
	arith := func(f func(a, b int64) int64) func(a, b any) (*cfInt64, error) {
		return func(a, b any) (*cfInt64, error) {
			x, err := int64Of(a)
			if err != nil {
				return nil, err
			}
			y, err := int64Of(b)
			if err != nil {
				return nil, err
			}
			return &cfInt64{f(x, y)}, nil
		}
	}
	divide := func(f func(a, b int64) int64) func(a, b any) (*cfInt64, error) {
		return func(a, b any) (*cfInt64, error) {
			if y, err := int64Of(b); err == nil && y == 0 {
				return nil, errors.New("int64 division by zero")
			}
			return arith(f)(a, b)
		}
	}
	compare := func(f func(a, b int64) bool) func(a, b any) (bool, error) {
		return func(a, b any) (bool, error) {
			x, err := int64Of(a)
			if err != nil {
				return false, err
			}
			y, err := int64Of(b)
			if err != nil {
				return false, err
			}
			return f(x, y), nil
		}
	}
	err := luau.RegisterType[cfInt64](s, "int64",
		luau.WithOperator("__add", arith(func(a, b int64) int64 { return a + b })),
		luau.WithOperator("__sub", arith(func(a, b int64) int64 { return a - b })),
		luau.WithOperator("__mul", arith(func(a, b int64) int64 { return a * b })),
		// C++ semantics: / truncates, % takes the dividend's sign, // floors the double quotient.
		luau.WithOperator("__div", divide(func(a, b int64) int64 { return a / b })),
		luau.WithOperator("__mod", divide(func(a, b int64) int64 { return a % b })),
		luau.WithOperator("__idiv", arith(func(a, b int64) int64 { return int64(math.Floor(float64(a) / float64(b))) })),
		luau.WithOperator("__pow", arith(func(a, b int64) int64 { return int64(math.Pow(float64(a), float64(b))) })),
		luau.WithOperator("__unm", func(a *cfInt64) *cfInt64 { return &cfInt64{-a.Value} }),
		luau.WithOperator("__eq", compare(func(a, b int64) bool { return a == b })),
		luau.WithOperator("__lt", compare(func(a, b int64) bool { return a < b })),
		luau.WithOperator("__le", compare(func(a, b int64) bool { return a <= b })),
		luau.WithOperator("__tostring", func(a *cfInt64) string { return strconv.FormatInt(a.Value, 10) }),
	)
	if err != nil {
		return err
	}
	// The global int64 is the constructor (it replaces the type's table of the same name).
	return s.Register("int64", func(n float64) *cfInt64 { return &cfInt64{int64(n)} })
}

// runConformanceScript runs one script on a fresh state: chunk name "=<file>", debug level
// 1, the given optimisation level. It passes when the last returned value is "OK".
func runConformanceScript(file string, src string, level int) error {
	s, err := luau.New(luau.WithSandbox()) // as upstream: luaL_sandbox + a per-chunk global table
	if err != nil {
		return err
	}
	defer s.Close()
	if err := registerConformanceHelpers(s); err != nil {
		return err
	}
	if file == "pcall.luau" {
		// Upstream caps single allocations at 8 MiB; a total limit of 16 MiB has the same
		// effect on the script (table.create(1e6) runs out of memory).
		if err := s.SetMemoryLimit(16 << 20); err != nil {
			return err
		}
	}
	// Compile at the level and run as a main chunk, as upstream's lua_resume of the main
	// thread: yieldable, coroutine.running() nil; a yield that reaches the runner fails the
	// script ("thread yielded unexpectedly" upstream).
	bc, err := luau.CompileWith(src, level, 1)
	if err != nil {
		return err
	}
	results, err := s.DoBytecode("="+file, bc)
	if err != nil {
		var lerr *luau.Error
		if errors.As(err, &lerr) && lerr.Traceback != "" {
			return fmt.Errorf("%v\n%s", err, lerr.Traceback)
		}
		return err
	}
	if len(results) == 0 {
		return errors.New("the script returned no values")
	}
	if last, _ := results[len(results)-1].(string); last != "OK" {
		return fmt.Errorf("the script's last result is %#v, not \"OK\"", results[len(results)-1])
	}
	return nil
}

func loadConformanceExpected(path string, scripts map[string]bool) (map[string]cfEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Entries []cfEntry `json:"entries"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	out := map[string]cfEntry{}
	for _, e := range doc.Entries {
		if !scripts[e.Script] {
			return nil, fmt.Errorf("%s: %q is not a script of the suite", path, e.Script)
		}
		levels := e.Opt
		if len(levels) == 0 {
			levels = conformanceLevels
		}
		for _, l := range levels {
			id := fmt.Sprintf("%s/O%d", strings.TrimSuffix(e.Script, ".luau"), l)
			if _, dup := out[id]; dup {
				return nil, fmt.Errorf("%s: %s listed twice", path, id)
			}
			out[id] = e
		}
	}
	return out, nil
}

func TestConformance(t *testing.T) {
	root := conformanceRoot(t)
	dir := conformanceDir(root)
	report := filepath.Join(root, "target", "conformance", "go.json")
	if dir == "" {
		fmt.Println(conformanceSkipped)
		t.Skip(conformanceSkipped)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.luau"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .luau scripts in %s (%v)", dir, err)
	}
	sort.Strings(files)
	scripts := map[string]bool{}
	for _, f := range files {
		scripts[filepath.Base(f)] = true
	}
	xfail, err := loadConformanceExpected(filepath.Join(root, "tests", "conformance", "expected_failures", "go.json"), scripts)
	if err != nil {
		t.Fatal(err)
	}

	results := map[string]cfResult{}
	for _, path := range files {
		file := filepath.Base(path)
		name := strings.TrimSuffix(file, ".luau")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			src := string(b)
			for _, level := range conformanceLevels {
				id := fmt.Sprintf("%s/O%d", name, level)
				t.Run(fmt.Sprintf("O%d", level), func(t *testing.T) {
					err := runConformanceScript(file, src, level)
					entry, listed := xfail[id]
					switch {
					case err != nil:
						results[id] = cfResult{Outcome: "fail", Detail: err.Error()}
						if listed {
							t.Logf("expected failure (%s: %s): %v", entry.Reason, entry.Detail, err)
						} else {
							t.Errorf("%s failed: %v", file, err)
						}
					default:
						results[id] = cfResult{Outcome: "pass"}
						if listed {
							t.Errorf("%s passed but is listed in expected_failures/go.json (%s: %s): remove the entry", id, entry.Reason, entry.Detail)
						}
					}
				})
			}
		})
	}
	if len(results) != len(files)*len(conformanceLevels) {
		t.Logf("conformance: %d of %d runs; report not written", len(results), len(files)*len(conformanceLevels))
		return
	}
	writeConformanceReport(t, report, map[string]any{"language": "go", "dir": dir, "cases": results})
}

func writeConformanceReport(t *testing.T, path string, doc map[string]any) {
	if p := os.Getenv("LUAU_CONFORMANCE_REPORT"); p != "" {
		path = p
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
