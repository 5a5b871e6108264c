package bench

import (
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// The loading benchmarks (issue 14).
//
// require_cached: one op is one require of a module that is loaded already, from a Luau loop
// (run(n)); project = luau-embed's require over an in-memory resolver (no host crossing for
// a cached module), gopher-lua = its require of a preloaded module (package.loaded).
//
// load_bytecode: one op is a new state, the module loaded into it, the state closed;
// project = loading bytecode compiled once (LoadBytecode), floor = compiling the same
// source each time (Compile + LoadBytecode). The Rust suite measures the same pair.

const scriptRequireLoop = `local m = require(MOD)
function run(n)
	local last
	for i = 1, n do
		last = require(MOD)
	end
	return last == m
end`

func benchRequireCached(b *testing.B) {
	runImpls(b,
		impl{"project", func(b *testing.B) {
			s, err := luau.New(luau.WithResolver(luau.MapResolver{"m.luau": "return { answer = 42 }"}))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			if _, err := s.DoString(strings.ReplaceAll(scriptRequireLoop, "MOD", `"./m"`)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			out, err := s.Call("run", b.N)
			if err != nil || out[0] != true {
				b.Fatalf("run: %v %v", out, err)
			}
		}},
		impl{"gopher-lua", func(b *testing.B) {
			L := newGopher(b)
			L.PreloadModule("m", func(L *lua.LState) int {
				t := L.NewTable()
				t.RawSetString("answer", lua.LNumber(42))
				L.Push(t)
				return 1
			})
			if err := L.DoString(strings.ReplaceAll(scriptRequireLoop, "MOD", `"m"`)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := L.CallByParam(lua.P{Fn: L.GetGlobal("run"), NRet: 1, Protect: true}, lua.LNumber(b.N)); err != nil {
				b.Fatal(err)
			}
			if L.Get(-1) != lua.LTrue {
				b.Fatal("run did not return true")
			}
		}},
	)
}

// loadSource is the module of load_bytecode: 100 small functions in a table (the Rust
// suite generates the same text).
func loadSource() string {
	var sb strings.Builder
	sb.WriteString("local M = {}\n")
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&sb, "function M.f%d(a, b)\n\tlocal t = {}\n\tfor j = 1, a do\n\t\tt[j] = j * b + %d\n\tend\n\treturn #t, t[1]\nend\n", i, i)
	}
	sb.WriteString("return M\n")
	return sb.String()
}

func benchLoadBytecode(b *testing.B) {
	src := loadSource()
	bc, err := luau.Compile(src)
	if err != nil {
		b.Fatal(err)
	}
	op := func(b *testing.B, compile bool) {
		s, err := luau.New()
		if err != nil {
			b.Fatal(err)
		}
		code := bc
		if compile {
			if code, err = s.Compile(src); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.LoadBytecode("module", code); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	runImpls(b,
		impl{"project", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				op(b, false)
			}
		}},
		impl{"floor", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				op(b, true)
			}
		}},
	)
}
