// Command hello is the README's Go quick start outside this repository: it registers a Go
// function and calls it from Luau (tools/package/go_outside.sh builds and runs it).
package main

import (
	"fmt"
	"log"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

func main() {
	s, err := luau.New()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	err = s.RegisterFunc("add", func(c *luau.CallContext) error {
		a, err := c.Number(1) // arguments are numbered from 1, as on Luau's stack
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
	if err != nil {
		log.Fatal(err)
	}
	out, err := s.DoString(`return "add(40, 2) = " .. add(40, 2)`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out[0]) // add(40, 2) = 42
}
