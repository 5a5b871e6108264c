//! Requirement (issue 13, item 6): the macros work when the dependent renamed luau-embed
//! (`lua = { package = "luau-embed", ... }` in Cargo.toml): `#[lua::function]`,
//! `#[derive(lua::UserData)]` and `#[lua::methods]` (with `#[lua::function(name = ...)]`
//! inside) compile and run. There is no `luau` crate in scope here: generated code naming
//! `::luau` fails to compile (E0433).

use lua::{State, Value};

#[lua::function]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[derive(lua::UserData)]
struct Vec3 {
    x: f64,
    #[luau(readonly)]
    y: f64,
}

#[lua::methods]
impl Vec3 {
    #[luau(constructor)]
    fn new(x: f64, y: f64) -> Vec3 {
        Vec3 { x, y }
    }

    #[lua::function(name = "sum")]
    fn total(&self) -> f64 {
        self.x + self.y
    }

    #[luau(meta = "__add")]
    fn plus(&self, o: &Vec3) -> Vec3 {
        Vec3::new(self.x + o.x, self.y + o.y)
    }
}

#[lua::function]
fn norm(v: &Vec3) -> f64 {
    v.x * v.x + v.y * v.y
}

#[test]
fn macros_work_under_a_renamed_dependency() {
    let state = State::new().unwrap();
    state.register_type::<Vec3>().unwrap();
    state.register_function::<add>().unwrap();
    state.register_function::<norm>().unwrap();
    let v = state
        .do_string("local v = Vec3.new(1, 2) + Vec3.new(2, 2) return add(40, 2), v:sum(), v.x, norm(v), typeof(v)")
        .unwrap();
    assert_eq!(
        v,
        [
            Value::Number(42.0),
            Value::Number(7.0),
            Value::Number(3.0),
            Value::Number(25.0),
            Value::from("Vec3"),
        ]
    );
    let err = state.do_string("return norm()").unwrap_err();
    assert!(err
        .message()
        .contains("missing argument #1 to 'norm' (Vec3 expected)"));
}

/// A facade crate re-exporting the runtime (as a dependent's own crate may do).
mod facade {
    pub use lua as runtime;
}

/// Requirement: `crate = "path"` names the runtime crate explicitly, on all three macros.
#[lua::function(crate = "crate::facade::runtime", name = "twice")]
fn double(x: f64) -> f64 {
    2.0 * x
}

#[derive(lua::UserData)]
#[luau(crate = "crate::facade::runtime", name = "Cell")]
struct Counter {
    n: f64,
}

#[lua::methods(crate = "crate::facade::runtime")]
impl Counter {
    #[luau(constructor)]
    fn new() -> Counter {
        Counter { n: 0.0 }
    }

    fn bump(&mut self) -> f64 {
        self.n += 1.0;
        self.n
    }
}

#[test]
fn an_explicit_crate_path_is_used() {
    let state = State::new().unwrap();
    state.register_type::<Counter>().unwrap();
    state.register_function::<double>().unwrap();
    let v = state
        .do_string("local c = Cell.new() c:bump() return twice(c:bump()), typeof(c)")
        .unwrap();
    assert_eq!(v, [Value::Number(4.0), Value::from("Cell")]);
}
