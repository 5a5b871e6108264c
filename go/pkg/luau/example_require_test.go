package luau_test

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// The all: prefix keeps testdata/modules/.luaurc (the @lib alias) in the embedded tree.
//
//go:embed all:testdata/modules
var modulesFS embed.FS

// Modules from an embed.FS: require("./main") is testdata/modules/main.luau, which requires
// ./lib/util relative to itself and @lib/greet through the alias in its .luaurc.
func ExampleWithRequire() {
	modules, err := fs.Sub(modulesFS, "testdata/modules")
	if err != nil {
		panic(err)
	}
	s, err := luau.New(luau.WithRequire(modules))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	out, err := s.DoString(`return require("./main")`)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output: hello, modules, 42
}

// A host table as a module: require("@host/config") returns it, no resolver needed.
func ExampleState_RegisterModule() {
	s, err := luau.New()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	if err := s.RegisterModule("@host/config", map[string]any{"name": "demo", "level": 3}); err != nil {
		panic(err)
	}
	out, err := s.DoString(`local config = require("@host/config"); return config.name, config.level`)
	if err != nil {
		panic(err)
	}
	fmt.Println(out...)
	// Output: demo 3
}

// A host module of Go functions: NewFunction makes each a value, RegisterModule serves the
// table as @host/strings, and no global is set.
func ExampleState_NewFunction() {
	s, err := luau.New()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	shout, err := s.NewFunction("shout", func(v string) string { return fmt.Sprintf("%s!", v) })
	if err != nil {
		panic(err)
	}
	if err := s.RegisterModule("@host/strings", map[string]any{"shout": shout}); err != nil {
		panic(err)
	}
	out, err := s.DoString("local str = require('@host/strings') return str.shout('hi'), type(shout)")
	if err != nil {
		panic(err)
	}
	fmt.Println(out...)
	// Output: hi! nil
}
