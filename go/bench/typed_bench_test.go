package bench

import (
	"fmt"
	"testing"

	luar "layeh.com/gopher-luar"
)

// call_with_args_typed: the work of call_with_args (f(i, 1) returning a + b) through the
// typed API (luau.State.Register of a plain Go func) instead of a raw GoFunc. The target
// (tools/bench_report.py) is <= 1.5x call_with_args/project in the same run; gopher-luar
// registering the same Go func is the peer.
//
// benchCallWithArgsTyped is meant to run as BenchmarkLuau/call_with_args_typed (one
// b.Run line in BenchmarkLuau); BenchmarkLuauTyped runs it next to the raw call so the
// ratio can be read from one run on its own:
//
//	go test -run '^$' -bench 'LuauTyped' ./go/bench
func benchCallWithArgsTyped(b *testing.B) {
	check := func(v any) error {
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("run returned %v (%T), want a number", v, v)
		}
		return nil
	}
	runImpls(b,
		impl{"project", func(b *testing.B) {
			s := newProject(b)
			if err := s.Register("f", func(a, b float64) float64 { return a + b }); err != nil {
				b.Fatal(err)
			}
			runLuau(b, s, scriptWithArgs, check)
		}},
		impl{"gopher-luar", func(b *testing.B) {
			L := newGopher(b)
			L.SetGlobal("f", luar.New(L, luarAdd))
			runGopher(b, L, scriptWithArgs, check)
		}},
	)
}

func BenchmarkLuauTyped(b *testing.B) {
	b.Run("call_with_args", func(b *testing.B) {
		runImpls(b, impl{"project", func(b *testing.B) {
			s := newProject(b)
			if err := s.RegisterFunc("f", projAdd); err != nil {
				b.Fatal(err)
			}
			runLuau(b, s, scriptWithArgs, nil)
		}})
	})
	b.Run("call_with_args_typed", benchCallWithArgsTyped)
}
