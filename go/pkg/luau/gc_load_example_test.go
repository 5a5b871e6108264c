package luau_test

import (
	"errors"
	"fmt"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// A host-side loadstring: the function is loaded on the calling thread and returned to Luau;
// a syntax error becomes nil plus the loader's message.
func ExampleCallContext_Load() {
	s, _ := luau.New()
	defer s.Close()
	_ = s.RegisterFunc("compile", func(c *luau.CallContext) error {
		src, err := c.String(1)
		if err != nil {
			return err
		}
		f, err := c.Load(src, "=compiled")
		var lerr *luau.Error
		if errors.As(err, &lerr) && lerr.Kind == luau.KindSyntax {
			c.PushNil()
			c.PushString(lerr.Message)
			return nil
		}
		if err != nil {
			return err
		}
		return c.Push(f)
	})
	out, err := s.DoString(`return compile("return 6 * 7")(), select(2, compile("return ="))`)
	fmt.Println(out, err)
	// Output: [42 compiled:1: Expected identifier when parsing expression, got '='] <nil>
}

// collectgarbage-like control of the collector from a host function.
func ExampleCallContext_GCControl() {
	s, _ := luau.New()
	defer s.Close()
	_ = s.RegisterFunc("heap_kb", func(c *luau.CallContext) error {
		if _, err := c.GCControl(luau.GCCollect, 0); err != nil {
			return err
		}
		kb, err := c.GCControl(luau.GCCount, 0)
		c.PushBool(kb > 0)
		return err
	})
	out, err := s.DoString(`return heap_kb()`)
	fmt.Println(out, err)
	// Output: [true] <nil>
}
