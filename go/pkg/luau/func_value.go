package luau

import (
	"runtime"
	"strings"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// NewFunction makes a host function a Luau value without a global: the returned *Function
// can be a table field, a module's member (RegisterModule), an argument, a result or a
// global. fn is a GoFunc or any function Register accepts; name is the name Luau's
// messages give it ("invalid argument #1 to 'name' ..."). Like a registered function it
// lives as long as the State (releasing the *Function releases the handle, not the
// function a script may still hold), so create it once, not per call.
func (s *State) NewFunction(name string, fn any) (*Function, error) {
	defer runtime.KeepAlive(s)
	gf, ok := fn.(GoFunc)
	if !ok {
		if f, isRaw := fn.(func(*CallContext) error); isRaw && f != nil {
			gf = f
		} else {
			var err error
			if gf, err = typedFunc(fn); err != nil {
				return nil, newError(KindArgument, "luau: NewFunction(%q): %v", name, err)
			}
		}
	}
	if gf == nil {
		return nil, newError(KindArgument, "luau: NewFunction(%q): nil function", name)
	}
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return nil, err
	}
	defer st.leave(outer)
	owned := strings.Clone(name)
	id := registry.add(&entry{st: st, fn: gf, name: owned})
	base := st.c.GetTop()
	defer st.c.SetTop(base)
	if rc := st.c.PushFunction(id, owned); rc != capi.OK {
		registry.remove(id)
		return nil, st.errorFrom(rc)
	}
	f, ferr := st.newFunction(-1)
	if ferr != nil {
		registry.remove(id)
		return nil, ferr
	}
	st.valueFuncs = append(st.valueFuncs, id)
	return f, nil
}

// removeFuncs takes every host function of the state out of the registry (at Close).
func (st *state) removeFuncs() {
	for _, id := range st.funcs {
		registry.remove(id)
	}
	for _, id := range st.valueFuncs {
		registry.remove(id)
	}
	st.funcs, st.valueFuncs = nil, nil
}
