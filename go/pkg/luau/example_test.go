package luau_test

import (
	"errors"
	"fmt"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

func ExampleState_DoString() {
	s, err := luau.New()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	results, err := s.DoString(`local t = {} for i = 1, 5 do t[i] = i * i end return #t, t[5], "done"`)
	fmt.Println(results, err)
	// Output: [5 25 done] <nil>
}

func ExampleState_RegisterFunc() {
	s, _ := luau.New()
	defer s.Close()
	_ = s.RegisterFunc("add", func(c *luau.CallContext) error {
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
	})
	results, _ := s.DoString(`return add(40, 2), pcall(add, 1, "two")`)
	fmt.Println(results...)
	// Output: 42 false invalid argument #2 to 'add' (number expected, got string)
}

var errNotFound = errors.New("not found")

func ExampleError_host() {
	s, _ := luau.New()
	defer s.Close()
	_ = s.RegisterFunc("lookup", func(c *luau.CallContext) error { return errNotFound })
	_, err := s.DoString(`lookup("x")`)
	var le *luau.Error
	if errors.As(err, &le) {
		fmt.Println(le.Kind, le.Message, errors.Is(err, errNotFound))
	}
	// Output: host not found true
}

func ExampleError_syntax() {
	s, _ := luau.New()
	defer s.Close()
	_, err := s.DoString("local x = 1\nlocal = 2")
	fmt.Println(err)
	// Output: [string "chunk"]:2: Expected identifier when parsing variable name, got '='
}

func ExampleState_Call() {
	s, _ := luau.New()
	defer s.Close()
	_, _ = s.DoString(`function greet(name) return "hello, " .. name end`)
	results, _ := s.Call("greet", "gopher")
	fmt.Println(results[0])
	// Output: hello, gopher
}

func ExampleCompile() {
	bytecode, _ := luau.Compile(`local a, b = ... return a * b`)
	s, _ := luau.New()
	defer s.Close()
	mul, _ := s.LoadBytecode("mul", bytecode)
	defer mul.Release()
	results, _ := mul.Call(6, 7)
	fmt.Println(results[0])
	// Output: 42
}
