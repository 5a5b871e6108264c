//! Requirement (issue 12, item 1): a thread (coroutine) that reaches the host as a value is an
//! owned handle, `Value::Thread(ThreadRef)`: the host can resume it, pass it back to Luau as
//! that coroutine, and turn its own threads into values; a handle of another state is a clean
//! error, never another state's thread.

use luau::{ErrorKind, State, ThreadResult, ThreadStatus, Value};

fn thread_ref(v: Value) -> luau::ThreadRef {
    match v {
        Value::Thread(t) => t,
        other => panic!("expected a thread handle, got {other:?}"),
    }
}

#[test]
fn a_scripts_coroutine_is_a_handle_the_host_resumes() {
    let s = State::new().unwrap();
    let co = thread_ref(
        s.do_string("co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return a * b end) return co")
            .unwrap()
            .remove(0),
    );
    let t = s.thread(&co).unwrap();
    assert_eq!(t.status(), ThreadStatus::Suspended);
    assert_eq!(
        t.resume(&[Value::Number(6.0)]).unwrap(),
        ThreadResult::Yielded(vec![Value::Number(7.0)])
    );
    assert_eq!(
        s.do_string("return coroutine.status(co)").unwrap(),
        [Value::from("suspended")],
        "the script sees the host's resume: one thread"
    );
    assert_eq!(
        t.resume(&[Value::Number(7.0)]).unwrap(),
        ThreadResult::Returned(vec![Value::Number(42.0)])
    );
    assert_eq!(t.status(), ThreadStatus::Finished);
}

#[test]
fn passed_back_to_luau_it_is_that_coroutine() {
    let s = State::new().unwrap();
    let co = thread_ref(
        s.do_string("co = coroutine.create(function() coroutine.yield(1) end) return co")
            .unwrap()
            .remove(0),
    );
    s.set_global("same", &Value::Thread(co.clone())).unwrap();
    assert_eq!(
        s.do_string("return rawequal(same, co)").unwrap(),
        [Value::Boolean(true)]
    );
    let again = thread_ref(s.get_global("co").unwrap());
    assert_eq!(co, again, "one Luau thread, one identity");
}

#[test]
fn a_host_thread_becomes_a_value_the_script_can_resume() {
    let s = State::new().unwrap();
    s.do_string("function twice(x) local y = coroutine.yield(x * 2) return y * 2 end")
        .unwrap();
    let t = s.create_thread(&s.get_function("twice").unwrap()).unwrap();
    let v = t.to_value().unwrap();
    assert_eq!(v.type_of(), luau::Type::Thread);
    s.set_global("t", &v).unwrap();
    assert_eq!(
        s.do_string("local a, b = coroutine.resume(t, 5) local c, d = coroutine.resume(t, 4) return b, d, coroutine.status(t)")
            .unwrap(),
        [Value::Number(10.0), Value::Number(8.0), Value::from("dead")]
    );
    assert_eq!(t.status(), ThreadStatus::Finished);
}

#[test]
fn a_thread_handle_of_another_state_is_a_clean_error() {
    let a = State::new().unwrap();
    let b = State::new().unwrap();
    let co = thread_ref(
        a.do_string("return coroutine.create(function() end)")
            .unwrap()
            .remove(0),
    );
    assert_eq!(b.thread(&co).unwrap_err().kind(), ErrorKind::Conversion);
    let err = b.set_global("co", &Value::Thread(co)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion, "{err}");
    assert_eq!(b.do_string("return co").unwrap(), [Value::Nil]);
}
