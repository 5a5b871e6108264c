package luau

import "unsafe"

// Fast paths for the common method, operator and constructor signatures of a registered
// type T: called without reflection, so a call allocates nothing on the Go side.

// recv returns argument 1 as a *T of ut, or the bad-argument error.
func recv[T any](c *CallContext, ut *udType) (*T, error) {
	p, msg := c.self(ut)
	if msg != "" {
		return nil, c.badArg(1, msg)
	}
	return p.(*T), nil
}

// operand returns argument i as a *T of ut, or the bad-argument error.
func operand[T any](c *CallContext, i int, ut *udType) (*T, error) {
	v := c.arg(i)
	if v != nil {
		if p, ok := c.st.udPtr(v, ut.id); ok {
			return p.(*T), nil
		}
	}
	return nil, c.badArg(i, expected(ut.name, c.st, v))
}

// pushUD adds p as a userdata result of ut (nil as nil).
func pushUD[T any](c *CallContext, ut *udType, p *T) error {
	if p == nil {
		c.PushNil()
		return nil
	}
	h := c.st.udHandle(ut, p, unsafe.Pointer(p))
	r := c.raw.AddResult()
	if r == nil {
		return newError(KindMemory, "luau: not enough memory for results")
	}
	r.SetUserdata(ut.id, h)
	return nil
}

// fastMethod returns a GoFunc for fn when its signature is a common one with a *T first
// parameter (methods, operators) or a common constructor, else nil.
func fastMethod[T any](fn any, ut *udType) GoFunc {
	switch f := fn.(type) {
	case func(*T):
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			f(p)
			return nil
		}
	case func(*T) error:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			return f(p)
		}
	case func(*T) float64:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			c.PushNumber(f(p))
			return nil
		}
	case func(*T) int:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			return c.pushInt(int64(f(p)))
		}
	case func(*T) bool:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			c.PushBool(f(p))
			return nil
		}
	case func(*T) string:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			c.PushString(f(p))
			return nil
		}
	case func(*T) *T:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			return pushUD(c, ut, f(p))
		}
	case func(*T, float64):
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			k, err := c.typedFloat(2)
			if err != nil {
				return err
			}
			f(p, k)
			return nil
		}
	case func(*T, float64) float64:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			k, err := c.typedFloat(2)
			if err != nil {
				return err
			}
			c.PushNumber(f(p, k))
			return nil
		}
	case func(*T, float64) *T:
		return func(c *CallContext) error {
			p, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			k, err := c.typedFloat(2)
			if err != nil {
				return err
			}
			return pushUD(c, ut, f(p, k))
		}
	case func(*T, *T) *T:
		return func(c *CallContext) error {
			a, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			b, err := operand[T](c, 2, ut)
			if err != nil {
				return err
			}
			return pushUD(c, ut, f(a, b))
		}
	case func(*T, *T) bool:
		return func(c *CallContext) error {
			a, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			b, err := operand[T](c, 2, ut)
			if err != nil {
				return err
			}
			c.PushBool(f(a, b))
			return nil
		}
	case func(*T, *T) float64:
		return func(c *CallContext) error {
			a, err := recv[T](c, ut)
			if err != nil {
				return err
			}
			b, err := operand[T](c, 2, ut)
			if err != nil {
				return err
			}
			c.PushNumber(f(a, b))
			return nil
		}
	case func() *T:
		return func(c *CallContext) error { return pushUD(c, ut, f()) }
	case func(float64, float64, float64) *T:
		return func(c *CallContext) error {
			x, err := c.typedFloat(1)
			if err != nil {
				return err
			}
			y, err := c.typedFloat(2)
			if err != nil {
				return err
			}
			z, err := c.typedFloat(3)
			if err != nil {
				return err
			}
			return pushUD(c, ut, f(x, y, z))
		}
	}
	return nil
}
