//! Requirement (issue 13, item 7b): a table literal constructs the type where one is
//! expected, through the type's declared list construction (`UserData::from_list`): `{1, 2,
//! 3}` is accepted by a `UserDataRef<Vec3>` parameter; a wrong-shape literal is the
//! Luau-worded argument error and the host function is not called; a type that declares no
//! list construction still takes only its userdata.

use std::cell::Cell;

use luau::{CallContext, Error, FromLuau, State, UserData, UserDataRef, UserDataRegistry};

struct Vec3 {
    x: f64,
    y: f64,
    z: f64,
}

impl UserData for Vec3 {
    const NAME: &'static str = "Vec3";
    fn register(reg: &mut UserDataRegistry<Self>) {
        reg.add_function("new", |(x, y, z): (f64, f64, f64)| Vec3 { x, y, z });
    }
    fn from_list(ctx: &CallContext<'_>, i: usize) -> Option<luau::Result<Self>> {
        Some(Vec::<f64>::from_arg(ctx, i).and_then(|xs| match xs[..] {
            [x, y, z] => Ok(Vec3 { x, y, z }),
            _ => Err(Error::bad_argument(
                i + 1,
                &ctx.name(),
                format_args!("Vec3 expected, got a list of {} numbers", xs.len()),
            )),
        }))
    }
}

struct Counter;

impl UserData for Counter {
    const NAME: &'static str = "Counter";
    fn register(reg: &mut UserDataRegistry<Self>) {
        reg.add_function("new", |()| Counter);
    }
}

thread_local! {
    static CALLS: Cell<u32> = const { Cell::new(0) };
}

#[test]
fn a_table_literal_constructs_the_type_where_one_is_expected() {
    let state = State::new().unwrap();
    state.register_type::<Vec3>().unwrap();
    state.register_type::<Counter>().unwrap();
    state
        .register("sum", |(v,): (UserDataRef<Vec3>,)| {
            CALLS.with(|c| c.set(c.get() + 1));
            let v = v.borrow();
            v.x + v.y + v.z
        })
        .unwrap();
    state
        .register("count", |(_c,): (UserDataRef<Counter>,)| {
            CALLS.with(|c| c.set(c.get() + 1));
            0.0
        })
        .unwrap();

    let r = state
        .do_string("return sum({1, 2, 3}), sum(Vec3.new(1, 1, 1))")
        .unwrap();
    assert_eq!(r, [luau::Value::Number(6.0), luau::Value::Number(3.0)]);

    CALLS.with(|c| c.set(0));
    for (src, want) in [
        (
            "sum({1, 2})",
            "invalid argument #1 to 'sum' (Vec3 expected, got a list of 2 numbers)",
        ),
        (
            "sum({1, 'two', 3})",
            "invalid argument #1 to 'sum' (element 2: number expected, got string)",
        ),
        (
            "sum(7)",
            "invalid argument #1 to 'sum' (Vec3 expected, got number)",
        ),
        (
            "count({1})",
            "invalid argument #1 to 'count' (Counter expected, got table)",
        ),
    ] {
        let err = state.do_string(src).unwrap_err();
        assert!(err.message().contains(want), "{src}: {err}, want {want:?}");
    }
    assert_eq!(CALLS.with(Cell::get), 0, "host called with a bad argument");
}
