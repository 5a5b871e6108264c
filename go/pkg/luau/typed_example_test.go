package luau_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

func ExampleState_Register() {
	s, _ := luau.New()
	defer s.Close()

	// Plain Go functions: arguments and results are converted for you.
	_ = s.Register("add", func(a, b int) int { return a + b })
	_ = s.Register("join", func(sep string, parts ...string) string { return strings.Join(parts, sep) })
	_ = s.Register("divide", func(a, b float64) (float64, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	})

	out, _ := s.DoString(`
		local _, e1 = pcall(add, 1, "two")
		local _, e2 = pcall(add, 1.5, 2)
		local _, e3 = pcall(divide, 1, 0)
		return add(40, 2), join("-", "a", "b", "c"), e1, e2, e3`)
	for _, v := range out {
		fmt.Println(v)
	}
	// Output:
	// 42
	// a-b-c
	// invalid argument #2 to 'add' (number expected, got string)
	// invalid argument #1 to 'add' (number has no integer representation)
	// division by zero
}

func ExampleState_Register_structs() {
	s, _ := luau.New()
	defer s.Close()

	type Item struct {
		Name  string
		Price float64 `luau:"cost"`
	}
	// Tables convert to structs, slices and maps, and back.
	_ = s.Register("total", func(items []Item) float64 {
		sum := 0.0
		for _, it := range items {
			sum += it.Price
		}
		return sum
	})
	_ = s.Register("cheapest", func() Item { return Item{Name: "pen", Price: 1.5} })

	out, _ := s.DoString(`
		local c = cheapest()
		return total({{name = "book", cost = 12}, {name = "pen", cost = 1.5}}), c.name, c.cost`)
	fmt.Println(out...)
	// Output: 13.5 pen 1.5
}
