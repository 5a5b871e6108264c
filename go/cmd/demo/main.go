// Command demo runs a short Luau script from Go, and a Luau script that calls Go.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	s, err := luau.New()
	if err != nil {
		return err
	}
	defer s.Close()

	// 1. A short script run from Go.
	res, err := s.DoString(`
		local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
		return fib(20), _VERSION`)
	if err != nil {
		return err
	}
	fmt.Printf("Luau says: fib(20) = %v (%v)\n", res[0], res[1])

	// 2. A Luau script calling Go functions.
	if err := s.RegisterFunc("shout", func(c *luau.CallContext) error {
		msg, err := c.String(1)
		if err != nil {
			return err
		}
		c.PushString(strings.ToUpper(msg) + "!")
		return nil
	}); err != nil {
		return err
	}
	errDenied := errors.New("access denied")
	if err := s.RegisterFunc("open_vault", func(c *luau.CallContext) error { return errDenied }); err != nil {
		return err
	}
	res, err = s.DoString(`
		local ok, why = pcall(open_vault)
		return shout("hello from luau via go"), ok, why`)
	if err != nil {
		return err
	}
	fmt.Printf("Go said: %q; pcall(open_vault) = %v, %q\n", res[0], res[1], res[2])

	// 3. A Go error escaping the script keeps its identity.
	_, err = s.DoString(`open_vault()`)
	fmt.Printf("uncaught host error: %v (kind %v, errors.Is = %v)\n",
		err, kindOf(err), errors.Is(err, errDenied))
	return nil
}

func kindOf(err error) luau.Kind {
	var le *luau.Error
	if errors.As(err, &le) {
		return le.Kind
	}
	return 0
}
