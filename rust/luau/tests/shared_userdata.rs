//! Requirement (issue 13, item 7a): a userdata value shared between host and script by
//! reference (AddRef/Release): the shared value seen by the host reflects the script's
//! change; Luau's reference is released when it collects the userdata, and the value lives
//! while the host still holds it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use luau::{GcOp, State, UserData, UserDataRegistry};

thread_local! {
    static DROPS: Cell<u32> = const { Cell::new(0) };
}

struct Tally {
    n: f64,
}

impl Drop for Tally {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

impl UserData for Tally {
    const NAME: &'static str = "Tally";
    fn register(reg: &mut UserDataRegistry<Self>) {
        reg.add_method_mut("inc", |this, ()| {
            this.n += 1.0;
            this.n
        });
        reg.add_field_get("n", |this| this.n);
        reg.add_field_set("n", |this, v: f64| this.n = v);
    }
}

#[test]
fn the_shared_value_seen_by_the_host_reflects_the_scripts_change() {
    let state = State::new().unwrap();
    state.register_type::<Tally>().unwrap();
    let shared = Rc::new(RefCell::new(Tally { n: 0.0 }));
    let for_script = Rc::clone(&shared);
    state
        .register_func("tally", move |ctx| ctx.push_userdata_shared(&for_script))
        .unwrap();

    state
        .do_string("local t = tally() t:inc() t:inc() t.n = t.n + 40")
        .unwrap();
    assert_eq!(
        shared.borrow().n,
        42.0,
        "the host reads what the script changed"
    );

    // The host's change is what the script sees next, through a new userdata of the value.
    shared.borrow_mut().n = 7.0;
    let v = state.do_string("return tally().n").unwrap();
    assert_eq!(v, [luau::Value::Number(7.0)]);

    // Release: Luau collecting its userdata drops its reference only; the value lives on.
    DROPS.with(|d| d.set(0));
    state.gc(GcOp::Collect, 0).unwrap();
    state.do_string("return 1").unwrap(); // released values are dropped at the next call
    assert_eq!(DROPS.with(Cell::get), 0, "the host still holds the value");
    assert_eq!(
        Rc::strong_count(&shared),
        2,
        "the host's and the closure's references"
    );
    drop(state); // drops the closure's reference too
    assert_eq!(Rc::strong_count(&shared), 1);
    drop(shared);
    assert_eq!(
        DROPS.with(Cell::get),
        1,
        "dropped once, with the last reference"
    );
}
