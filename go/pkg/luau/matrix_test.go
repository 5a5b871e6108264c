package luau

// The Go runner of the shared test matrix (tests/matrix: SCHEMA.md, HOSTFNS.md, cases/).
// Every case is a subtest TestMatrix/<group>/<case>. The runner honours
// tests/matrix/expected_failures/go.txt (a listed case that passes fails the run) and,
// when every case ran, writes target/matrix/go.json for tools/matrix_parity.py.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ---- case format ----

type mxGroup struct {
	Group string   `json:"group"`
	Cases []mxCase `json:"cases"`
}

type mxCase struct {
	Name        string         `json:"name"`
	Category    string         `json:"category"`
	Requirement string         `json:"requirement"`
	HostFns     []string       `json:"hostfns"`
	Script      *string        `json:"script"`
	Expect      *mxExpect      `json:"expect"`
	Steps       []mxStep       `json:"steps"`
	Bounds      *mxBounds      `json:"bounds"`
	Threads     *mxThreads     `json:"threads"`
	Options     *mxOptions     `json:"options"`
	Extra       map[string]any `json:"-"`
}

type mxOptions struct {
	Sandbox        bool    `json:"sandbox"`
	RunTimeoutMs   float64 `json:"run_timeout_ms"`
	MemoryLimitKiB float64 `json:"memory_limit_kib"`
	// An in-memory module tree (WithResolver(MapResolver)) and host modules (RegisterModule).
	Modules     map[string]string         `json:"modules"`
	HostModules map[string]map[string]any `json:"host_modules"`
}

func (o *mxOptions) options() []Option {
	if o == nil {
		return nil
	}
	var opts []Option
	if o.Sandbox {
		opts = append(opts, WithSandbox())
	}
	if o.RunTimeoutMs > 0 {
		opts = append(opts, WithRunTimeout(time.Duration(o.RunTimeoutMs*float64(time.Millisecond))))
	}
	if o.MemoryLimitKiB > 0 {
		opts = append(opts, WithMemoryLimit(uint64(o.MemoryLimitKiB*1024)))
	}
	if o.Modules != nil {
		opts = append(opts, WithResolver(MapResolver(o.Modules)))
	}
	return opts
}

type mxStep struct {
	Run            *string   `json:"run"`
	Call           *string   `json:"call"`
	Args           []any     `json:"args"`
	Register       *string   `json:"register"`
	As             *string   `json:"as"`
	Unregister     *string   `json:"unregister"`
	Close          bool      `json:"close"`
	GC             bool      `json:"gc"`
	Steps          []mxStep  `json:"steps"`
	FreshState     []mxStep  `json:"fresh_state"`
	HostFns        []string  `json:"hostfns"`
	ExpectRegistry *int      `json:"expect_registry"`
	Expect         *mxExpect `json:"expect"`
	Repeat         int       `json:"repeat"`
	Printed        *string   `json:"printed"`
	Thread         *string   `json:"thread"`
	Resume         *string   `json:"resume"`
	Status         *string   `json:"status"`
	DeadlineMs     float64   `json:"deadline_ms"`
	CancelAfterMs  float64   `json:"cancel_after_ms"`
	WithinMs       float64   `json:"within_ms"`
	// Handles (group values): a held table or function under a label.
	HandleCall   *string        `json:"handle_call"`
	HandleNew    *string        `json:"handle_new"`
	HandleGet    *string        `json:"handle_get"`
	HandleInvoke *string        `json:"handle_invoke"`
	Fields       map[string]any `json:"fields"`
	Path         []any          `json:"path"`
}

type mxExpect struct {
	OK      *bool         `json:"ok"`
	Values  []any         `json:"values"`
	Yielded []any         `json:"yielded"`
	Error   *mxErrorMatch `json:"error"`
}

type mxErrorMatch struct {
	Kind         string   `json:"kind"`
	Contains     []string `json:"contains"`
	HostIdentity bool     `json:"host_identity"`
	// TracebackOnce: fragments the traceback holds exactly once each, in order.
	TracebackOnce []string `json:"traceback_once"`
}

type mxBounds struct {
	HeapKiB float64 `json:"luau_heap_growth_kib"`
	RSSMiB  float64 `json:"rss_growth_mib"`
}

type mxThreads struct {
	Count int `json:"count"`
	Churn int `json:"churn"`
}

// ---- the host-function catalogue (HOSTFNS.md) ----

// HostFailure is the catalogue's failure error: `fail` returns one.
type HostFailure struct{ Msg string }

func (e *HostFailure) Error() string { return e.Msg }

// mxEnv is one state of a case, with the catalogue's per-state data.
type mxEnv struct {
	s         *State
	counter   int
	mu        sync.Mutex
	failures  map[*HostFailure]bool // every failure `fail` created, for host_identity
	vec3Dtors int                   // Vec3 destructors run (typed catalogue: vec3_count)
	sharedVec *mxVec3               // the host's shared Vec3 (shared_vec, shared_vec_x)
	opts      *mxOptions
	printed   bytes.Buffer       // the capturing print sink
	threads   map[string]*Thread // host-held threads by label
	handles   map[string]any     // host-held *Table / *Function by label (handle_* steps)
	parent    *mxEnv             // the env of a fresh_state step: its handles are visible
}

// handle finds the handle labelled label in env or the env it was made from.
func (env *mxEnv) handle(label string) (any, error) {
	for e := env; e != nil; e = e.parent {
		if h, ok := e.handles[label]; ok {
			return h, nil
		}
	}
	return nil, fmt.Errorf("no handle %q", label)
}

// args builds step arguments; {"handle": LABEL} is the handle itself.
func (env *mxEnv) args(args []any) ([]any, error) {
	plain := make([]any, len(args))
	copy(plain, args)
	var held map[int]any
	for i, a := range args {
		if m, ok := a.(map[string]any); ok && m["handle"] != nil {
			h, err := env.handle(fmt.Sprint(m["handle"]))
			if err != nil {
				return nil, err
			}
			if held == nil {
				held = map[int]any{}
			}
			held[i], plain[i] = h, nil
		}
	}
	out, err := buildArgs(plain)
	if err != nil {
		return nil, err
	}
	for i, h := range held {
		out[i] = h
	}
	return out, nil
}

// fullGC is the Go side's full collection: Go's GC (handles the program dropped are queued
// by their cleanups, which run on their own goroutine), then the state's, whose entry
// releases the queued references first.
func (env *mxEnv) fullGC() error {
	for i := 0; i < 2; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	return env.s.GC()
}

// runHandleStep runs the handle_* actions (group values).
func (env *mxEnv) runHandleStep(st mxStep) ([]any, error) {
	switch {
	case st.HandleCall != nil:
		label := *st.HandleCall
		if st.As != nil {
			label = *st.As
		}
		args, err := env.args(st.Args)
		if err != nil {
			return nil, err
		}
		g, err := env.s.Global(*st.HandleCall)
		if err != nil {
			return nil, err
		}
		fn, ok := g.(*Function)
		if !ok {
			return nil, fmt.Errorf("global %q is a %s, not a function", *st.HandleCall, luauTypeName(g))
		}
		defer fn.Release()
		res, err := fn.CallHandles(args...)
		if err != nil {
			return nil, err
		}
		if len(res) == 0 {
			return nil, fmt.Errorf("%s returned nothing to hold", *st.HandleCall)
		}
		switch res[0].(type) {
		case *Table, *Function:
		default:
			return nil, fmt.Errorf("%s returned a %s, not a table or function", *st.HandleCall, luauTypeName(res[0]))
		}
		env.handles[label] = res[0] // a handle held before under label is dropped, not released
		return nil, nil
	case st.HandleNew != nil:
		t, err := env.s.NewTable()
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(st.Fields))
		for k := range st.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := env.args([]any{st.Fields[k]})
			if err != nil {
				return nil, err
			}
			if err := t.Set(k, v[0]); err != nil {
				return nil, err
			}
		}
		env.handles[*st.HandleNew] = t
		return nil, nil
	case st.HandleGet != nil:
		h, err := env.handle(*st.HandleGet)
		if err != nil {
			return nil, err
		}
		t, ok := h.(*Table)
		if !ok || len(st.Path) == 0 {
			return nil, fmt.Errorf("handle_get needs a table handle and a path")
		}
		for _, k := range st.Path[:len(st.Path)-1] {
			if t, err = t.GetTable(k); err != nil {
				return nil, err
			}
		}
		v, err := t.Get(st.Path[len(st.Path)-1])
		if err != nil {
			return nil, err
		}
		return []any{v}, nil
	case st.HandleInvoke != nil:
		h, err := env.handle(*st.HandleInvoke)
		if err != nil {
			return nil, err
		}
		f, ok := h.(*Function)
		if !ok {
			return nil, fmt.Errorf("handle %q is not a function", *st.HandleInvoke)
		}
		args, err := env.args(st.Args)
		if err != nil {
			return nil, err
		}
		return f.Call(args...)
	}
	return nil, errors.New("no handle action")
}

// close closes the env's threads and its state.
func (env *mxEnv) close() error {
	for _, t := range env.threads {
		t.Close()
	}
	return env.s.Close()
}

func newEnv(hostfns []string, o ...*mxOptions) (*mxEnv, error) {
	var opts *mxOptions
	if len(o) > 0 {
		opts = o[0]
	}
	env := &mxEnv{failures: map[*HostFailure]bool{}, opts: opts, threads: map[string]*Thread{}, handles: map[string]any{}}
	s, err := New(append(append(opts.options(), mxCodegenOptions()...), WithPrint(&env.printed))...)
	if err != nil {
		return nil, err
	}
	env.s = s
	for _, name := range hostfns {
		fn := env.catalogue(name)
		if fn == nil {
			if reg := env.typedCatalogue(name); reg != nil {
				if err := reg(name); err != nil {
					s.Close()
					return nil, err
				}
				continue
			}
			s.Close()
			return nil, fmt.Errorf("hostfns: %q is not in the catalogue", name)
		}
		if err := s.RegisterFunc(name, fn); err != nil {
			s.Close()
			return nil, err
		}
	}
	if opts != nil {
		for name, fields := range opts.HostModules {
			if err := s.RegisterModule(name, fields); err != nil {
				s.Close()
				return nil, err
			}
		}
	}
	return env, nil
}

var catalogueNames = []string{"hello", "noop", "nil_result", "add", "echo", "concat", "count_args",
	"multi", "len", "repeat_str", "sum_table", "make_table", "fail", "panic", "call_back", "call_fn",
	"counter", "sleep_us", "register_during_call", "unregister", "unregister_self", "yield_values",
	"reset_thread", "yield_then_double"}

func integral(c *CallContext, i int) (int, error) {
	f, err := c.Number(i)
	if err != nil {
		return 0, err
	}
	if f != float64(int(f)) || f < 0 {
		return 0, c.ArgError(i, "integral number expected")
	}
	return int(f), nil
}

func pushAll(c *CallContext, vals []any) error {
	for _, v := range vals {
		if err := c.Push(v); err != nil {
			return err
		}
		if f, ok := v.(*Function); ok {
			f.Release()
		}
	}
	return nil
}

func (env *mxEnv) catalogue(name string) GoFunc {
	switch name {
	case "hello":
		return func(c *CallContext) error { c.PushString("hello from host"); return nil }
	case "noop":
		return func(c *CallContext) error { return nil }
	case "nil_result":
		return func(c *CallContext) error { c.PushNil(); return nil }
	case "add":
		return addFunc
	case "echo":
		return func(c *CallContext) error {
			for i := 1; i <= c.NArgs(); i++ {
				c.PushArg(i)
			}
			return nil
		}
	case "concat":
		return func(c *CallContext) error {
			var b strings.Builder
			for i := 1; i <= c.NArgs(); i++ {
				s, err := c.String(i)
				if err != nil {
					return err
				}
				b.WriteString(s)
			}
			c.PushString(b.String())
			return nil
		}
	case "count_args":
		return func(c *CallContext) error { c.PushNumber(float64(c.NArgs())); return nil }
	case "multi":
		return func(c *CallContext) error {
			n, err := integral(c, 1)
			if err != nil {
				return err
			}
			for i := 1; i <= n; i++ {
				c.PushNumber(float64(i))
			}
			return nil
		}
	case "len":
		return func(c *CallContext) error {
			s, err := c.String(1)
			if err != nil {
				return err
			}
			c.PushNumber(float64(len(s)))
			return nil
		}
	case "repeat_str":
		return func(c *CallContext) error {
			s, err := c.String(1)
			if err != nil {
				return err
			}
			n, err := integral(c, 2)
			if err != nil {
				return err
			}
			c.PushString(strings.Repeat(s, n))
			return nil
		}
	case "sum_table":
		return func(c *CallContext) error {
			if c.Type(1) != TypeTable {
				return c.TypeError(1, "table")
			}
			var sum float64
			for i := 1; i <= c.Len(1); i++ {
				v, err := c.Index(1, int64(i))
				if err != nil {
					return err
				}
				f, ok := v.(float64)
				if !ok {
					return fmt.Errorf("sum_table: element %d is not a number", i)
				}
				sum += f
			}
			c.PushNumber(sum)
			return nil
		}
	case "make_table":
		return func(c *CallContext) error {
			n, err := integral(c, 1)
			if err != nil {
				return err
			}
			t := make([]any, n)
			for i := range t {
				t[i] = float64(i + 1)
			}
			return c.Push(t)
		}
	case "fail":
		return func(c *CallContext) error {
			msg, err := c.String(1)
			if err != nil {
				return err
			}
			f := &HostFailure{Msg: strings.Clone(msg)}
			env.mu.Lock()
			if len(env.failures) < 1000 {
				env.failures[f] = true
			}
			env.mu.Unlock()
			return f
		}
	case "panic":
		return func(c *CallContext) error {
			msg, err := c.String(1)
			if err != nil {
				return err
			}
			panic(strings.Clone(msg))
		}
	case "call_back":
		return func(c *CallContext) error {
			fname, err := c.String(1)
			if err != nil {
				return err
			}
			args := make([]any, 0, c.NArgs())
			for i := 2; i <= c.NArgs(); i++ {
				args = append(args, c.Ref(i))
			}
			res, err := c.Call(strings.Clone(fname), args...)
			if err != nil {
				return err
			}
			return pushAll(c, res)
		}
	case "call_fn":
		return func(c *CallContext) error {
			args := make([]any, 0, c.NArgs())
			for i := 2; i <= c.NArgs(); i++ {
				args = append(args, c.Ref(i))
			}
			res, err := c.CallArg(1, args...)
			if err != nil {
				return err
			}
			return pushAll(c, res)
		}
	case "counter":
		return func(c *CallContext) error {
			env.counter++
			c.PushNumber(float64(env.counter))
			return nil
		}
	case "sleep_us":
		return func(c *CallContext) error {
			n, err := c.Number(1)
			if err != nil {
				return err
			}
			time.Sleep(time.Duration(n * float64(time.Microsecond)))
			return nil
		}
	case "register_during_call":
		return func(c *CallContext) error {
			name, err := c.String(1)
			if err != nil {
				return err
			}
			if err := env.s.RegisterFunc(strings.Clone(name), env.catalogue("add")); err != nil {
				return err
			}
			c.PushBool(true)
			return nil
		}
	case "unregister":
		return func(c *CallContext) error {
			name, err := c.String(1)
			if err != nil {
				return err
			}
			if err := env.s.UnregisterFunc(name); err != nil {
				return err
			}
			c.PushBool(true)
			return nil
		}
	case "unregister_self":
		return func(c *CallContext) error {
			if err := env.s.UnregisterFunc(c.Name()); err != nil {
				return err
			}
			c.PushString("unregistered")
			return nil
		}
	case "yield_then_double":
		return func(c *CallContext) error {
			return c.YieldThen(func(c *CallContext) error {
				n, err := c.Number(1)
				if err != nil {
					return err
				}
				c.PushNumber(n * 2)
				return nil
			}, c.Ref(1))
		}
	case "reset_thread":
		return func(c *CallContext) error {
			v, err := c.Arg(1)
			if err != nil {
				return err
			}
			th, ok := v.(*Thread)
			if !ok {
				return c.ArgError(1, "thread expected")
			}
			body, err := env.s.Global("tostring")
			if err != nil {
				return err
			}
			fn, ok := body.(*Function)
			if !ok {
				return fmt.Errorf("tostring is %T", body)
			}
			defer fn.Release()
			var lerr *Error
			switch err := th.Reset(fn); {
			case err == nil:
				c.PushString("ok")
			case errors.As(err, &lerr):
				c.PushString(lerr.Kind.String())
			default:
				return err
			}
			return nil
		}
	case "yield_values":
		return func(c *CallContext) error {
			vals := make([]any, c.NArgs())
			for i := range vals {
				vals[i] = c.Ref(i + 1)
			}
			return c.Yield(vals...)
		}
	}
	return nil
}

// ---- the typed catalogue (HOSTFNS.md, "Typed catalogue") ----

// mxVec3 and mxCounter are the catalogue's userdata types.
type mxVec3 struct{ X, Y, Z float64 }

func (v *mxVec3) Len() float64            { return math.Sqrt(v.X*v.X + v.Y*v.Y + v.Z*v.Z) }
func (v *mxVec3) Scale(k float64) *mxVec3 { return &mxVec3{v.X * k, v.Y * k, v.Z * k} }

type mxCounter struct {
	N int `luau:"n,readonly"`
}

func (c *mxCounter) Inc() int { c.N++; return c.N }

type mxPoint struct{ X, Y float64 }

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// typedCatalogue returns the registration of a typed catalogue entry under a given name
// (a function's global name; a type's name is fixed), or nil.
func (env *mxEnv) typedCatalogue(name string) func(as string) error {
	s := env.s
	fns := map[string]any{
		"t_add":   func(a, b int) int { return a + b },
		"t_addf":  func(a, b float64) float64 { return a + b },
		"t_u8":    func(x uint8) uint8 { return x },
		"t_greet": func(name string) string { return "hello, " + name },
		"t_sum": func(xs []float64) float64 {
			sum := 0.0
			for _, x := range xs {
				sum += x
			}
			return sum
		},
		"t_join":  func(sep string, parts ...string) string { return strings.Join(parts, sep) },
		"t_point": func() mxPoint { return mxPoint{1, 2} },
		"t_norm":  func(p mxPoint) float64 { return p.X*p.X + p.Y*p.Y },
		"t_divide": func(a, b float64) (float64, error) {
			if b == 0 {
				return 0, errors.New("division by zero")
			}
			return a / b, nil
		},
		"t_pair":     func() (int, string, bool) { return 1, "two", true },
		"t_make_vec": func(x float64) mxVec3 { return mxVec3{x, x, x} },
		"vec3_x":     func(v *mxVec3) float64 { return v.X },
		"vec3_count": func() int { return env.vec3Dtors },
		"shared_vec_x": func() float64 {
			if env.sharedVec == nil {
				return math.NaN()
			}
			return env.sharedVec.X
		},
	}
	if fn, ok := fns[name]; ok {
		return func(as string) error { return s.Register(as, fn) }
	}
	switch name {
	case "shared_vec":
		return func(as string) error {
			env.sharedVec = &mxVec3{}
			return s.Register(as, func() *mxVec3 { return env.sharedVec })
		}
	case "Vec3":
		return func(string) error {
			return RegisterType[mxVec3](s, "Vec3",
				WithConstructor(func(x, y, z float64) *mxVec3 { return &mxVec3{x, y, z} }),
				WithOperator("__add", func(a, b *mxVec3) *mxVec3 { return &mxVec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }),
				WithOperator("__sub", func(a, b *mxVec3) *mxVec3 { return &mxVec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }),
				WithOperator("__mul", func(a *mxVec3, k float64) *mxVec3 { return a.Scale(k) }),
				WithOperator("__unm", func(a *mxVec3) *mxVec3 { return a.Scale(-1) }),
				WithOperator("__eq", func(a, b *mxVec3) bool { return *a == *b }),
				WithOperator("__lt", func(a, b *mxVec3) bool { return a.Len() < b.Len() }),
				WithOperator("__le", func(a, b *mxVec3) bool { return a.Len() <= b.Len() }),
				WithOperator("__len", func(a *mxVec3) int { return 3 }),
				WithOperator("__tostring", func(a *mxVec3) string {
					return "Vec3(" + fmtNum(a.X) + ", " + fmtNum(a.Y) + ", " + fmtNum(a.Z) + ")"
				}),
				WithDestructor(func(*mxVec3) { env.vec3Dtors++ }),
				WithListConstructor(func(xs []float64) (*mxVec3, error) {
					if len(xs) != 3 {
						return nil, errors.New("Vec3 expected, got table")
					}
					return &mxVec3{xs[0], xs[1], xs[2]}, nil
				}),
			)
		}
	case "Counter":
		return func(string) error {
			return RegisterType[mxCounter](s, "Counter", WithConstructor(func() *mxCounter { return &mxCounter{} }))
		}
	}
	return nil
}

// ownedEntries counts the registry entries owned by st.
func ownedEntries(st *state) int {
	n := 0
	registry.each(func(e *entry) {
		if e.st == st {
			n++
		}
	})
	return n
}

// ---- running steps ----

type mxOutcome struct {
	values   []any
	err      error
	panicked bool
	payload  any
	resumed  bool // a resume step: yielded is meaningful
	yielded  bool
}

// mxStopLatencies records the duration of every step with within_ms (reported by TestMatrix).
var (
	mxLatencyMu     sync.Mutex
	mxStopLatencies []string
)

// stepContext is the context of a step with deadline_ms (Background otherwise).
func stepContext(st mxStep) (context.Context, context.CancelFunc) {
	if st.DeadlineMs > 0 {
		return context.WithTimeout(context.Background(), time.Duration(st.DeadlineMs*float64(time.Millisecond)))
	}
	return context.Background(), func() {}
}

// canceller interrupts env's state from another goroutine after ms, retrying until a run
// is going on; the returned func stops it and waits for it.
func (env *mxEnv) canceller(ms float64) func() {
	if ms <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-done:
			return
		case <-time.After(time.Duration(ms * float64(time.Millisecond))):
		}
		for !env.s.Interrupt() {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}

func capture(f func() ([]any, error)) (out mxOutcome) {
	defer func() {
		if v := recover(); v != nil {
			out = mxOutcome{panicked: true, payload: v}
		}
	}()
	vals, err := f()
	return mxOutcome{values: vals, err: err}
}

func (env *mxEnv) runSteps(steps []mxStep, path string) error {
	for i, st := range steps {
		rep := st.Repeat
		if rep <= 0 {
			rep = 1
		}
		for r := 0; r < rep; r++ {
			if err := env.runStep(st, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				if rep > 1 {
					return fmt.Errorf("%w (repetition %d of %d)", err, r+1, rep)
				}
				return err
			}
		}
	}
	return nil
}

func (env *mxEnv) runStep(st mxStep, where string) error {
	var out mxOutcome
	ctx, cancel := stepContext(st)
	defer cancel()
	stopCanceller := env.canceller(st.CancelAfterMs)
	start := time.Now()
	switch {
	case st.Run != nil:
		out = capture(func() ([]any, error) {
			if st.DeadlineMs > 0 {
				return env.s.DoStringContext(ctx, *st.Run)
			}
			return env.s.DoString(*st.Run)
		})
	case st.HandleCall != nil || st.HandleNew != nil || st.HandleGet != nil || st.HandleInvoke != nil:
		out = capture(func() ([]any, error) { return env.runHandleStep(st) })
	case st.Call != nil:
		args, err := env.args(st.Args)
		if err != nil {
			stopCanceller()
			return fmt.Errorf("step %s: %v", where, err)
		}
		out = capture(func() ([]any, error) {
			if st.DeadlineMs > 0 {
				return env.s.CallContext(ctx, *st.Call, args...)
			}
			return env.s.Call(*st.Call, args...)
		})
	case st.Printed != nil:
		got := env.printed.String()
		env.printed.Reset()
		stopCanceller()
		if got != *st.Printed {
			return fmt.Errorf("step %s: printed %q, want %q", where, got, *st.Printed)
		}
		return nil
	case st.Thread != nil:
		label := *st.Thread
		if st.As != nil {
			label = *st.As
		}
		out = capture(func() ([]any, error) {
			g, err := env.s.Global(*st.Thread)
			if err != nil {
				return nil, err
			}
			fn, ok := g.(*Function)
			if !ok {
				return nil, fmt.Errorf("global %q is a %s, not a function", *st.Thread, luauTypeName(g))
			}
			defer fn.Release()
			t, err := env.s.NewThread(fn)
			if err != nil {
				return nil, err
			}
			if old := env.threads[label]; old != nil {
				old.Close()
			}
			env.threads[label] = t
			return nil, nil
		})
	case st.Resume != nil:
		t := env.threads[*st.Resume]
		if t == nil {
			stopCanceller()
			return fmt.Errorf("step %s: no thread %q", where, *st.Resume)
		}
		args, err := env.args(st.Args)
		if err != nil {
			stopCanceller()
			return fmt.Errorf("step %s: %v", where, err)
		}
		var yielded bool
		out = capture(func() (vals []any, err error) {
			if st.DeadlineMs > 0 {
				vals, yielded, err = t.ResumeContext(ctx, args...)
			} else {
				vals, yielded, err = t.Resume(args...)
			}
			return vals, err
		})
		out.resumed, out.yielded = true, yielded
	case st.Status != nil:
		t := env.threads[*st.Status]
		if t == nil {
			stopCanceller()
			return fmt.Errorf("step %s: no thread %q", where, *st.Status)
		}
		out = mxOutcome{values: []any{t.Status().String()}}
	case st.Register != nil:
		fn := env.catalogue(*st.Register)
		reg := env.typedCatalogue(*st.Register)
		if fn == nil && reg == nil {
			return fmt.Errorf("step %s: %q is not in the catalogue", where, *st.Register)
		}
		as := *st.Register
		if st.As != nil {
			as = *st.As
		}
		if fn != nil {
			out = capture(func() ([]any, error) { return nil, env.s.RegisterFunc(as, fn) })
		} else {
			out = capture(func() ([]any, error) { return nil, reg(as) })
		}
	case st.Unregister != nil:
		out = capture(func() ([]any, error) { return nil, env.s.UnregisterFunc(*st.Unregister) })
	case st.Close:
		out = capture(func() ([]any, error) { return nil, env.s.Close() })
	case st.GC:
		out = capture(func() ([]any, error) { return nil, env.fullGC() })
	case st.Steps != nil:
		if err := env.runSteps(st.Steps, where); err != nil {
			return err
		}
	case st.FreshState != nil:
		fresh, err := newEnv(st.HostFns, env.opts)
		if err != nil {
			return fmt.Errorf("step %s: fresh state: %v", where, err)
		}
		fresh.parent = env
		err = fresh.runSteps(st.FreshState, where)
		if cerr := fresh.close(); err == nil && cerr != nil {
			err = fmt.Errorf("step %s: close: %v", where, cerr)
		}
		if err != nil {
			return err
		}
	case st.ExpectRegistry != nil:
		if n := ownedEntries(env.s.st); n != *st.ExpectRegistry {
			return fmt.Errorf("step %s: registry holds %d entries of this state, want %d", where, n, *st.ExpectRegistry)
		}
		return nil
	default:
		stopCanceller()
		return fmt.Errorf("step %s: no action", where)
	}
	elapsed := time.Since(start)
	stopCanceller()
	for _, v := range out.values {
		if f, ok := v.(*Function); ok {
			defer f.Release()
		}
	}
	if err := env.check(out, st.Expect); err != nil {
		return fmt.Errorf("step %s: %v", where, err)
	}
	if st.DeadlineMs > 0 && st.Expect != nil && st.Expect.Error != nil && st.Expect.Error.Kind == "interrupted" &&
		!errors.Is(out.err, context.DeadlineExceeded) {
		return fmt.Errorf("step %s: errors.Is(err, context.DeadlineExceeded) is false for %s", where, describe(out))
	}
	if st.WithinMs > 0 {
		ms := float64(elapsed) / float64(time.Millisecond)
		mxLatencyMu.Lock()
		mxStopLatencies = append(mxStopLatencies, fmt.Sprintf("%s: %.1f ms (bound %.0f ms)", where, ms, st.WithinMs))
		mxLatencyMu.Unlock()
		if ms > st.WithinMs {
			return fmt.Errorf("step %s: took %.1f ms, bound %.0f ms", where, ms, st.WithinMs)
		}
	}
	return nil
}

func buildArgs(args []any) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		m, ok := a.(map[string]any)
		if !ok {
			out[i] = a
			continue
		}
		switch {
		case m["bytes_hex"] != nil:
			b, err := hex.DecodeString(m["bytes_hex"].(string))
			if err != nil {
				return nil, err
			}
			out[i] = string(b)
		case m["string_len"] != nil:
			out[i] = strings.Repeat("x", int(m["string_len"].(float64)))
		case m["vector"] != nil:
			v, err := toVector(m["vector"])
			if err != nil {
				return nil, err
			}
			out[i] = v
		default:
			return nil, fmt.Errorf("unsupported argument form %v", m)
		}
	}
	return out, nil
}

func toVector(x any) (Vector, error) {
	c, ok := x.([]any)
	if !ok || len(c) != 3 {
		return Vector{}, fmt.Errorf("bad vector %v", x)
	}
	var f [3]float32
	for i := range f {
		n, ok := c[i].(float64)
		if !ok {
			return Vector{}, fmt.Errorf("bad vector %v", x)
		}
		f[i] = float32(n)
	}
	return Vector{f[0], f[1], f[2]}, nil
}

func describe(out mxOutcome) string {
	switch {
	case out.panicked:
		return fmt.Sprintf("panic(%v)", out.payload)
	case out.err != nil:
		var le *Error
		if errors.As(out.err, &le) {
			return fmt.Sprintf("error kind %s: %q", le.Kind, le.Message)
		}
		return fmt.Sprintf("error %T: %v", out.err, out.err)
	}
	return fmt.Sprintf("values %s", short(fmt.Sprintf("%#v", out.values)))
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func (env *mxEnv) check(out mxOutcome, exp *mxExpect) error {
	if exp != nil && exp.Yielded != nil {
		if out.panicked || out.err != nil {
			return fmt.Errorf("want yielded values, got %s", describe(out))
		}
		if !out.resumed || !out.yielded {
			return fmt.Errorf("want a yield, got a return of %s", describe(out))
		}
		return env.check(mxOutcome{values: out.values}, &mxExpect{Values: exp.Yielded})
	}
	if out.resumed && out.yielded && exp != nil && exp.Values != nil {
		return fmt.Errorf("want a return, got a yield of %s", describe(out))
	}
	if exp == nil || exp.Error == nil && exp.Values == nil {
		if out.panicked || out.err != nil {
			return fmt.Errorf("want success, got %s", describe(out))
		}
		return nil
	}
	if exp.Error != nil {
		want := exp.Error
		var kind, msg string
		switch {
		case out.panicked:
			kind, msg = "panic", fmt.Sprint(out.payload)
		case out.err != nil:
			var le *Error
			if !errors.As(out.err, &le) {
				return fmt.Errorf("error is %T, not *luau.Error: %v", out.err, out.err)
			}
			kind, msg = le.Kind.String(), le.Message
			if le.Kind == KindPanic {
				return fmt.Errorf("a panic was returned as an error instead of resumed: %q", msg)
			}
		default:
			return fmt.Errorf("want error kind %s, got %s", want.Kind, describe(out))
		}
		if kind != want.Kind {
			return fmt.Errorf("want error kind %s, got %s", want.Kind, describe(out))
		}
		for _, frag := range want.Contains {
			if !strings.Contains(msg, frag) {
				return fmt.Errorf("error message %q lacks %q", msg, frag)
			}
		}
		if len(want.TracebackOnce) > 0 {
			var le *Error
			if !errors.As(out.err, &le) {
				return fmt.Errorf("want a traceback, got %s", describe(out))
			}
			if strings.Contains(le.Message, "stack traceback:") {
				return fmt.Errorf("error message %q holds traceback text", le.Message)
			}
			at := 0
			for _, frag := range want.TracebackOnce {
				if n := strings.Count(le.Traceback, frag); n != 1 {
					return fmt.Errorf("traceback holds %q %d times, want once:\n%s", frag, n, le.Traceback)
				}
				i := strings.Index(le.Traceback, frag)
				if i < at {
					return fmt.Errorf("traceback holds %q out of order:\n%s", frag, le.Traceback)
				}
				at = i
			}
		}
		if want.HostIdentity {
			var hf *HostFailure
			if !errors.As(out.err, &hf) {
				return fmt.Errorf("error does not wrap the host failure: %s", describe(out))
			}
			env.mu.Lock()
			known := env.failures[hf]
			env.mu.Unlock()
			if !known || hf.Msg != msg {
				return fmt.Errorf("wrapped failure %p %q is not the one fail created (message %q)", hf, hf.Msg, msg)
			}
		}
		return nil
	}
	if out.panicked || out.err != nil {
		return fmt.Errorf("want values, got %s", describe(out))
	}
	if len(out.values) != len(exp.Values) {
		return fmt.Errorf("want %d values, got %s", len(exp.Values), describe(out))
	}
	for i, w := range exp.Values {
		if err := matchValue(out.values[i], w); err != nil {
			return fmt.Errorf("value %d: %v", i+1, err)
		}
	}
	return nil
}

func luauTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case int64:
		return "integer"
	case string:
		return "string"
	case Vector:
		return "vector"
	case map[any]any, []any, *Table:
		return "table"
	case *Function:
		return "function"
	case *Thread:
		return "thread"
	case Opaque:
		return x.Type.String()
	}
	return fmt.Sprintf("%T", v)
}

func matchValue(got, want any) error {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return fmt.Errorf("want nil, got %#v", got)
		}
	case bool:
		if g, ok := got.(bool); !ok || g != w {
			return fmt.Errorf("want %v, got %#v", w, got)
		}
	case float64:
		g, ok := got.(float64)
		if i, isInt := got.(int64); isInt {
			g, ok = float64(i), true
		}
		if !ok || g != w {
			return fmt.Errorf("want %v, got %#v", w, got)
		}
	case string:
		if g, ok := got.(string); !ok || g != w {
			return fmt.Errorf("want %q, got %s", w, short(fmt.Sprintf("%#v", got)))
		}
	case map[string]any:
		switch {
		case w["bytes_hex"] != nil:
			b, _ := hex.DecodeString(w["bytes_hex"].(string))
			if g, ok := got.(string); !ok || g != string(b) {
				return fmt.Errorf("want bytes %x, got %#v", b, got)
			}
		case w["string_len"] != nil:
			n := int(w["string_len"].(float64))
			if g, ok := got.(string); !ok || len(g) != n {
				return fmt.Errorf("want a string of %d bytes, got %s", n, luauTypeName(got))
			}
		case w["vector"] != nil:
			v, err := toVector(w["vector"])
			if err != nil {
				return err
			}
			if g, ok := got.(Vector); !ok || g != v {
				return fmt.Errorf("want %v, got %#v", v, got)
			}
		case w["type"] != nil:
			if luauTypeName(got) != w["type"] {
				return fmt.Errorf("want a %v, got %s", w["type"], luauTypeName(got))
			}
		case w["sequence"] != nil:
			seq, ok := got.([]any)
			want, _ := w["sequence"].([]any)
			if !ok || len(seq) != len(want) {
				return fmt.Errorf("want a sequence of %d values, got %s", len(want), short(fmt.Sprintf("%#v", got)))
			}
			for i := range want {
				if err := matchValue(seq[i], want[i]); err != nil {
					return fmt.Errorf("element %d: %v", i+1, err)
				}
			}
		case w["shared_entries"] != nil:
			idx, _ := w["shared_entries"].([]any)
			m, ok := tableMap(got)
			if !ok || len(idx) < 2 {
				return fmt.Errorf("want a table with shared entries %v, got %s", idx, luauTypeName(got))
			}
			var first uintptr
			for j, k := range idx {
				e := m[k]
				if luauTypeName(e) != "table" {
					return fmt.Errorf("entry %v is a %s, not a table", k, luauTypeName(e))
				}
				p := reflect.ValueOf(e).Pointer()
				if j == 0 {
					first = p
				} else if p != first {
					return fmt.Errorf("entries %v and %v are different Go values of one Luau table", idx[0], k)
				}
			}
		default:
			return fmt.Errorf("unsupported expected form %v", w)
		}
	default:
		return fmt.Errorf("unsupported expected value %#v", want)
	}
	return nil
}

// ---- cases ----

func (c *mxCase) steps() []mxStep {
	if c.Script != nil {
		return []mxStep{{Run: c.Script, Expect: c.Expect}}
	}
	return c.Steps
}

func runSingle(c *mxCase) error {
	env, err := newEnv(c.HostFns, c.Options)
	if err != nil {
		return err
	}
	err = env.runSteps(c.steps(), "steps")
	if cerr := env.close(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %v", cerr)
	}
	return err
}

func rssBytes() (uint64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	var size, resident uint64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		return 0, err
	}
	return resident * uint64(os.Getpagesize()), nil
}

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

func runMemory(c *mxCase) error {
	env, err := newEnv(c.HostFns, c.Options)
	if err != nil {
		return err
	}
	defer env.close()
	if err := env.runSteps(c.steps(), "warm-up"); err != nil {
		return err
	}
	if err := env.fullGC(); err != nil {
		return err
	}
	settle()
	heap0 := env.s.MemoryUsed()
	rss0, _ := rssBytes()
	if err := env.runSteps(c.steps(), "steps"); err != nil {
		return err
	}
	if err := env.fullGC(); err != nil {
		return err
	}
	settle()
	heap1 := env.s.MemoryUsed()
	rss1, _ := rssBytes()
	heapGrowth := (float64(heap1) - float64(heap0)) / 1024
	rssGrowth := (float64(rss1) - float64(rss0)) / (1 << 20)
	if heapGrowth > c.Bounds.HeapKiB {
		return fmt.Errorf("Luau heap grew by %.1f KiB (bound %.0f KiB)", heapGrowth, c.Bounds.HeapKiB)
	}
	if rssGrowth > c.Bounds.RSSMiB {
		return fmt.Errorf("RSS grew by %.1f MiB (bound %.0f MiB)", rssGrowth, c.Bounds.RSSMiB)
	}
	return nil
}

func churnCycle(rnd int) error {
	env, err := newEnv(nil)
	if err != nil {
		return err
	}
	defer env.s.Close()
	for _, name := range catalogueNames {
		if err := env.s.RegisterFunc(name, env.catalogue(name)); err != nil {
			return err
		}
	}
	got, err := env.s.Call("add", rnd, 1)
	if err != nil {
		return err
	}
	if len(got) != 1 || got[0] != float64(rnd+1) {
		return fmt.Errorf("churn add = %v", got)
	}
	for i, name := range catalogueNames {
		if i%2 == 0 {
			if err := env.s.UnregisterFunc(name); err != nil {
				return err
			}
		}
	}
	return env.s.Close()
}

func runConcurrent(c *mxCase) error {
	before := RegistrySize()
	var wg sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, c.Threads.Count+c.Threads.Churn)
	var churnWG sync.WaitGroup
	var cycles atomic.Int64
	for i := 0; i < c.Threads.Churn; i++ {
		churnWG.Add(1)
		go func() {
			defer churnWG.Done()
			for n := 0; !done.Load(); n++ {
				if err := churnCycle(n); err != nil {
					errs <- fmt.Errorf("churn: %v", err)
					return
				}
				cycles.Add(1)
			}
		}()
	}
	for i := 0; i < c.Threads.Count; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := runSingle(c); err != nil {
				errs <- fmt.Errorf("thread %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	done.Store(true)
	churnWG.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	if after := RegistrySize(); after != before {
		return fmt.Errorf("registry holds %d entries after the case, %d before", after, before)
	}
	if c.Threads.Churn > 0 && cycles.Load() == 0 {
		return fmt.Errorf("no churn cycle completed")
	}
	return nil
}

func runCase(c *mxCase) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("runner panic: %v\n%s", v, debug.Stack())
		}
	}()
	switch {
	case c.Threads != nil:
		return runConcurrent(c)
	case c.Bounds != nil:
		return runMemory(c)
	}
	return runSingle(c)
}

// ---- the test ----

func repoRoot(t *testing.T) string {
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

func readExpectedFailures(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, "#")
		out[strings.TrimSpace(id)] = strings.TrimSpace(reason)
	}
	return out, sc.Err()
}

type mxResult struct {
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
}

func TestMatrix(t *testing.T) {
	root := repoRoot(t)
	dir := filepath.Join(root, "tests", "matrix")
	files, err := filepath.Glob(filepath.Join(dir, "cases", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files in %s (%v)", dir, err)
	}
	sort.Strings(files)
	xfail, err := readExpectedFailures(filepath.Join(dir, "expected_failures", "go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var groups []mxGroup
	total := 0
	known := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var g mxGroup
		dec := json.NewDecoder(strings.NewReader(string(b)))
		if err := dec.Decode(&g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); g.Group != want {
			t.Fatalf("%s: group %q, want %q", f, g.Group, want)
		}
		for _, c := range g.Cases {
			known[g.Group+"/"+c.Name] = true
		}
		total += len(g.Cases)
		groups = append(groups, g)
	}
	for id := range xfail {
		if !known[id] {
			t.Errorf("expected_failures/go.txt lists unknown case %q", id)
		}
	}

	results := map[string]mxResult{}
	for _, g := range groups {
		g := g
		t.Run(g.Group, func(t *testing.T) {
			for i := range g.Cases {
				c := &g.Cases[i]
				id := g.Group + "/" + c.Name
				t.Run(c.Name, func(t *testing.T) {
					err := runCase(c)
					mxLatencyMu.Lock()
					for _, l := range mxStopLatencies {
						t.Logf("duration of %s", l)
					}
					mxStopLatencies = nil
					mxLatencyMu.Unlock()
					reason, listed := xfail[id]
					switch {
					case err != nil && listed:
						results[id] = mxResult{Outcome: "xfail", Detail: err.Error()}
						t.Logf("expected failure (%s): %v", reason, err)
					case err != nil:
						results[id] = mxResult{Outcome: "fail", Detail: err.Error()}
						t.Errorf("%s\nrequirement: %s", err, c.Requirement)
					case listed:
						results[id] = mxResult{Outcome: "xpass", Detail: "listed in expected_failures/go.txt but passed: " + reason}
						t.Errorf("case passed but is listed in expected_failures/go.txt (%s): remove it", reason)
					default:
						results[id] = mxResult{Outcome: "pass"}
					}
				})
			}
		})
	}

	if len(results) != total {
		t.Logf("matrix: %d of %d cases ran; report not written", len(results), total)
		return
	}
	out := filepath.Join(root, "target", "matrix", mxReportDir(), "go.json")
	if p := os.Getenv("LUAU_MATRIX_REPORT"); p != "" {
		out = p
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"language": "go", "cases": results}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, r := range results {
		if r.Outcome == "pass" {
			passed++
		}
	}
	t.Logf("matrix: %d cases, go %d passed; report %s", total, passed, out)
}
