package luau

import "testing"

// Requirement (issue 13, item 7a): a userdata shared between host and script by reference:
// a *T of a registered type pushed to the script is that pointer (no copy), so the shared
// value seen by the host reflects the script's change, and the host's change is what the
// script sees; Luau collecting its userdata runs no destructor the host did not ask for and
// leaves the host's value intact.
func TestTheSharedValueSeenByTheHostReflectsTheScriptsChange(t *testing.T) {
	e := newVecEnv(t)
	s := e.s
	shared := &vec3{X: 1}
	must(t, s.Register("shared_vec", func() *vec3 { return shared }))

	run(t, s, "local v = shared_vec() v.x = v.x + 41 v:SetAll(v.x)")
	if *shared != (vec3{42, 42, 42}) {
		t.Fatalf("host sees %+v, want the script's change {42 42 42}", *shared)
	}
	shared.Y = 7
	r, err := s.DoString("return shared_vec().y")
	must(t, err)
	if len(r) != 1 || r[0] != 7.0 {
		t.Fatalf("script sees %v, want the host's change 7", r)
	}
	// Each push is a new userdata of the same pointer; collecting them leaves the value.
	must(t, s.GC())
	run(t, s, "return 1") // collected values are released at the next call
	if *shared != (vec3{42, 7, 42}) {
		t.Fatalf("value changed by collection: %+v", *shared)
	}
}
