//! Owned handles (issue 12): tables and functions held by the host.

use luau::{ErrorKind, State, Table, Value};

fn table(v: Value) -> Table {
    match v {
        Value::Table(t) => t,
        other => panic!("not a table: {other:?}"),
    }
}

#[test]
fn a_table_nested_100_deep_is_read_to_the_bottom_through_handles() {
    let state = State::new().unwrap();
    let mut t = table(
        state
            .do_string("local t = {v = 'bottom'} for i = 1, 100 do t = {inner = t} end return t")
            .unwrap()
            .remove(0),
    );
    for _ in 0..100 {
        t = table(t.get("inner").unwrap());
    }
    assert_eq!(t.get("v").unwrap(), Value::from("bottom"));
}

#[test]
fn a_table_built_by_the_host_and_mutated_by_a_script_shows_the_change() {
    let state = State::new().unwrap();
    let t = state.create_table().unwrap();
    t.set("count", 1).unwrap();
    state
        .do_string("function bump(t) t.count = t.count + 1; t.added = 'yes' end")
        .unwrap();
    state.call("bump", &[Value::Table(t.clone())]).unwrap();
    assert_eq!(t.get("count").unwrap(), Value::Number(2.0));
    assert_eq!(t.get("added").unwrap(), Value::from("yes"));
    // As a global too.
    state.set_global("cfg", &t.clone().into()).unwrap();
    state.do_string("cfg.count = 10").unwrap();
    assert_eq!(t.get("count").unwrap(), Value::Number(10.0));
}

#[test]
fn a_stored_callback_is_called_1000_times_after_the_call_that_delivered_it() {
    let state = State::new().unwrap();
    let cb = state
        .do_string("local n = 0 return function(x) n = n + x return n end")
        .unwrap()
        .remove(0);
    let Value::Function(cb) = cb else {
        panic!("not a function: {cb:?}")
    };
    let mut last = Value::Nil;
    for _ in 0..1000 {
        last = cb.call(&[Value::Number(2.0)]).unwrap().remove(0);
    }
    assert_eq!(last, Value::Number(2000.0));
}

#[test]
fn a_function_obtained_by_the_host_is_passed_back_and_called_by_the_script() {
    let state = State::new().unwrap();
    state
        .do_string("function double(x) return 2 * x end function apply(f, x) return f(x) end")
        .unwrap();
    let double = state.get_function("double").unwrap();
    let out = state
        .call("apply", &[double.clone().into(), Value::Number(21.0)])
        .unwrap();
    assert_eq!(out, [Value::Number(42.0)]);
    // And returned by a host function.
    let f = double.clone();
    state
        .register_func("get_double", move |ctx| {
            ctx.push_value(&Value::Function(f.clone()))
        })
        .unwrap();
    assert_eq!(
        state.do_string("return get_double()(5)").unwrap(),
        [Value::Number(10.0)]
    );
    // load gives a Function too.
    let bc = state.compile("return ...").unwrap();
    let chunk = state.load("chunk", &bc).unwrap();
    assert_eq!(
        state
            .call("apply", &[chunk.into(), Value::from("x")])
            .unwrap(),
        [Value::from("x")]
    );
}

#[test]
fn sharing_is_preserved_one_table_reached_twice_is_one_table() {
    let state = State::new().unwrap();
    let outer = table(
        state
            .do_string("local t = {} return {t, t, {}}")
            .unwrap()
            .remove(0),
    );
    let seq = outer.sequence_values().unwrap();
    assert_eq!(seq.len(), 3);
    assert_eq!(seq[0], seq[1], "the same table");
    assert_ne!(seq[0], seq[2], "another table");
    // A write through one is seen through the other.
    seq[0].as_table().unwrap().set("x", 1).unwrap();
    assert_eq!(
        seq[1].as_table().unwrap().get("x").unwrap(),
        Value::Number(1.0)
    );
}

#[test]
fn a_handle_of_another_state_is_a_conversion_error_never_a_value_of_that_state() {
    let a = State::new().unwrap();
    let b = State::new().unwrap();
    let t = a.create_table().unwrap();
    b.do_string("function id(v) return v end").unwrap();
    let err = b.call("id", &[t.clone().into()]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion, "{err}");
    assert!(err.message().contains("another state"), "{err}");
    let err = b.set_global("g", &t.clone().into()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    let bt = b.create_table().unwrap();
    let err = bt.set("k", t.clone()).unwrap_err();
    assert!(err.message().contains("another state"), "{err}");
    let f = a.do_string("return function() end").unwrap().remove(0);
    let err = b.call("id", &[f]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    // Nothing of b was touched: its global is still unset.
    assert_eq!(b.get_global("g").unwrap(), Value::Nil);
}

#[test]
fn a_handle_used_after_its_state_is_dropped_is_a_clean_error() {
    let (t, f) = {
        let state = State::new().unwrap();
        let t = state.create_table().unwrap();
        t.set(1, "x").unwrap();
        let f = state.do_string("return function() end").unwrap().remove(0);
        (t, f)
    };
    assert!(t.get(1).unwrap_err().message().contains("closed"));
    assert!(t.len().is_err());
    let f = f.as_function().unwrap();
    assert!(f.call(&[]).unwrap_err().message().contains("closed"));
    drop(t); // and dropping after close touches nothing
}

#[test]
fn handles_dropped_inside_a_host_call_are_released_afterwards() {
    // A handle dropped while a host call runs is queued and released at the next outermost
    // call: the Luau heap is flat again after a GC.
    let state = State::new().unwrap();
    state
        .register_func("churn", |ctx| {
            // Tables reached through the argument's handle, each 64 KiB, dropped here.
            let t = ctx.table(0)?;
            for i in 1..=64 {
                let v = t.get(i)?;
                drop(v);
            }
            Ok(())
        })
        .unwrap();
    state
        .do_string("big = {} for i = 1, 64 do big[i] = table.create(8192, i) end")
        .unwrap();
    state.gc_collect().unwrap();
    let before = state.memory_used();
    state.do_string("churn(big) big = nil").unwrap();
    state.gc_collect().unwrap();
    let after = state.memory_used();
    assert!(
        after + (3 << 20) < before,
        "the 4 MiB of tables were not released: before {before}, after {after}"
    );
}

#[test]
fn pairs_and_sequence_helpers() {
    let state = State::new().unwrap();
    let t = table(
        state
            .do_string("return {10, 20, 30, name = 'n'}")
            .unwrap()
            .remove(0),
    );
    assert_eq!(t.len().unwrap(), 3);
    assert_eq!(
        t.sequence_values().unwrap(),
        [
            Value::Number(10.0),
            Value::Number(20.0),
            Value::Number(30.0)
        ]
    );
    let pairs = t.pairs().unwrap();
    assert_eq!(pairs.len(), 4);
    // pairs order: the array part first, in order.
    assert_eq!(pairs[0], (Value::Number(1.0), Value::Number(10.0)));
    assert_eq!(pairs[2], (Value::Number(3.0), Value::Number(30.0)));
    assert_eq!(pairs[3], (Value::from("name"), Value::from("n")));
    // raw access skips metamethods.
    state
        .do_string("mt = setmetatable({}, {__index = function() return 'meta' end})")
        .unwrap();
    let mt = table(state.get_global("mt").unwrap());
    assert_eq!(mt.get("k").unwrap(), Value::from("meta"));
    assert_eq!(mt.raw_get("k").unwrap(), Value::Nil);
    mt.raw_set("k", 1).unwrap();
    assert_eq!(mt.get("k").unwrap(), Value::Number(1.0));
    // A table key works.
    let key = state.create_table().unwrap();
    t.set(key.clone(), "by table").unwrap();
    assert_eq!(t.get(key).unwrap(), Value::from("by table"));
    // Bad keys are errors, not crashes.
    assert!(t.set(Value::Nil, 1).is_err());
}

#[test]
fn debug_of_a_string_value_prints_its_text_where_it_is_utf8() {
    assert_eq!(format!("{:?}", Value::from("hi")), "String(\"hi\")");
    assert_eq!(
        format!("{:?}", Value::String(vec![0xff, 1])),
        "String([255, 1])"
    );
}
