package bench

import (
	"strings"
	"testing"
)

// The floors give the results the benchmarks expect; the hooked ones (cgo_floor) as well.
func TestFloors(t *testing.T) {
	for _, hooked := range []int32{0, FloorHooked} {
		s := newProject(t)
		for name, which := range map[string]int32{"add": FloorAdd, "s16": FloorString16, "fail": FloorError, "noop": FloorNoop} {
			if err := FloorRegister(s, which|hooked, name); err != nil {
				t.Fatal(err)
			}
		}
		res, err := s.DoString(`local ok, e = pcall(fail) return add(2, 3), s16(), noop(), e`)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 4 || res[0] != float64(5) || res[1] != str16 || res[2] != nil {
			t.Fatalf("hooked=%#x: results %v", hooked, res)
		}
		if e, _ := res[3].(string); !strings.Contains(e, "floor error") {
			t.Fatalf("hooked=%#x: pcall gave %v", hooked, res[3])
		}
	}
	if err := FloorRegister(newProject(t), 99|FloorHooked, "f"); err == nil {
		t.Fatal("an unknown hooked floor registered")
	}
}
