package bench

// BenchmarkLuau/<benchmark>/<impl>: every benchmark of issue 4 for the impls
//
//	project      this binding (go/pkg/luau)
//	floor        a raw lua_CFunction of luau_bench_floor.h in the same Luau build (or the
//	             raw C call the binding wraps), called from the identical Luau loop
//	cgo_floor    (call benchmarks) the same raw lua_CFunction, which first calls an empty
//	             exported Go function: the raw floor plus one C -> Go cgo callback, the
//	             least a Go host function called from Luau can cost (cgo_floor.go)
//	gopher-lua   github.com/yuin/gopher-lua with a plain LGFunction
//	gopher-luar  layeh.com/gopher-luar (reflection over gopher-lua), where it has a form
//
// One op is one call. The script-side benchmarks (call_*, memory_pressure) run one Luau
// loop of b.N calls: run(b.N) of loopScript below, the SAME source text for every impl
// (only the function bound to the global f differs), called once per benchmark run, so
// ns/op is the cost of one script-side call, loop iteration and global lookup included.
// The host-side benchmarks (register_*, luau_call_from_host, new_state_close, fib_27) are
// a Go loop of b.N ops.
//
// Isolation: tools/bench/go_bench.sh runs every BenchmarkLuau/<benchmark>/<impl> in its own
// process, so no impl runs on the heap and caches another one left behind. When several run
// in one process (a plain `go test -bench .`), runImpls settles before each impl (see
// settle).

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"
)

const str16 = "0123456789abcdef"

// loopScript is the Luau loop of the script-side benchmarks; prelude and body vary per
// benchmark, never per impl.
func loopScript(prelude, body string) string {
	return prelude + "\nfunction run(n) local x for i = 1, n do " + body + " end return x end"
}

var (
	scriptNoArgs    = loopScript("", "x = f()")
	scriptWithArgs  = loopScript("", "x = f(i, 1)")
	scriptString    = loopScript("", "x = f()")
	scriptError     = loopScript("", "local ok, e = pcall(f) x = e")
	scriptMemory    = loopScript(`s = string.rep("0123456789abcdef", 64)`, "x = f(s)")
	scriptFromHost  = "function inc(x) return x + 1 end"
	scriptFib       = "function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end"
	errHost         = errors.New("host error")
	registerNames   = names("f", 1024)
	register1000Set = names("f", 1000)
)

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i+1)
	}
	return out
}

// ---- the host functions of each impl ----

func projNoop(c *luau.CallContext) error { return nil }

func projAdd(c *luau.CallContext) error {
	a, err := c.Number(1)
	if err != nil {
		return err
	}
	b, err := c.Number(2)
	if err != nil {
		return err
	}
	c.PushNumber(a + b)
	return nil
}

func projString16(c *luau.CallContext) error { c.PushString(str16); return nil }

func projError(c *luau.CallContext) error { return errHost }

// projEcho returns its string argument reversed (a distinct string of the same length),
// as LUAW_FLOOR_ECHO_DISTINCT does. buf is reused: PushString copies it into C memory.
func projEcho() luau.GoFunc {
	var buf []byte
	return func(c *luau.CallContext) error {
		s, err := c.String(1)
		if err != nil {
			return err
		}
		if cap(buf) < len(s) {
			buf = make([]byte, len(s))
		}
		buf = buf[:len(s)]
		for i := 0; i < len(s); i++ {
			buf[i] = s[len(s)-1-i]
		}
		c.PushString(unsafe.String(unsafe.SliceData(buf), len(buf)))
		return nil
	}
}

func glNoop(L *lua.LState) int { return 0 }

func glAdd(L *lua.LState) int {
	L.Push(L.CheckNumber(1) + L.CheckNumber(2))
	return 1
}

var str16Var = str16

func glString16(L *lua.LState) int { L.Push(lua.LString(str16Var)); return 1 }

func glError(L *lua.LState) int { L.RaiseError("host error"); return 0 }

func glEcho(L *lua.LState) int {
	s := L.CheckString(1)
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = s[len(s)-1-i]
	}
	L.Push(lua.LString(b))
	return 1
}

func luarNoop()                    {}
func luarAdd(a, b float64) float64 { return a + b }
func luarString16() string         { return str16Var }
func luarEcho(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = s[len(s)-1-i]
	}
	return string(b)
}

// ---- drivers ----

func newProject(b testing.TB) *luau.State {
	b.Helper()
	s, err := luau.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func newGopher(b *testing.B) *lua.LState {
	L := lua.NewState()
	b.Cleanup(L.Close)
	return L
}

// runLuau loads script into s (f already bound) and runs run(b.N) as the timed part.
func runLuau(b *testing.B, s *luau.State, script string, check func(any) error) {
	b.Helper()
	if _, err := s.DoString(script); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := processCPU()
	b.ResetTimer()
	res, err := s.Call("run", b.N)
	b.StopTimer()
	reportCPU(b, cpu)
	if err != nil {
		b.Fatal(err)
	}
	if check != nil && len(res) > 0 {
		if err := check(res[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func runGopher(b *testing.B, L *lua.LState, script string, check func(any) error) {
	b.Helper()
	if err := L.DoString(script); err != nil {
		b.Fatal(err)
	}
	run := L.GetGlobal("run")
	b.ReportAllocs()
	cpu := processCPU()
	b.ResetTimer()
	err := L.CallByParam(lua.P{Fn: run, NRet: 1, Protect: true}, lua.LNumber(b.N))
	b.StopTimer()
	reportCPU(b, cpu)
	if err != nil {
		b.Fatal(err)
	}
	ret := L.Get(-1)
	L.Pop(1)
	if check != nil {
		var v any
		switch x := ret.(type) {
		case lua.LNumber:
			v = float64(x)
		case lua.LString:
			v = string(x)
		case *lua.LNilType:
			v = nil
		default:
			v = ret.String()
		}
		if err := check(v); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the CPU time of the whole process so far (user + system, every thread: the
// Go GC's workers included). The script-side benchmarks also report it per op, as
// cpu-ns/op: on a shared machine a process's wall time includes the time it waited for a
// core, its CPU time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time since start per op (cpu-ns/op).
func reportCPU(b *testing.B, start time.Duration) {
	if start == 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

type impl struct {
	name string
	run  func(b *testing.B)
}

func runImpls(b *testing.B, impls ...impl) {
	for _, im := range impls {
		settle()
		b.Run(im.name, im.run)
	}
}

// settleOff: LUAU_BENCH_SETTLE=0 turns settle off (to compare; see docs/benchmarks.md).
var settleOff = os.Getenv("LUAU_BENCH_SETTLE") == "0"

// settle collects the garbage of whatever ran before (a full GC, memory returned to the OS)
// and pauses briefly, so that an impl sharing the process with others starts from a quiet
// heap. A filtered run (one impl per process) pays it once.
func settle() {
	if settleOff {
		return
	}
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(50 * time.Millisecond)
}

// scriptBench is the shape of the call_* benchmarks: the same script, four bindings of f.
func scriptBench(b *testing.B, script string, proj luau.GoFunc, floor int32, gl lua.LGFunction, lr any, check func(any) error) {
	impls := []impl{
		{"project", func(b *testing.B) {
			s := newProject(b)
			if err := s.RegisterFunc("f", proj); err != nil {
				b.Fatal(err)
			}
			runLuau(b, s, script, check)
		}},
		{"floor", func(b *testing.B) {
			s := newProject(b)
			if err := FloorRegister(s, floor, "f"); err != nil {
				b.Fatal(err)
			}
			runLuau(b, s, script, nil) // the floor's own results (e.g. its error text) differ
		}},
		{"cgo_floor", func(b *testing.B) {
			s := newProject(b)
			if err := FloorRegister(s, floor|FloorHooked, "f"); err != nil {
				b.Fatal(err)
			}
			runLuau(b, s, script, nil)
		}},
		{"gopher-lua", func(b *testing.B) {
			L := newGopher(b)
			L.SetGlobal("f", L.NewFunction(gl))
			runGopher(b, L, script, check)
		}},
	}
	if lr != nil {
		impls = append(impls, impl{"gopher-luar", func(b *testing.B) {
			L := newGopher(b)
			L.SetGlobal("f", luar.New(L, lr))
			runGopher(b, L, script, check)
		}})
	}
	runImpls(b, impls...)
}

func expect(want any) func(any) error {
	return func(got any) error {
		if got != want {
			return fmt.Errorf("run returned %v (%T), want %v", got, got, want)
		}
		return nil
	}
}

func BenchmarkLuau(b *testing.B) {
	b.Run("register_func", benchRegisterFunc)
	b.Run("call_no_args", func(b *testing.B) {
		scriptBench(b, scriptNoArgs, projNoop, FloorNoop, glNoop, luarNoop, expect(nil))
	})
	b.Run("call_with_args", func(b *testing.B) {
		// run(n) returns f(n, 1) of the last iteration; checked for the peers and project
		// through a closure on b.N would be circular, so check only the type.
		scriptBench(b, scriptWithArgs, projAdd, FloorAdd, glAdd, luarAdd, func(v any) error {
			if _, ok := v.(float64); !ok {
				return fmt.Errorf("run returned %v (%T), want a number", v, v)
			}
			return nil
		})
	})
	b.Run("call_with_args_typed", benchCallWithArgsTyped) // typed_bench_test.go
	b.Run("call_return_string", func(b *testing.B) {
		scriptBench(b, scriptString, projString16, FloorString16, glString16, luarString16, expect(str16))
	})
	b.Run("register_1000_funcs", benchRegister1000)
	b.Run("memory_pressure", benchMemoryPressure)
	b.Run("call_error_pcall", func(b *testing.B) {
		// gopher-luar has no error-raising form (a Go error is returned as a value).
		scriptBench(b, scriptError, projError, FloorError, glError, nil, func(v any) error {
			if s, ok := v.(string); !ok || !strings.Contains(s, "host error") {
				return fmt.Errorf("pcall gave %v, want the host error", v)
			}
			return nil
		})
	})
	b.Run("luau_call_from_host", benchCallFromHost)
	b.Run("new_state_close", benchNewStateClose)
	b.Run("fib_27", benchFib27)
	b.Run("fib_27_deadline", benchFib27Deadline) // containment_bench_test.go
	b.Run("fib_27_cancel", benchFib27Cancel)
	b.Run("fib_27_native", benchFib27Native) // codegen_bench_test.go
	b.Run("resume_yield", benchResumeYield)
	b.Run("require_cached", benchRequireCached) // loading_bench_test.go
	b.Run("load_bytecode", benchLoadBytecode)
}

func benchRegisterFunc(b *testing.B) {
	runImpls(b,
		impl{"project", func(b *testing.B) {
			s := newProject(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.RegisterFunc(registerNames[i%len(registerNames)], projAdd); err != nil {
					b.Fatal(err)
				}
			}
		}},
		impl{"floor", func(b *testing.B) {
			s := newProject(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := FloorRegister(s, FloorAdd, registerNames[i%len(registerNames)]); err != nil {
					b.Fatal(err)
				}
			}
		}},
		impl{"gopher-lua", func(b *testing.B) {
			L := newGopher(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				L.SetGlobal(registerNames[i%len(registerNames)], L.NewFunction(glAdd))
			}
		}},
		impl{"gopher-luar", func(b *testing.B) {
			L := newGopher(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				L.SetGlobal(registerNames[i%len(registerNames)], luar.New(L, luarAdd))
			}
		}},
	)
}

// benchRegister1000: one op registers 1000 new names in a fresh state (state creation and
// closing are outside the timer).
func benchRegister1000(b *testing.B) {
	runImpls(b,
		impl{"project", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := luau.New()
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for _, n := range register1000Set {
					if err := s.RegisterFunc(n, projAdd); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				_ = s.Close()
				b.StartTimer()
			}
		}},
		impl{"floor", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := luau.New()
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := FloorRegisterMany(s, FloorAdd, "f", 1000); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = s.Close()
				b.StartTimer()
			}
		}},
		impl{"gopher-lua", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				L := lua.NewState()
				b.StartTimer()
				for _, n := range register1000Set {
					L.SetGlobal(n, L.NewFunction(glAdd))
				}
				b.StopTimer()
				L.Close()
				b.StartTimer()
			}
		}},
		impl{"gopher-luar", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				L := lua.NewState()
				b.StartTimer()
				for _, n := range register1000Set {
					L.SetGlobal(n, luar.New(L, luarAdd))
				}
				b.StopTimer()
				L.Close()
				b.StartTimer()
			}
		}},
	)
}

// ---- memory_pressure ----

// memoryWindow: the calls over which RSS and the heaps must stay flat. The timed part is
// run(b.N); untimed calls top the window up to at least this many.
const memoryWindow = 100_000

func rssBytes() float64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize())
}

func goHeap() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc)
}

// memoryMetrics reports the state after a window of calls, measured after a full GC of
// the Luau heap (luauHeap nil for gopher-lua) and of Go's.
type memorySample struct{ rss, goHeap, luauHeap float64 }

func sample(luauHeap func() float64) memorySample {
	m := memorySample{goHeap: goHeap(), rss: rssBytes()}
	if luauHeap != nil {
		m.luauHeap = luauHeap()
	}
	return m
}

func reportMemory(b *testing.B, before, after memorySample, luau bool) {
	b.ReportMetric(after.rss/1024, "rss-KiB")
	b.ReportMetric((after.rss-before.rss)/1024, "rss-growth-KiB")
	b.ReportMetric(after.goHeap-before.goHeap, "go-heap-growth-B")
	if luau {
		b.ReportMetric(after.luauHeap, "luau-heap-B")
		b.ReportMetric(after.luauHeap-before.luauHeap, "luau-heap-growth-B")
	}
}

func benchMemoryPressure(b *testing.B) {
	checkLen := func(v any) error {
		if s, ok := v.(string); !ok || len(s) != 1024 || s[0] != 'f' {
			return fmt.Errorf("echo gave %q", v)
		}
		return nil
	}
	luauImpl := func(bind func(b *testing.B, s *luau.State)) func(b *testing.B) {
		return func(b *testing.B) {
			s := newProject(b)
			bind(b, s)
			if _, err := s.DoString(scriptMemory); err != nil {
				b.Fatal(err)
			}
			heap := func() float64 {
				if err := s.GC(); err != nil {
					b.Fatal(err)
				}
				return float64(s.MemoryUsed())
			}
			if _, err := s.Call("run", 10_000); err != nil { // warm up
				b.Fatal(err)
			}
			before := sample(heap)
			runLuau(b, s, "", nil) // script already loaded; this times run(b.N)
			if b.N < memoryWindow {
				if _, err := s.Call("run", memoryWindow-b.N); err != nil {
					b.Fatal(err)
				}
			}
			res, err := s.Call("run", 1)
			if err != nil || len(res) != 1 {
				b.Fatal(err)
			}
			if err := checkLen(res[0]); err != nil {
				b.Fatal(err)
			}
			reportMemory(b, before, sample(heap), true)
		}
	}
	gopherImpl := func(bind func(L *lua.LState)) func(b *testing.B) {
		return func(b *testing.B) {
			L := newGopher(b)
			bind(L)
			if err := L.DoString(scriptMemory); err != nil {
				b.Fatal(err)
			}
			call := func(n int) {
				if err := L.CallByParam(lua.P{Fn: L.GetGlobal("run"), NRet: 1, Protect: true}, lua.LNumber(n)); err != nil {
					b.Fatal(err)
				}
				L.Pop(1)
			}
			call(10_000)
			before := sample(nil)
			runGopher(b, L, "", checkLen)
			if b.N < memoryWindow {
				call(memoryWindow - b.N)
			}
			reportMemory(b, before, sample(nil), false)
		}
	}
	runImpls(b,
		impl{"project", luauImpl(func(b *testing.B, s *luau.State) {
			if err := s.RegisterFunc("f", projEcho()); err != nil {
				b.Fatal(err)
			}
		})},
		impl{"floor", luauImpl(func(b *testing.B, s *luau.State) {
			if err := FloorRegister(s, FloorEchoDistinct, "f"); err != nil {
				b.Fatal(err)
			}
		})},
		impl{"gopher-lua", gopherImpl(func(L *lua.LState) { L.SetGlobal("f", L.NewFunction(glEcho)) })},
		impl{"gopher-luar", gopherImpl(func(L *lua.LState) { L.SetGlobal("f", luar.New(L, luarEcho)) })},
	)
}

// ---- host -> Luau ----

func benchCallFromHost(b *testing.B) {
	runImpls(b,
		impl{"project", func(b *testing.B) {
			s := newProject(b)
			if _, err := s.DoString(scriptFromHost); err != nil {
				b.Fatal(err)
			}
			g, err := s.Global("inc")
			if err != nil {
				b.Fatal(err)
			}
			f := g.(*luau.Function)
			defer f.Release()
			b.ReportAllocs()
			b.ResetTimer()
			sum := 0.0
			for i := 0; i < b.N; i++ {
				r, err := f.CallFloat(float64(i)) // the typed form: one crossing, no allocation
				if err != nil {
					b.Fatal(err)
				}
				sum += r
			}
			b.StopTimer()
			checkSum(b, sum)
		}},
		impl{"floor", func(b *testing.B) {
			s := newProject(b)
			if _, err := s.DoString(scriptFromHost); err != nil {
				b.Fatal(err)
			}
			ref, err := FloorRefGlobal(s, "inc")
			if err != nil {
				b.Fatal(err)
			}
			S := RawState(s)
			b.ReportAllocs()
			b.ResetTimer()
			sum := 0.0
			for i := 0; i < b.N; i++ {
				r, err := FloorCallRef(S, ref, float64(i))
				if err != nil {
					b.Fatal(err)
				}
				sum += r
			}
			b.StopTimer()
			runtime.KeepAlive(s)
			checkSum(b, sum)
		}},
		impl{"gopher-lua", func(b *testing.B) {
			L := newGopher(b)
			if err := L.DoString(scriptFromHost); err != nil {
				b.Fatal(err)
			}
			fn := L.GetGlobal("inc")
			b.ReportAllocs()
			b.ResetTimer()
			sum := 0.0
			for i := 0; i < b.N; i++ {
				if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, lua.LNumber(i)); err != nil {
					b.Fatal(err)
				}
				sum += float64(L.Get(-1).(lua.LNumber))
				L.Pop(1)
			}
			b.StopTimer()
			checkSum(b, sum)
		}},
	)
}

// checkSum: inc(i) summed over i < b.N.
func checkSum(b *testing.B, sum float64) {
	n := float64(b.N)
	if want := n * (n + 1) / 2; sum != want {
		b.Fatalf("sum of results %v, want %v", sum, want)
	}
}

func benchNewStateClose(b *testing.B) {
	runImpls(b,
		impl{"project", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s, err := luau.New()
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		}},
		impl{"floor", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := FloorNewClose(); err != nil {
					b.Fatal(err)
				}
			}
		}},
		impl{"gopher-lua", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				L := lua.NewState()
				L.Close()
			}
		}},
	)
}

func benchFib27(b *testing.B) {
	runImpls(b,
		impl{"project", func(b *testing.B) { fibProject(b, nil) }}, // containment_bench_test.go
		impl{"gopher-lua", func(b *testing.B) { fibGopher(b, nil) }},
	)
}
