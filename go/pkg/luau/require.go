package luau

// Modules: require-by-string through Luau's own Luau.Require, resolved by the host.

import (
	"errors"
	"io/fs"
	"path"
	"runtime"
	"strings"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// Resolver finds the modules a script requires. Paths are slash-separated, relative to the
// resolver's root, without extension ("lib/util"; "" is the root); the wrapper does the
// navigation (./, ../, @self, .luaurc aliases), so a Resolver only answers two questions.
// Its methods run on the goroutine running the script, once per module load or per
// directory searched for a .luaurc, never for a module already loaded (the state remembers
// what each require resolved to: a file changed after its module loaded is not read again). An error becomes the
// require's Luau error (a script's pcall catches it) and reaches the caller as that error
// (errors.Is/As); a panic is re-raised as a host function's.
type Resolver interface {
	// Module returns the source of the module at p and its file name, which names the module
	// in messages and tracebacks ("lib/util.luau:3: ...") and is its cache key. found is
	// false when there is no module at p.
	Module(p string) (source, file string, found bool, err error)
	// Config returns the contents of the .luaurc in directory dir (JSON with "aliases"),
	// found false when there is none.
	Config(dir string) (contents string, found bool, err error)
}

// FSResolver resolves modules from fsys: the module "lib/util" is lib/util.luau,
// lib/util.lua, lib/util/init.luau or lib/util/init.lua (two of them at once is an error:
// ambiguous), and a directory's aliases are in its .luaurc. embed.FS (embed the directory with
// the all: prefix to keep .luaurc), os.DirFS and fstest.MapFS work unchanged.
func FSResolver(fsys fs.FS) Resolver { return fsResolver{fsys} }

type fsResolver struct{ fsys fs.FS }

func (r fsResolver) Module(p string) (source, file string, found bool, err error) {
	var candidates []string
	if p == "" {
		candidates = []string{"init.luau", "init.lua"}
	} else {
		candidates = []string{p + ".luau", p + ".lua", p + "/init.luau", p + "/init.lua"}
	}
	for _, name := range candidates {
		if !fs.ValidPath(name) {
			return "", "", false, nil
		}
		data, rerr := fs.ReadFile(r.fsys, name)
		if errors.Is(rerr, fs.ErrNotExist) {
			continue
		}
		if rerr != nil {
			return "", "", false, rerr
		}
		if found {
			return "", "", false, errors.New("module " + p + " is ambiguous: " + file + " and " + name)
		}
		source, file, found = string(data), name, true
	}
	return source, file, found, nil
}

func (r fsResolver) Config(dir string) (string, bool, error) {
	name := path.Join(dir, ".luaurc")
	if !fs.ValidPath(name) {
		return "", false, nil
	}
	data, err := fs.ReadFile(r.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(data), true, nil
}

// MapResolver resolves modules from an in-memory tree: file name ("lib/util.luau",
// "lib/init.luau", ".luaurc") to contents, with the file rules of FSResolver.
type MapResolver map[string]string

// Module implements Resolver.
func (m MapResolver) Module(p string) (string, string, bool, error) {
	var candidates []string
	if p == "" {
		candidates = []string{"init.luau", "init.lua"}
	} else {
		candidates = []string{p + ".luau", p + ".lua", p + "/init.luau", p + "/init.lua"}
	}
	var source, file string
	found := false
	for _, name := range candidates {
		src, ok := m[name]
		if !ok {
			continue
		}
		if found {
			return "", "", false, errors.New("module " + p + " is ambiguous: " + file + " and " + name)
		}
		source, file, found = src, name, true
	}
	return source, file, found, nil
}

// Config implements Resolver.
func (m MapResolver) Config(dir string) (string, bool, error) {
	src, ok := m[path.Join(dir, ".luaurc")]
	return src, ok, nil
}

// WithRequire installs require, resolving modules from fsys (FSResolver). Without it (or
// WithResolver, or RegisterModule) a state has no require at all: nothing is ever read from
// a file system the host did not give. The Untrusted profile adds none either.
func WithRequire(fsys fs.FS) Option { return WithResolver(FSResolver(fsys)) }

// WithResolver installs require, resolving modules with r (see Resolver). A script run
// with DoString is a file at the root of r: require("./lib/util") from it is "lib/util".
// Modules run with the requiring script's state: on a sandboxed state each module has its
// own globals over the shared read-only ones. A second require of a module returns the
// value of the first (the cache); a module that requires itself through others is an error
// naming the cycle ("cyclic require: a.luau -> b.luau -> a.luau").
func WithResolver(r Resolver) Option { return func(o *options) { o.resolver = r } }

// requireState is the require part of a state.
type requireState struct {
	resolverID uint64 // the resolver's registry entry, 0 when none
}

// initRequire installs require for New (before any run: the globals are still writable).
func (st *state) initRequire(o *options) *Error {
	if o.resolver == nil {
		return nil
	}
	r := o.resolver
	id := registry.add(&entry{st: st, name: "require", fn: func(c *CallContext) error {
		return resolve(c, r)
	}})
	if rc := st.c.SetRequire(id); rc != capi.OK {
		registry.remove(id)
		return st.errorFrom(rc)
	}
	st.ctl.req.resolverID = id
	return nil
}

// closeRequire removes the resolver's registry entry.
func (st *state) closeRequire() {
	if id := st.ctl.req.resolverID; id != 0 {
		registry.remove(id)
		st.ctl.req.resolverID = 0
	}
}

// resolve answers the wrapper's resolver call (kind, path).
func resolve(c *CallContext, r Resolver) error {
	kind, err := c.Number(1)
	if err != nil {
		return err
	}
	p, err := c.String(2)
	if err != nil {
		return err
	}
	p = strings.Clone(p) // borrowed from Luau for this call only
	if kind == capi.ResolveConfig {
		contents, found, err := r.Config(p)
		if err != nil || !found {
			return err
		}
		c.PushString(contents)
		return nil
	}
	source, file, found, err := r.Module(p)
	if err != nil || !found {
		return err
	}
	c.PushString(source)
	c.PushString(file)
	return nil
}

// RegisterModule makes require(name) return v (converted as SetGlobal converts: a map or
// struct becomes a table), with or without a resolver; name must begin with '@' (e.g.
// "@host/json") and is matched case-insensitively. Registered modules are found before any
// resolver is asked. It installs require if the state has none yet: on a sandboxed state
// that is sealed already, that is allowed only outside a run.
func (s *State) RegisterModule(name string, v any) error {
	defer runtime.KeepAlive(s)
	if !strings.HasPrefix(name, "@") || strings.IndexByte(name, 0) >= 0 {
		return newError(KindArgument, "luau: RegisterModule(%q): the name must begin with '@'", name)
	}
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return err
	}
	defer st.leave(outer)
	return st.pushThen(v, func() int32 { return st.c.RegisterModule(name) })
}
