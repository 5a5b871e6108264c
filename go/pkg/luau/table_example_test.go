package luau_test

import (
	"fmt"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// A table built by the host, handed to a script that changes it, read back through the
// handle: both sides work on the one table.
func ExampleTable() {
	s, err := luau.New()
	if err != nil {
		panic(err)
	}
	defer s.Close()

	cfg, _ := s.NewTable()
	_ = cfg.Set("name", "server")
	_ = cfg.Set("port", 8080)
	_ = s.SetGlobal("cfg", cfg)

	if _, err := s.DoString(`cfg.port += 1; cfg.tags = {"a", "b"}`); err != nil {
		panic(err)
	}
	port, _ := cfg.Get("port")
	tags, _ := cfg.GetTable("tags") // a nested table as a handle
	n, _ := tags.Len()
	copied, _ := tags.Value() // or a copy: a sequence is a []any
	fmt.Println(port, n, copied)
	// Output: 8081 2 [a b]
}

// Results with tables as handles, and ordered iteration.
func ExampleFunction_CallHandles() {
	s, _ := luau.New()
	defer s.Close()
	out, _ := s.DoString(`return function() return {10, 20, 30} end`)
	res, _ := out[0].(*luau.Function).CallHandles()
	_ = res[0].(*luau.Table).ForEach(func(k, v any) bool {
		fmt.Println(k, v)
		return true
	})
	// Output:
	// 1 10
	// 2 20
	// 3 30
}
