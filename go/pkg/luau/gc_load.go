package luau

import (
	"runtime"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// GCOp is an operation of Luau's garbage collector, for GCControl. The values are Luau's
// lua_gc options (LUA_GCSTOP ...), as the wrapper's luaw_gc takes them.
type GCOp int32

// The collector operations. Sizes are in KB unless stated.
const (
	GCStop        GCOp = 0 // stop automatic collection; result 0
	GCRestart     GCOp = 1 // restart it; result 0
	GCCollect     GCOp = 2 // a full collection (re-arms a stopped collector, as Luau does); result 0
	GCCount       GCOp = 3 // result: heap size in KB, rounded down
	GCCountB      GCOp = 4 // result: heap size modulo 1024, in bytes
	GCIsRunning   GCOp = 5 // result: 1 if automatic collection runs, else 0
	GCStep        GCOp = 6 // a step of arg KB of work; result 1 if it finished a cycle, else 0
	GCSetGoal     GCOp = 7 // goal in percent; result: the old goal
	GCSetStepMul  GCOp = 8 // step multiplier in percent; result: the old value
	GCSetStepSize GCOp = 9 // step size in KB; result: the old value
)

// GCControl runs a collector operation (Luau's lua_gc) and returns its result, e.g.
// s.GCControl(luau.GCCount, 0) for the heap size in KB. An unknown op, or a negative arg
// to GCStep or GCSetStepSize, is KindArgument. From inside a host function use
// CallContext.GCControl (or this method: both act on the calling thread).
func (s *State) GCControl(op GCOp, arg int) (int, error) {
	defer runtime.KeepAlive(s)
	st := s.st
	outer, err := st.enter()
	if err != nil {
		return 0, err
	}
	defer st.leave(outer)
	return st.gc(op, arg)
}

// GCControl is State.GCControl from inside a host function: it acts on the thread that
// called the function, which is what a script's collectgarbage needs.
func (c *CallContext) GCControl(op GCOp, arg int) (int, error) {
	if err := c.nested(); err != nil {
		return 0, err
	}
	return c.st.gc(op, arg)
}

func (st *state) gc(op GCOp, arg int) (int, error) {
	if arg < -1<<31 || arg > 1<<31-1 {
		return 0, newError(KindArgument, "luau: GCControl argument %d out of range", arg)
	}
	res, rc := st.c.GC(int32(op), int32(arg))
	switch rc {
	case capi.OK:
		return int(res), nil
	case capi.ErrArg:
		return 0, newError(KindArgument, "luau: bad GCControl operation %d (argument %d)", op, arg)
	}
	return 0, newError(kindOf(rc), "luau: garbage collector failed (status %d)", rc)
}

// Load compiles src with the default options (optimisation 1, debug 1) and loads it as a
// function named chunkname ("" gives "chunk"), without running it: the host side of a
// loadstring. The function is loaded on the thread that called this host function, so its
// environment is that thread's current globals. It stays on the call's stack for the rest
// of the call; the returned ArgRef stands for it: c.Push(ref) returns it to Luau, and it
// can be passed to nested calls. A syntax error is KindSyntax, with the message Luau's
// loader formats (`[string "name"]:1: ...`), and nothing is loaded.
//
//	s.RegisterFunc("loadstring", func(c *luau.CallContext) error {
//		src, err := c.String(1)
//		if err != nil {
//			return err
//		}
//		f, err := c.Load(src, "="+c.Name())
//		if err != nil {
//			c.PushNil()
//			c.PushString(err.(*luau.Error).Message)
//			return nil
//		}
//		return c.Push(f)
//	})
func (c *CallContext) Load(src, chunkname string) (ArgRef, error) {
	return c.LoadWith(src, chunkname, 1, 1)
}

// LoadWith is Load with the given optimisation level (0..2) and debug level (0..2); other
// levels are KindArgument.
func (c *CallContext) LoadWith(src, chunkname string, optimization, debug int) (ArgRef, error) {
	if optimization < 0 || optimization > 2 || debug < 0 || debug > 2 {
		return ArgRef{}, newError(KindArgument, "luau: bad compile options (%d, %d)", optimization, debug)
	}
	if err := c.nested(); err != nil {
		return ArgRef{}, err
	}
	st := c.st
	if rc := st.c.LoadSource(src, chunkname, optimization, debug); rc != capi.OK {
		return ArgRef{}, st.errorFrom(rc)
	}
	return ArgRef{c: c, raw: c.raw, gen: c.gen, idx: int32(st.c.GetTop())}, nil
}
