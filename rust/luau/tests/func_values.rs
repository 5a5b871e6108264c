//! Host functions as values (State::create_function / create_func).

use luau::{ErrorKind, State, Value};

/// Requirement: a host function made a value works wherever a Luau value goes — a host
/// module's member, a global, an argument — without a global of its own, with its name in
/// Luau's argument errors, and a host error keeps its identity (source) through it.
#[test]
fn a_created_function_is_a_value_without_a_global() {
    let state = State::new().unwrap();
    let double = state
        .create_function("double", |(x,): (f64,)| 2.0 * x)
        .unwrap();
    let refuse = state
        .create_func("refuse", |_ctx| -> luau::Result<()> {
            Err(luau::Error::external(std::io::Error::other("refused")))
        })
        .unwrap();
    state
        .register_module(
            "@host/math2",
            [
                ("double", Value::Function(double.clone())),
                ("refuse", Value::Function(refuse)),
            ],
        )
        .unwrap();
    assert_eq!(
        state
            .do_string("return require('@host/math2').double(21), type(double)")
            .unwrap(),
        [Value::Number(42.0), Value::from("nil")]
    );
    state
        .set_global("twice", &Value::Function(double.clone()))
        .unwrap();
    assert_eq!(
        state
            .do_string("return twice(4), rawequal(twice, require('@host/math2').double)")
            .unwrap(),
        [Value::Number(8.0), Value::Boolean(true)]
    );
    let apply = match state
        .do_string("return function(f, x) return f(x) end")
        .unwrap()
        .pop()
    {
        Some(Value::Function(f)) => f,
        other => panic!("not a function: {other:?}"),
    };
    assert_eq!(
        apply
            .call(&[Value::Function(double), Value::Number(5.0)])
            .unwrap(),
        [Value::Number(10.0)]
    );

    let err = state.do_string("return twice('x')").unwrap_err();
    assert!(
        err.message()
            .contains("invalid argument #1 to 'double' (number expected, got string)"),
        "{err}"
    );
    let err = state
        .do_string("return require('@host/math2').refuse()")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    let source = std::error::Error::source(&err).expect("the host's error");
    assert_eq!(source.to_string(), "refused");
}

/// Requirement: created functions leave the registry when their state is dropped (a
/// process that creates states does not grow it).
#[test]
fn created_functions_leave_the_registry_with_their_state() {
    let state = State::new().unwrap();
    for _ in 0..10 {
        state.create_function("f", |(): ()| ()).unwrap();
    }
    let key = state.registry_key();
    assert_eq!(luau::registry_len_for(key), 10);
    drop(state);
    assert_eq!(luau::registry_len_for(key), 0);
}
