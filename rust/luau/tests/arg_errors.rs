//! Requirement (issue 13, item 2): a host function's argument errors read exactly as Luau
//! 0.745's own builtins': `invalid argument #N to 'f' (T expected, got U)`, where U is what
//! `typeof` says (a host type's name for its userdata, `nil` for a nil that is there), and
//! `missing argument #N to 'f' (T expected)` when the call has no argument N at all. The
//! tests ask Luau itself (`math.abs`, `string.len`) for the message and compare byte for byte
//! with the raw API, the typed API and the macros.

use luau::{State, Value};

#[derive(luau::UserData)]
struct Vec3 {
    x: f64,
}

#[luau::methods]
impl Vec3 {
    #[luau(constructor)]
    fn new(x: f64) -> Vec3 {
        Vec3 { x }
    }

    fn scale(&self, k: f64) -> f64 {
        self.x * k
    }
}

#[derive(luau::UserData)]
struct Counter {
    n: f64,
}

#[luau::methods]
impl Counter {
    #[luau(constructor)]
    fn new() -> Counter {
        Counter { n: 0.0 }
    }
}

mod as_abs {
    #[luau::function(name = "abs")]
    pub fn abs(x: f64) -> f64 {
        x.abs()
    }
}

mod as_len {
    #[luau::function(name = "len")]
    pub fn len(s: &str) -> usize {
        s.len()
    }
}

#[luau::function]
fn norm(v: &Vec3) -> f64 {
    v.x
}

const ARGS: &[&str] = &[
    "",
    "nil",
    "'x'",
    "{}",
    "true",
    "Vec3.new(1)",
    "Counter.new()",
    "newproxy()",
    "vector.create(1, 2, 3)",
    "math.floor",
];

fn state() -> State {
    let state = State::new().unwrap();
    state.register_type::<Vec3>().unwrap();
    state.register_type::<Counter>().unwrap();
    state.register_function::<norm>().unwrap();
    state
}

/// Compares `pcall(builtin, a)` with `pcall(host, a)` for every listed argument `a`.
fn same_as_builtin(state: &State, builtin: &str, host: &str, skip: &[&str]) {
    for a in ARGS.iter().filter(|a| !skip.contains(a)) {
        let src = format!(
            "local _, a = pcall({builtin}{sep}{a}) local _, b = pcall({host}{sep}{a}) return a, b",
            sep = if a.is_empty() { "" } else { ", " }
        );
        let v = state.do_string(&src).unwrap();
        assert_eq!(v.len(), 2, "{src}");
        assert!(matches!(v[1], Value::String(_)), "{host}({a}): {v:?}");
        assert_eq!(v[0], v[1], "{builtin}({a}) vs {host}({a})");
    }
}

#[test]
fn raw_api_matches_luau_builtins() {
    let state = state();
    state
        .register_func("abs", |ctx| Ok(ctx.number(0)?.abs()))
        .unwrap();
    state
        .register_func("len", |ctx| Ok(ctx.str(0)?.len() as f64))
        .unwrap();
    same_as_builtin(&state, "math.abs", "abs", &[]);
    same_as_builtin(&state, "string.len", "len", &["'x'"]);
}

#[test]
fn typed_api_matches_luau_builtins() {
    let state = state();
    state.register("abs", |(x,): (f64,)| x.abs()).unwrap();
    state.register("len", |(s,): (String,)| s.len()).unwrap();
    same_as_builtin(&state, "math.abs", "abs", &[]);
    same_as_builtin(&state, "string.len", "len", &["'x'"]);
}

#[test]
fn macros_match_luau_builtins() {
    let state = state();
    state.register_function::<as_abs::abs>().unwrap();
    state.register_function::<as_len::len>().unwrap();
    same_as_builtin(&state, "math.abs", "abs", &[]);
    same_as_builtin(&state, "string.len", "len", &["'x'"]);
}

#[test]
fn missing_and_nil_are_told_apart() {
    let state = state();
    state.register_function::<as_abs::abs>().unwrap();
    for (src, want) in [
        (
            "abs(nil)",
            "invalid argument #1 to 'abs' (number expected, got nil)",
        ),
        ("abs()", "missing argument #1 to 'abs' (number expected)"),
        (
            "abs(Vec3.new(1))",
            "invalid argument #1 to 'abs' (number expected, got Vec3)",
        ),
        ("norm()", "missing argument #1 to 'norm' (Vec3 expected)"),
        (
            "norm(nil)",
            "invalid argument #1 to 'norm' (Vec3 expected, got nil)",
        ),
        (
            "norm(Counter.new())",
            "invalid argument #1 to 'norm' (Vec3 expected, got Counter)",
        ),
        (
            "Vec3.new(1):scale()",
            "missing argument #2 to 'scale' (number expected)",
        ),
        (
            "Vec3.new(1).scale()",
            "missing argument #1 to 'scale' (Vec3 expected)",
        ),
    ] {
        let v = state
            .do_string(format!(
                "return select(2, pcall(function() return {src} end))"
            ))
            .unwrap();
        assert_eq!(v, [Value::from(want)], "{src}");
    }
}

#[test]
fn type_error_and_bad_argument_wording() {
    let state = state();
    state
        .register_func("f", |ctx| {
            Ok(format!(
                "{}|{}",
                ctx.type_error(1, "string"),
                ctx.bad_argument(1, "out of range")
            ))
        })
        .unwrap();
    let v = state.do_string("return f(1), f(1, 2)").unwrap();
    assert_eq!(
        v,
        [
            Value::from(
                "missing argument #2 to 'f' (string expected)|invalid argument #2 to 'f' (out of range)"
            ),
            Value::from(
                "invalid argument #2 to 'f' (string expected, got number)|invalid argument #2 to 'f' (out of range)"
            ),
        ]
    );
}
