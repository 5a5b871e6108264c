package bench

import (
	"testing"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// fib_27_native (issue 14): fib(27) with native code generation (luau.WithNativeCodegen)
// against the same call interpreted (floor = fib_27's project).
func benchFib27Native(b *testing.B) {
	runImpls(b,
		impl{"project", func(b *testing.B) {
			if !luau.NativeCodegenSupported() {
				b.Skip("native code generation unsupported here")
			}
			fibProjectWith(b, luau.WithNativeCodegen())
		}},
		impl{"floor", func(b *testing.B) { fibProjectWith(b) }},
	)
}

func fibProjectWith(b *testing.B, opts ...luau.Option) {
	s, err := luau.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if _, err := s.DoString(scriptFib); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.Call("fib", 27)
		if err != nil {
			b.Fatal(err)
		}
		if res[0] != float64(fibWant) {
			b.Fatalf("fib(27) = %v", res[0])
		}
	}
}
