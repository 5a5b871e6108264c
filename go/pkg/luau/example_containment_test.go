package luau_test

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// A runaway script is stopped by the context's deadline; the state stays usable.
func ExampleState_DoStringContext() {
	s, err := luau.New()
	if err != nil {
		panic(err)
	}
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.DoStringContext(ctx, `while true do pcall(function() while true do end end) end`)

	var le *luau.Error
	errors.As(err, &le)
	fmt.Println(err)
	fmt.Println(le.Kind, errors.Is(err, context.DeadlineExceeded))
	fmt.Println(s.DoString(`return "still usable"`))
	// Output:
	// script interrupted: deadline exceeded
	// interrupted true
	// [still usable] <nil>
}

// Interrupt stops a script from another goroutine.
func ExampleState_Interrupt() {
	s, _ := luau.New()
	defer s.Close()
	go func() {
		for !s.Interrupt() { // false until the script runs
			time.Sleep(time.Millisecond)
		}
	}()
	_, err := s.DoString(`while true do end`)
	fmt.Println(err)
	// Output: script interrupted: cancelled
}

// The profile for untrusted scripts: sandboxed, memory- and time-limited, print to a writer.
func ExampleUntrusted() {
	s, _ := luau.New(luau.Untrusted(os.Stdout))
	defer s.Close()
	_, _ = s.DoString(`print("hello from the sandbox") x = 1`)
	fmt.Println(s.DoString(`return x`)) // each run has its own globals
	_, err := s.DoString(`string.upper = nil`)
	fmt.Println(err)
	_, err = s.DoString(`while true do end`)
	fmt.Println(err)
	// Output:
	// hello from the sandbox
	// [<nil>] <nil>
	// [string "chunk"]:1: attempt to modify a readonly table
	// script interrupted: deadline exceeded
}

// A scheduler on the host side runs many scripts on one state. Each script calls the host
// function sleep(ms), which yields to the scheduler; the scheduler resumes it when its
// (virtual) time has come, passing the current time as sleep's result.
func ExampleCallContext_Yield() {
	s, _ := luau.New()
	defer s.Close()
	_ = s.RegisterFunc("sleep", func(c *luau.CallContext) error {
		if _, err := c.Number(1); err != nil {
			return err
		}
		return c.Yield(c.Ref(1)) // suspend: the scheduler gets the duration
	})
	_, _ = s.DoString(`
		function worker(id)
			local now
			for step = 1, 3 do
				now = sleep(10 * (id % 5 + 1))
			end
			return now
		end`)
	g, _ := s.Global("worker")
	worker := g.(*luau.Function)
	defer worker.Release()

	const workers = 10000
	var q wakeQueue
	for id := 0; id < workers; id++ {
		t, err := s.NewThread(worker)
		if err != nil {
			panic(err)
		}
		heap.Push(&q, wake{at: 0, seq: id, t: t, arg: float64(id)})
	}
	finishedAt := map[float64]int{}
	resumes := 0
	for q.Len() > 0 {
		w := heap.Pop(&q).(wake)
		out, yielded, err := w.t.Resume(w.arg)
		resumes++
		switch {
		case err != nil:
			panic(err)
		case yielded: // sleep(ms): wake it up ms later with the time then
			at := w.at + out[0].(float64)
			heap.Push(&q, wake{at: at, seq: w.seq, t: w.t, arg: at})
		default:
			finishedAt[out[0].(float64)]++
			w.t.Close()
		}
	}
	fmt.Println(resumes, "resumes")
	for _, at := range []float64{30, 60, 90, 120, 150} {
		fmt.Printf("%d workers finished at t=%vms\n", finishedAt[at], at)
	}
	// Output:
	// 40000 resumes
	// 2000 workers finished at t=30ms
	// 2000 workers finished at t=60ms
	// 2000 workers finished at t=90ms
	// 2000 workers finished at t=120ms
	// 2000 workers finished at t=150ms
}

// wake is a thread waiting in the scheduler's queue until time at.
type wake struct {
	at  float64
	seq int
	t   *luau.Thread
	arg any
}

// wakeQueue orders wakes by time, then by creation order (deterministic).
type wakeQueue []wake

func (q wakeQueue) Len() int { return len(q) }
func (q wakeQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q wakeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *wakeQueue) Push(x any)   { *q = append(*q, x.(wake)) }
func (q *wakeQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	*q = old[:len(old)-1]
	return w
}
