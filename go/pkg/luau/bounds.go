package luau

// Bounded conversions Luau -> Go: a table reachable twice converts once, and what one
// conversion allocates on the Go side is bounded.

import "github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"

// DefaultConversionBudget is the most bytes (approximately: string bytes plus a fixed cost
// per value and per table entry) that converting one set of Luau values to Go may produce
// on a state without a memory limit. With a memory limit (WithMemoryLimit), the limit is
// the budget. Going over it is an *Error of kind KindMemory ("results exceed ..."), never
// an exhausted host. It applies to each result list (DoString, Call, Resume...) and each
// value read (Global, CallContext.Arg...) as a whole.
//
// Tables convert to []any or map[any]any (see Value) sharing as in Luau: a table reached
// twice in one conversion (`return t, t`, or `{a, a}`) becomes one Go value stored twice, so a chain
// of tables that doubles the paths at every level costs its size, not the number of paths.
// A table that contains itself (directly or not) cannot become Go maps: it is an error of
// kind KindConversion ("cycle"), so a converted value is always safe to print or walk.
const DefaultConversionBudget = 256 << 20

// Approximate Go-side costs charged to the budget.
const (
	convValueCost = 16 // an interface value
	convEntryCost = 48 // a map entry: key, value and the map's own overhead
	convTableCost = 64 // a map
)

// convState is one conversion in progress (state.ctl.conv, valid while ctl.converting).
type convState struct {
	left   int64                // budget bytes left
	budget uint64               // the whole budget, for the message
	seen   map[uintptr]any      // tables converted so far ([]any or map[any]any)
	active map[uintptr]struct{} // tables being converted (a cycle if met again)
}

// convBegin starts a conversion unless one is going on; own reports that the caller started
// it and must call convEnd.
// No allocation: the maps are made for the first table only.
func (st *state) convBegin() (own bool) {
	if st.ctl.converting {
		return false
	}
	budget := st.ctl.memLimit
	if budget == 0 {
		budget = DefaultConversionBudget
	}
	st.ctl.converting = true
	st.ctl.conv = convState{left: int64(budget), budget: budget}
	return true
}

func (st *state) convEnd() {
	st.ctl.converting = false
	st.ctl.conv = convState{}
}

func (c *convState) charge(n int64) *Error {
	c.left -= n
	if c.left < 0 {
		return newError(KindMemory, "luau: results exceed the conversion budget of %d bytes (the state's memory limit, or DefaultConversionBudget without one)", c.budget)
	}
	return nil
}

// chargeResults charges a result list before it is converted.
func (st *state) chargeResults(vals []capi.Value) *Error {
	n := int64(len(vals)) * convValueCost
	for i := range vals {
		if vals[i].Type == capi.TString {
			n += int64(vals[i].StringLen())
		}
	}
	return st.ctl.conv.charge(n)
}

// chargeEntry charges one table entry before it is converted.
func (st *state) chargeEntry(k, v *capi.Value) *Error {
	n := int64(convEntryCost)
	if k.Type == capi.TString {
		n += int64(k.StringLen())
	}
	if v.Type == capi.TString {
		n += int64(v.StringLen())
	}
	return st.ctl.conv.charge(n)
}

// tableStart looks up the table at idx: done with its earlier conversion prev (or a cycle
// error), or not done, then tableDone(p, m) must follow its conversion m.
func (st *state) tableStart(idx int) (p uintptr, prev any, done bool, err *Error) {
	c := &st.ctl.conv
	if err := c.charge(convTableCost); err != nil {
		return 0, nil, true, err
	}
	p = st.c.ToPointer(idx)
	if p == 0 {
		return 0, nil, false, nil
	}
	if prev, ok := c.seen[p]; ok {
		return p, prev, true, nil
	}
	if _, ok := c.active[p]; ok {
		return p, nil, true, newError(KindConversion, "luau: table contains itself (a cycle?): it cannot be converted to Go maps")
	}
	if c.active == nil {
		c.active = make(map[uintptr]struct{})
		c.seen = make(map[uintptr]any)
	}
	c.active[p] = struct{}{}
	return p, nil, false, nil
}

// tableDone records m, the finished conversion of table p.
func (st *state) tableDone(p uintptr, m any) {
	c := &st.ctl.conv
	if p == 0 || c.active == nil {
		return
	}
	delete(c.active, p)
	c.seen[p] = m
}
