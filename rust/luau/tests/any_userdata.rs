//! Requirement (issue 12, item 1): a userdata that reaches the host (a result, a global, a
//! table field) is an owned handle, `Value::UserData(AnyUserData)`: the host reaches the very
//! value the script works on, passes it back to Luau as that userdata, and a handle of another
//! state or of a dropped one is a clean error, never another value.

use std::cell::Cell;

use luau::{ErrorKind, GcOp, State, UserData, UserDataRegistry, Value};

thread_local! {
    static DROPS: Cell<u32> = const { Cell::new(0) };
}

#[derive(Debug)]
struct Counter {
    n: f64,
}

impl Drop for Counter {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

impl UserData for Counter {
    const NAME: &'static str = "Counter";
    fn register(reg: &mut UserDataRegistry<Self>) {
        reg.add_function("new", |()| Counter { n: 0.0 });
        reg.add_method_mut("inc", |this, ()| {
            this.n += 1.0;
            this.n
        });
        reg.add_field_get("n", |this| this.n);
    }
}

#[derive(Debug)]
struct Other;

impl UserData for Other {
    const NAME: &'static str = "Other";
    fn register(_: &mut UserDataRegistry<Self>) {}
}

fn state() -> State {
    let s = State::new().unwrap();
    s.register_type::<Counter>().unwrap();
    s.register_type::<Other>().unwrap();
    s
}

fn userdata(v: Value) -> luau::AnyUserData {
    match v {
        Value::UserData(u) => u,
        other => panic!("expected a userdata handle, got {other:?}"),
    }
}

#[test]
fn the_host_reaches_the_value_the_script_works_on() {
    let s = state();
    let c = userdata(
        s.do_string("c = Counter.new() c:inc() return c")
            .unwrap()
            .remove(0),
    );
    assert_eq!(c.type_name(), Some("Counter"));
    assert!(c.is::<Counter>());
    assert!(!c.is::<Other>());
    s.do_string("c:inc()").unwrap();
    let value = c.borrow::<Counter>().unwrap();
    assert_eq!(
        value.borrow().n,
        2.0,
        "the host reads what the script changed"
    );
    value.borrow_mut().n = 40.0;
    assert_eq!(
        s.do_string("return c:inc()").unwrap(),
        [Value::Number(41.0)],
        "the script sees what the host changed"
    );
}

#[test]
fn globals_and_fields_holding_a_userdata_are_handles_too() {
    let s = state();
    s.do_string("c = Counter.new() t = {inner = c}").unwrap();
    let g = userdata(s.get_global("c").unwrap());
    let t = s.get_global("t").unwrap();
    let f = userdata(t.as_table().unwrap().get("inner").unwrap());
    assert_eq!(g, f, "one Luau userdata, one identity");
}

#[test]
fn passed_back_to_luau_it_is_that_userdata() {
    let s = state();
    let c = userdata(s.do_string("c = Counter.new() return c").unwrap().remove(0));
    s.set_global("same", &Value::UserData(c.clone())).unwrap();
    assert_eq!(
        s.do_string("return rawequal(same, c), same:inc(), c.n")
            .unwrap(),
        [Value::Boolean(true), Value::Number(1.0), Value::Number(1.0)]
    );
    let typeof_ = s.do_string("return typeof").unwrap().remove(0);
    let typeof_ = typeof_.as_function().unwrap();
    assert_eq!(
        typeof_.call(&[Value::UserData(c)]).unwrap(),
        [Value::from("Counter")],
        "as a call argument"
    );
}

#[test]
fn another_type_is_a_conversion_error_worded_like_an_argument_error() {
    let s = state();
    let c = userdata(s.do_string("return Counter.new()").unwrap().remove(0));
    let err = c.borrow::<Other>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    assert_eq!(err.message(), "Other expected, got Counter");
}

#[test]
fn a_handle_of_another_state_or_a_dropped_one_is_a_clean_error() {
    let a = state();
    let b = state();
    let c = userdata(a.do_string("return Counter.new()").unwrap().remove(0));
    let err = b.set_global("c", &Value::UserData(c.clone())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion, "{err}");
    assert_eq!(b.do_string("return c").unwrap(), [Value::Nil]);
    drop(a);
    let err = c.borrow::<Counter>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
    assert_eq!(c.type_name(), None);
}

#[test]
fn the_handle_keeps_the_value_alive_and_releases_it_when_dropped() {
    let s = state();
    let before = DROPS.with(Cell::get);
    let c = userdata(s.do_string("return Counter.new()").unwrap().remove(0));
    s.gc(GcOp::Collect, 0).unwrap();
    s.do_string("return 1").unwrap();
    assert_eq!(
        DROPS.with(Cell::get),
        before,
        "held by the host: not collected"
    );
    assert!(c.is::<Counter>());
    drop(c);
    s.gc(GcOp::Collect, 0).unwrap();
    s.do_string("return 1").unwrap();
    assert_eq!(DROPS.with(Cell::get), before + 1, "dropped: collected once");
}
