//! Requirement (issue 13, item 5): no abort from a panic payload whose own `Drop` panics, or
//! from several panicking userdata `Drop`s in one batch. Each is caught; the first panic is
//! resumed at the outermost call (or by dropping the state); later payloads are dropped
//! safely (a payload whose `Drop` panics is leaked). An abort kills this test binary.

use std::cell::Cell;
use std::panic::{catch_unwind, panic_any, AssertUnwindSafe};

use luau::{GcOp, State};

thread_local! {
    static BOMBS_DROPPED: Cell<u32> = const { Cell::new(0) };
    static PAYLOAD_DROPS: Cell<u32> = const { Cell::new(0) };
}

/// A panic payload whose Drop panics.
struct BadPayload;

impl Drop for BadPayload {
    fn drop(&mut self) {
        PAYLOAD_DROPS.with(|c| c.set(c.get() + 1));
        panic!("the payload's Drop panicked");
    }
}

#[derive(luau::UserData)]
struct Bomb {
    id: f64,
}

#[luau::methods]
impl Bomb {
    #[luau(constructor)]
    fn new(id: f64) -> Bomb {
        Bomb { id }
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        BOMBS_DROPPED.with(|c| c.set(c.get() + 1));
        panic!("bomb {}", self.id);
    }
}

fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn a_second_panic_whose_payload_panics_in_drop_does_not_abort() {
    let state = State::new().unwrap();
    state
        .register_func("inner", |_| -> luau::Result<()> { panic!("first") })
        .unwrap();
    state
        .register_func("outer", |ctx| -> luau::Result<()> {
            let _ = ctx.call("inner", &[]); // the first panic is stored
            panic_any(BadPayload) // a second one: its payload is dropped, and its Drop panics
        })
        .unwrap();
    let before = PAYLOAD_DROPS.with(Cell::get);
    let got = catch_unwind(AssertUnwindSafe(|| state.do_string("outer()")));
    let payload = got.expect_err("the first panic is resumed");
    assert_eq!(payload_text(&*payload), "first");
    assert_eq!(PAYLOAD_DROPS.with(Cell::get), before + 1);
    assert_eq!(
        state.do_string("return 1").unwrap(),
        [luau::Value::Number(1.0)]
    );
}

#[test]
fn several_panicking_drops_in_one_collection() {
    let state = State::new().unwrap();
    state.register_type::<Bomb>().unwrap();
    state.do_string("for i = 1, 3 do Bomb.new(i) end").unwrap();
    let before = BOMBS_DROPPED.with(Cell::get);
    // Luau collects the three; the next outermost call drops them (each Drop panics).
    let got = catch_unwind(AssertUnwindSafe(|| {
        state.gc(GcOp::Collect, 0).unwrap();
        state.do_string("return 1")
    }));
    let payload = got.expect_err("the first destructor panic is resumed");
    assert!(
        payload_text(&*payload).starts_with("bomb "),
        "{}",
        payload_text(&*payload)
    );
    assert_eq!(BOMBS_DROPPED.with(Cell::get), before + 3, "every Drop ran");
    assert_eq!(
        state.do_string("return 2").unwrap(),
        [luau::Value::Number(2.0)]
    );
}

#[test]
fn several_panicking_drops_collected_during_a_host_call() {
    let state = State::new().unwrap();
    state.register_type::<Bomb>().unwrap();
    state
        .register_func("collect", |ctx| ctx.gc(GcOp::Collect, 0).map(|_| ()))
        .unwrap();
    state.register_func("noop", |_| Ok(())).unwrap();
    let before = BOMBS_DROPPED.with(Cell::get);
    let got = catch_unwind(AssertUnwindSafe(|| {
        state.do_string("for i = 1, 3 do Bomb.new(i) end collect() noop()")
    }));
    assert!(got.is_err(), "the first destructor panic is resumed");
    assert_eq!(BOMBS_DROPPED.with(Cell::get), before + 3, "every Drop ran");
}

#[test]
fn several_panicking_drops_when_the_state_is_dropped() {
    let state = State::new().unwrap();
    state.register_type::<Bomb>().unwrap();
    state
        .do_string("keep = {} for i = 1, 3 do keep[i] = Bomb.new(i) end")
        .unwrap();
    let before = BOMBS_DROPPED.with(Cell::get);
    let got = catch_unwind(AssertUnwindSafe(move || drop(state)));
    let payload = got.expect_err("the first destructor panic is resumed by drop");
    assert!(payload_text(&*payload).starts_with("bomb "));
    assert_eq!(BOMBS_DROPPED.with(Cell::get), before + 3, "every Drop ran");
}
