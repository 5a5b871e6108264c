package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// The containment benchmarks (issue 10): fib_27 with a stop armed that never fires. In these
// benchmarks "floor" is the project with the feature off (plain Call), so ÷ floor is the
// cost of arming it; the peer is gopher-lua with SetContext of the same kind of context.

const fibWant = 196418

func fibProject(b *testing.B, ctx context.Context) {
	s := newProject(b)
	if _, err := s.DoString(scriptFib); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var res []any
		var err error
		if ctx == nil {
			res, err = s.Call("fib", 27)
		} else {
			res, err = s.CallContext(ctx, "fib", 27)
		}
		if err != nil {
			b.Fatal(err)
		}
		if res[0] != float64(fibWant) {
			b.Fatalf("fib(27) = %v", res[0])
		}
	}
}

func fibGopher(b *testing.B, ctx context.Context) {
	L := newGopher(b)
	if err := L.DoString(scriptFib); err != nil {
		b.Fatal(err)
	}
	if ctx != nil {
		L.SetContext(ctx)
	}
	fn := L.GetGlobal("fib")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, lua.LNumber(27)); err != nil {
			b.Fatal(err)
		}
		if v := L.Get(-1); v != lua.LNumber(fibWant) {
			b.Fatalf("fib(27) = %v", v)
		}
		L.Pop(1)
	}
}

// fib_27_deadline: every call under a context whose deadline is an hour away (the wrapper's
// C deadline, checked by its watchdog thread; gopher-lua checks ctx.Done() in its loop).
func benchFib27Deadline(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	runImpls(b,
		impl{"project", func(b *testing.B) { fibProject(b, ctx) }},
		impl{"floor", func(b *testing.B) { fibProject(b, nil) }},
		impl{"gopher-lua", func(b *testing.B) { fibGopher(b, ctx) }},
	)
}

// fib_27_cancel: every call under a cancellable context that is never cancelled.
func benchFib27Cancel(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runImpls(b,
		impl{"project", func(b *testing.B) { fibProject(b, ctx) }},
		impl{"floor", func(b *testing.B) { fibProject(b, nil) }},
		impl{"gopher-lua", func(b *testing.B) { fibGopher(b, ctx) }},
	)
}

// resume_yield: one op is one host -> Luau -> host round trip: the host resumes a thread whose
// loop calls a host function that yields once. Peer: gopher-lua's Resume of a coroutine whose
// Go function yields (L.Yield). Floor: the same loop calling a raw C function that yields
// (lua_yield), resumed by one C function straight through lua_resume (one cgo call per op).
func benchResumeYield(b *testing.B) {
	const loop = "function loop() local n = 0 while true do n = n + tick(n) end end"
	runImpls(b,
		impl{"project", func(b *testing.B) {
			s := newProject(b)
			if err := s.RegisterFunc("tick", func(c *luau.CallContext) error { return c.Yield(1.0) }); err != nil {
				b.Fatal(err)
			}
			if _, err := s.DoString(loop); err != nil {
				b.Fatal(err)
			}
			fv, err := s.Global("loop")
			if err != nil {
				b.Fatal(err)
			}
			fn, ok := fv.(*luau.Function)
			if !ok {
				b.Fatalf("loop is %T", fv)
			}
			th, err := s.NewThread(fn)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, yielded, err := th.ResumeFloat(1); err != nil || !yielded {
					b.Fatalf("resume: yielded=%v err=%v", yielded, err)
				}
			}
		}},
		impl{"floor", func(b *testing.B) {
			s := newProject(b)
			if err := FloorRegister(s, FloorYield, "tick"); err != nil {
				b.Fatal(err)
			}
			if _, err := s.DoString(loop); err != nil {
				b.Fatal(err)
			}
			ref, err := FloorRefThread(s, "loop")
			if err != nil {
				b.Fatal(err)
			}
			S := RawState(s)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := FloorResumeRef(S, ref, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.KeepAlive(s)
		}},
		impl{"gopher-lua", func(b *testing.B) {
			L := newGopher(b)
			L.SetGlobal("tick", L.NewFunction(func(L *lua.LState) int { return L.Yield(lua.LNumber(1)) }))
			if err := L.DoString(loop); err != nil {
				b.Fatal(err)
			}
			fn := L.GetGlobal("loop").(*lua.LFunction)
			co, _ := L.NewThread()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err, _ := L.Resume(co, fn, lua.LNumber(1))
				if err != nil || st != lua.ResumeYield {
					b.Fatalf("resume: %v %v", st, err)
				}
			}
		}},
	)
}
