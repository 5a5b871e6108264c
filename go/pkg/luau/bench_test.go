package luau

import (
	"fmt"
	"sync"
	"testing"
)

// Benchmarks of the boundary (names shared with the Rust crate, DESIGN.md section 6).
// ns/op is per script-side call, loop included.

func benchLoop(b *testing.B, register func(s *State), call string) {
	s := newState(b)
	register(s)
	if _, err := s.DoString(fmt.Sprintf("function run(n) local x for i = 1, n do x = %s end return x end", call)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := s.Call("run", b.N); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkCallNoArgs(b *testing.B) {
	benchLoop(b, func(s *State) {
		_ = s.RegisterFunc("noop", func(c *CallContext) error { return nil })
	}, "noop()")
}

func BenchmarkCallWithArgs(b *testing.B) {
	benchLoop(b, func(s *State) { _ = s.RegisterFunc("add", addFunc) }, "add(i, 1)")
}

func BenchmarkCallReturnString(b *testing.B) {
	benchLoop(b, func(s *State) {
		_ = s.RegisterFunc("str", func(c *CallContext) error { c.PushString("hello, world"); return nil })
	}, "str()")
}

func BenchmarkCallLuauFromGo(b *testing.B) {
	s := newState(b)
	if _, err := s.DoString("function id(x) return x end"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Call("id", i); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegisterFunc(b *testing.B) {
	s := newState(b)
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprint("f", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.RegisterFunc(names[i%len(names)], addFunc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegister1000Funcs(b *testing.B) {
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprint("f", i)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s, _ := New()
		for _, n := range names {
			if err := s.RegisterFunc(n, addFunc); err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
}

func BenchmarkNewClose(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s, err := New()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkCallParallel: one state per goroutine; the registry must not serialise them.
func BenchmarkCallParallel(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		s, _ := New()
		defer s.Close()
		_ = s.RegisterFunc("add", addFunc)
		_, _ = s.DoString("function run(n) local x for i = 1, n do x = add(i, 1) end return x end")
		for pb.Next() {
			if _, err := s.Call("run", 100); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// The registry read path, measured against the RWMutex alternative (parallel lookups
// while a writer churns). See the note at funcRegistry.
type rwRegistry struct {
	mu sync.RWMutex
	m  map[uint64]*entry
}

func (r *rwRegistry) lookup(id uint64) *entry {
	r.mu.RLock()
	e := r.m[id]
	r.mu.RUnlock()
	return e
}

func BenchmarkRegistryLookup(b *testing.B) {
	const n = 1000
	var slots funcRegistry
	rw := &rwRegistry{m: map[uint64]*entry{}}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = slots.add(&entry{})
		rw.m[uint64(i)] = &entry{}
	}
	b.Run("slots", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := uint64(0)
			for pb.Next() {
				i++
				if slots.lookup(ids[i%n]) == nil {
					b.Error("missing")
					return
				}
			}
		})
	})
	b.Run("rwmutex", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := uint64(0)
			for pb.Next() {
				i++
				if rw.lookup(i%n) == nil {
					b.Error("missing")
					return
				}
			}
		})
	})
}

// The host-call hot path allocates nothing for scalar arguments and results.
func TestHostCallAllocs(t *testing.T) {
	s := newState(t)
	if err := s.RegisterFunc("add", addFunc); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterFunc("str", func(c *CallContext) error {
		v, err := c.String(1)
		if err != nil {
			return err
		}
		c.PushString(v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoString("function run(n) local x for i = 1, n do x = add(i, 1) x = str('abc') end return x end"); err != nil {
		t.Fatal(err)
	}
	run := func(n int) {
		if _, err := s.Call("run", n); err != nil {
			t.Fatal(err)
		}
	}
	small := testing.AllocsPerRun(20, func() { run(1) })
	big := testing.AllocsPerRun(20, func() { run(1001) })
	// 2000 host calls more must not mean more than a stray allocation more.
	if big-small > 1 {
		t.Fatalf("host calls allocate: %v allocs for 1 iteration, %v for 1001", small, big)
	}
}
