package luau_test

import (
	"fmt"
	"math"

	"github.com/luau-embed/luau-embed/go/pkg/luau"
)

// Vec3 is exposed to Luau as a userdata type in the example below.
type Vec3 struct{ X, Y, Z float64 }

// Len is callable from Luau as v:len() (or v:Len()).
func (v *Vec3) Len() float64 { return math.Sqrt(v.X*v.X + v.Y*v.Y + v.Z*v.Z) }

// Scale returns a new Vec3: it reaches the script as a new userdata.
func (v *Vec3) Scale(k float64) *Vec3 { return &Vec3{v.X * k, v.Y * k, v.Z * k} }

func ExampleRegisterType() {
	s, _ := luau.New()
	defer s.Close()

	released := 0
	_ = luau.RegisterType[Vec3](s, "Vec3",
		luau.WithConstructor(func(x, y, z float64) *Vec3 { return &Vec3{x, y, z} }),
		luau.WithOperator("__add", func(a, b *Vec3) *Vec3 { return &Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }),
		luau.WithOperator("__tostring", func(v *Vec3) string { return fmt.Sprintf("Vec3(%g, %g, %g)", v.X, v.Y, v.Z) }),
		luau.WithDestructor(func(*Vec3) { released++ }),
	)
	// Values of a registered type are checked when they come back.
	_ = s.Register("norm", func(v *Vec3) float64 { return v.Len() })

	out, _ := s.DoString(`
		local v = Vec3.new(3, 4, 0)
		v.z = 12
		local w = v:scale(2) + v
		local _, err = pcall(norm, {x = 1})
		return typeof(v), v:len(), tostring(w), norm(w), err`)
	for _, x := range out {
		fmt.Println(x)
	}

	// The Go value stays alive while Luau refers to it; the destructor runs once it does
	// not (here: after a collection), or at Close.
	_ = s.GC()
	fmt.Println("released:", released)
	// Output:
	// Vec3
	// 13
	// Vec3(9, 12, 36)
	// 39
	// invalid argument #1 to 'norm' (Vec3 expected, got table)
	// released: 3
}
