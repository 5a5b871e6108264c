package luau

import (
	"errors"
	"strings"
	"testing"
)

func TestGCControlDrivesTheCollector(t *testing.T) {
	// Requirement: GCControl exposes Luau's collector: stop / restart / isrunning, the heap
	// size in KB + bytes (consistent with MemoryUsed), a full collection that frees garbage,
	// steps that report a finished cycle, tuning that returns the old value; a bad op is
	// KindArgument.
	s := newState(t)
	mustGC := func(op GCOp, arg int) int {
		t.Helper()
		r, err := s.GCControl(op, arg)
		if err != nil {
			t.Fatalf("GCControl(%d, %d): %v", op, arg, err)
		}
		return r
	}
	if mustGC(GCIsRunning, 0) != 1 {
		t.Fatal("a new state's collector should run")
	}
	mustGC(GCStop, 0)
	if mustGC(GCIsRunning, 0) != 0 {
		t.Fatal("GCStop did not stop the collector")
	}
	if _, err := s.DoString("local t = {} for i = 1, 20000 do t[i] = {i} end"); err != nil {
		t.Fatal(err)
	}
	kb, b := mustGC(GCCount, 0), mustGC(GCCountB, 0)
	if got := uint64(kb)*1024 + uint64(b); got != s.MemoryUsed() {
		t.Fatalf("count %d KB + %d B = %d, MemoryUsed %d", kb, b, got, s.MemoryUsed())
	}
	mustGC(GCCollect, 0)
	if after := mustGC(GCCount, 0); after >= kb/2 {
		t.Fatalf("collect left %d KB of %d", after, kb)
	}
	mustGC(GCStop, 0)
	mustGC(GCRestart, 0)
	if mustGC(GCIsRunning, 0) != 1 {
		t.Fatal("GCRestart did not restart the collector")
	}
	if mustGC(GCStep, 1000000) != 1 {
		t.Fatal("a step of 1 GB of work should finish a cycle")
	}
	old := mustGC(GCSetGoal, 150)
	if mustGC(GCSetGoal, old) != 150 {
		t.Fatal("GCSetGoal does not return the old goal")
	}
	for _, bad := range []struct {
		op  GCOp
		arg int
	}{{GCOp(99), 0}, {GCOp(-1), 0}, {GCStep, -1}, {GCSetStepSize, -5}, {GCSetGoal, 1 << 40}} {
		var e *Error
		if _, err := s.GCControl(bad.op, bad.arg); !errors.As(err, &e) || e.Kind != KindArgument {
			t.Errorf("GCControl(%d, %d) = %v, want KindArgument", bad.op, bad.arg, err)
		}
	}
	s.Close()
	if _, err := s.GCControl(GCCount, 0); err == nil {
		t.Fatal("GCControl after Close must fail")
	}
}

func TestCallContextGCAndLoadMakeCollectgarbageAndLoadstring(t *testing.T) {
	// Requirement: from inside a host function, the call context can drive the collector
	// (a script's collectgarbage) and compile source into a function returned to Luau (a
	// host-side loadstring). Load works on the calling thread, so inside a coroutine that
	// called setfenv(0, t) the function sees t; a syntax error is KindSyntax and names the
	// chunk.
	s := newState(t)
	err := s.RegisterFunc("collect", func(c *CallContext) error {
		if _, err := c.GCControl(GCCollect, 0); err != nil {
			return err
		}
		kb, err := c.GCControl(GCCount, 0)
		c.PushNumber(float64(kb))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.RegisterFunc("loadstring", func(c *CallContext) error {
		src, err := c.String(1)
		if err != nil {
			return err
		}
		name := src
		if c.NArgs() > 1 {
			if name, err = c.String(2); err != nil {
				return err
			}
		}
		f, err := c.Load(src, name)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindSyntax {
				return err
			}
			c.PushNil()
			c.PushString(e.Message)
			return nil
		}
		return c.Push(f)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.DoString(`
		x = "main"
		local weak = setmetatable({}, {__mode = "k"})
		local co = coroutine.wrap(function()
			setfenv(0, {x = "coroutine", loadstring = loadstring})
			return loadstring("return x")()
		end)
		weak[{}] = true
		local kb = collect()
		local f, msg = loadstring("return = 1")
		return loadstring("return x")(), co(), kb > 0, next(weak) == nil, f, msg`)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "main" || got[1] != "coroutine" || got[2] != true || got[3] != true || got[4] != nil {
		t.Fatalf("got %#v", got)
	}
	if msg, _ := got[5].(string); !strings.HasPrefix(msg, `[string "return = 1"]:1:`) {
		t.Fatalf("syntax error message %q should name the chunk by its source", got[5])
	}
}

func TestCallContextLoadWithLevels(t *testing.T) {
	// Requirement: LoadWith compiles at the given levels (any of 0..2 runs the same code) and
	// refuses other levels with KindArgument before loading anything.
	s := newState(t)
	err := s.RegisterFunc("load_at", func(c *CallContext) error {
		level, err := c.Number(1)
		if err != nil {
			return err
		}
		f, err := c.LoadWith("local t = {} for i = 1, 10 do t[i] = i end return #t", "=load_at", int(level), 1)
		if err != nil {
			return err
		}
		return c.Push(f)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.DoString("return load_at(0)(), load_at(1)(), load_at(2)()")
	if err != nil || len(got) != 3 || got[0] != 10.0 || got[1] != 10.0 || got[2] != 10.0 {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = s.DoString("return load_at(3)")
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "bad compile options (3, 1)") {
		t.Fatalf("level 3: %v", err)
	}
}
