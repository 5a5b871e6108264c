//! The macro layer, tested from its requirements: each test states the requirement first and
//! checks it from Rust and from a script.
//!
//! - `#[luau::function]` captures the callable: the generated wrapper is callable from Luau
//!   and the original function is still callable from Rust.
//! - `#[derive(luau::UserData)]` records the type's identity (TypeId, name): values coming
//!   back are verified against it.
//! - Constructors, factories, methods, fields, operators and the destructor are registered and
//!   observable from a script; a destructor runs exactly once.
//!
//! That unsupported options are compile errors is tested by rust/luau-macros/tests.

use std::any::TypeId;
use std::cell::Cell;
use std::collections::HashMap;

use luau::{FieldInfo, HostFunction, MethodKind, ParamInfo, State, UserDataType, Value, Variadic};

// ---- free functions -------------------------------------------------------------------------

/// Adds two integers.
#[luau::function]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[luau::function(name = "greet")]
fn greeting(name: &str) -> String {
    format!("hello, {name}")
}

#[luau::function]
fn divide(a: f64, b: f64) -> Result<f64, String> {
    if b == 0.0 {
        return Err("division by zero".to_owned());
    }
    Ok(a / b)
}

#[luau::function]
fn join(sep: String, parts: Variadic<String>) -> String {
    parts.join(&sep)
}

#[luau::function]
fn byte_len(bytes: &[u8]) -> usize {
    bytes.len()
}

#[luau::function]
fn pair() -> (i64, String, bool) {
    (1, "two".to_owned(), true)
}

#[luau::function]
fn nothing() {}

/// A raw identifier: Luau sees `match`.
#[luau::function]
fn r#match(a: &str, b: &str) -> bool {
    a == b
}

#[luau::function]
fn norm(v: &Vec3) -> f64 {
    v.len()
}

#[luau::function]
fn double_in_place(v: &mut Vec3) {
    v.x *= 2.0;
    v.y *= 2.0;
    v.z *= 2.0;
}

#[luau::function]
fn make_vec(x: f64) -> Vec3 {
    Vec3::new(x, x, x)
}

// ---- userdata types -------------------------------------------------------------------------

thread_local! {
    /// Vec3 values created and dropped on this thread (each test runs on its own thread).
    static CREATED: Cell<u32> = const { Cell::new(0) };
    static DROPPED: Cell<u32> = const { Cell::new(0) };
}

fn created() -> u32 {
    CREATED.with(Cell::get)
}

fn dropped() -> u32 {
    DROPPED.with(Cell::get)
}

#[derive(luau::UserData)]
struct Vec3 {
    x: f64,
    y: f64,
    z: f64,
}

#[luau::methods]
impl Vec3 {
    #[luau(constructor)]
    fn new(x: f64, y: f64, z: f64) -> Vec3 {
        CREATED.with(|c| c.set(c.get() + 1));
        Vec3 { x, y, z }
    }

    /// A factory: `Vec3.splat(k)`.
    fn splat(k: f64) -> Vec3 {
        Vec3::new(k, k, k)
    }

    fn len(&self) -> f64 {
        (self.x * self.x + self.y * self.y + self.z * self.z).sqrt()
    }

    #[luau::function(name = "scaled")]
    fn scale(&self, k: f64) -> Vec3 {
        Vec3::new(self.x * k, self.y * k, self.z * k)
    }

    fn absorb(&mut self, other: &Vec3) {
        self.x += other.x;
        self.y += other.y;
        self.z += other.z;
    }

    #[luau(skip)]
    fn zip(&self, o: &Vec3, f: impl Fn(f64, f64) -> f64) -> Vec3 {
        Vec3::new(f(self.x, o.x), f(self.y, o.y), f(self.z, o.z))
    }

    #[luau(meta = "__add")]
    fn plus(&self, o: &Vec3) -> Vec3 {
        self.zip(o, |a, b| a + b)
    }

    #[luau(meta = "__sub")]
    fn minus(&self, o: &Vec3) -> Vec3 {
        self.zip(o, |a, b| a - b)
    }

    #[luau(meta = "__mul")]
    fn times(&self, k: f64) -> Vec3 {
        self.scale(k)
    }

    #[luau(meta = "__div")]
    fn divided(&self, k: f64) -> Vec3 {
        self.scale(1.0 / k)
    }

    #[luau(meta = "__unm")]
    fn negated(&self) -> Vec3 {
        self.scale(-1.0)
    }

    #[luau(meta = "__eq")]
    fn equals(&self, o: &Vec3) -> bool {
        (self.x, self.y, self.z) == (o.x, o.y, o.z)
    }

    #[luau(meta = "__lt")]
    fn shorter(&self, o: &Vec3) -> bool {
        self.len() < o.len()
    }

    #[luau(meta = "__le")]
    fn not_longer(&self, o: &Vec3) -> bool {
        self.len() <= o.len()
    }

    #[luau(meta = "__len")]
    fn dims(&self) -> i64 {
        3
    }

    #[luau(meta = "__call")]
    fn dot(&self, o: &Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    /// Without `self`: `"v=" .. v` and `v .. "!"` both reach it.
    #[luau(meta = "__concat")]
    fn concat(a: Value, b: Value) -> String {
        let side = |v: &Value| match v {
            Value::Other(_) => "<Vec3>".to_owned(),
            v => v.to_string(),
        };
        format!("{}{}", side(&a), side(&b))
    }

    #[luau(meta = "__tostring")]
    fn show(&self) -> String {
        format!("Vec3({}, {}, {})", self.x, self.y, self.z)
    }
}

impl Drop for Vec3 {
    fn drop(&mut self) {
        DROPPED.with(|d| d.set(d.get() + 1));
    }
}

#[derive(luau::UserData)]
struct Player {
    #[luau(readonly)]
    name: String,
    #[luau(name = "hp")]
    health: f64,
    #[luau(skip)]
    secret: u32,
}

#[luau::methods]
impl Player {
    #[luau(constructor)]
    fn new(name: &str) -> Player {
        Player {
            name: name.to_owned(),
            health: 100.0,
            secret: 7,
        }
    }

    /// A fallible factory: `Player.named(s)` rejects an empty name.
    #[luau(constructor, name = "named")]
    fn try_new(name: String) -> Result<Player, String> {
        if name.is_empty() {
            return Err("a player needs a name".to_owned());
        }
        Ok(Player::new(&name))
    }

    fn greet(&self, other: &Player) -> String {
        format!("{} greets {}", self.name, other.name)
    }

    fn reveal(&self) -> u32 {
        self.secret
    }
}

/// A type without `#[luau::methods]`: fields only.
#[derive(luau::UserData)]
#[luau(name = "Point2")]
struct Point {
    x: f64,
    y: f64,
}

#[luau::function]
fn origin() -> Point {
    Point { x: 0.0, y: 0.0 }
}

/// `__index` / `__newindex` fallbacks: keys that are not fields or methods.
#[derive(luau::UserData)]
struct Bag {
    #[luau(readonly)]
    size: usize,
    #[luau(skip)]
    items: HashMap<String, f64>,
}

#[luau::methods]
impl Bag {
    #[luau(constructor)]
    fn new() -> Bag {
        Bag {
            size: 0,
            items: HashMap::new(),
        }
    }

    fn clear(&mut self) {
        self.items.clear();
        self.size = 0;
    }

    #[luau(meta = "__index")]
    fn get(&self, key: String) -> Option<f64> {
        self.items.get(&key).copied()
    }

    #[luau(meta = "__newindex")]
    fn set(&mut self, key: String, value: Option<f64>) {
        match value {
            Some(v) => self.items.insert(key, v),
            None => self.items.remove(&key),
        };
        self.size = self.items.len();
    }
}

fn state() -> State {
    let state = State::new().unwrap();
    state.register_type::<Vec3>().unwrap();
    state.register_type::<Player>().unwrap();
    state.register_type::<Point>().unwrap();
    state.register_type::<Bag>().unwrap();
    for r in [
        state.register_function::<add>(),
        state.register_function::<greeting>(),
        state.register_function::<divide>(),
        state.register_function::<join>(),
        state.register_function::<byte_len>(),
        state.register_function::<pair>(),
        state.register_function::<nothing>(),
        state.register_function::<r#match>(),
        state.register_function::<norm>(),
        state.register_function::<double_in_place>(),
        state.register_function::<make_vec>(),
        state.register_function::<origin>(),
    ] {
        r.unwrap();
    }
    state
}

fn run(state: &State, src: &str) -> Vec<Value> {
    state
        .do_string(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn error(state: &State, src: &str) -> String {
    match state.do_string(src) {
        Ok(v) => panic!("{src}: expected an error, got {v:?}"),
        Err(e) => e.message().to_owned(),
    }
}

fn s(v: &str) -> Value {
    Value::from(v)
}

fn n(v: f64) -> Value {
    Value::Number(v)
}

// ---- requirement: the macro captures the callable --------------------------------------------

/// Requirement: `#[luau::function]` generates a native wrapper around the function that Luau
/// can call, and leaves the original function callable from Rust.
#[test]
fn the_macro_captures_the_callable() {
    // The original, from Rust.
    assert_eq!(add(2, 3), 5);
    assert_eq!(greeting("rust"), "hello, rust");
    assert_eq!(divide(1.0, 0.0), Err("division by zero".to_owned()));
    // The wrapper, from Luau.
    let state = state();
    assert_eq!(run(&state, "return add(40, 2)"), [n(42.0)]);
    assert_eq!(run(&state, "return greet('luau')"), [s("hello, luau")]);
    assert_eq!(run(&state, "return divide(1, 4)"), [n(0.25)]);
    assert_eq!(
        run(&state, "return join('-', 'a', 'b', 'c'), join(',')"),
        [s("a-b-c"), s("")]
    );
    assert_eq!(run(&state, "return byte_len('a\\0b')"), [n(3.0)]);
    assert_eq!(
        run(&state, "return pair()"),
        [n(1.0), s("two"), Value::Boolean(true)]
    );
    assert_eq!(run(&state, "return select('#', nothing())"), [n(0.0)]);
    assert_eq!(
        run(&state, "return match('a', 'a')"),
        [Value::Boolean(true)]
    );
    // Registered under another name, it is named by that name.
    state.register_function_as::<add>("plus").unwrap();
    assert_eq!(run(&state, "return plus(1, 2)"), [n(3.0)]);
    assert!(error(&state, "return plus(1, {})")
        .contains("invalid argument #2 to 'plus' (number expected, got table)"));
}

/// Requirement: the macro records the function's metadata (Luau name, Rust name,
/// parameter names and types, return type).
#[test]
fn the_macro_records_the_signature() {
    assert_eq!(add::INFO.name, "add");
    assert_eq!(add::INFO.rust_name, "add");
    assert_eq!(
        add::INFO.params,
        [
            ParamInfo {
                name: "a",
                ty: "i64"
            },
            ParamInfo {
                name: "b",
                ty: "i64"
            }
        ]
    );
    assert_eq!(add::INFO.returns, "i64");
    assert_eq!(greeting::INFO.name, "greet");
    assert_eq!(greeting::INFO.rust_name, "greeting");
    assert_eq!(
        greeting::INFO.params,
        [ParamInfo {
            name: "name",
            ty: "&str"
        }]
    );
    assert_eq!(join::INFO.params[1].ty, "Variadic<String>");
    assert_eq!(divide::INFO.returns, "Result<f64, String>");
    assert_eq!(nothing::INFO.returns, "()");
}

/// Requirement: arguments convert through FromLuau, with Luau's own wording for errors.
#[test]
fn argument_errors_read_like_luaus() {
    let state = state();
    let cases = [
        (
            "add(1, 'x')",
            "invalid argument #2 to 'add' (number expected, got string)",
        ),
        (
            "add(1.5, 1)",
            "invalid argument #1 to 'add' (number has no integer representation)",
        ),
        ("add(1)", "missing argument #2 to 'add' (number expected)"),
        (
            "add(1, nil)",
            "invalid argument #2 to 'add' (number expected, got nil)",
        ),
        ("norm()", "missing argument #1 to 'norm' (Vec3 expected)"),
        (
            "norm(nil)",
            "invalid argument #1 to 'norm' (Vec3 expected, got nil)",
        ),
        (
            "greet(1)",
            "invalid argument #1 to 'greet' (string expected, got number)",
        ),
        (
            "join(',', 'a', 2)",
            "invalid argument #3 to 'join' (string expected, got number)",
        ),
        (
            "byte_len(true)",
            "invalid argument #1 to 'byte_len' (string expected, got boolean)",
        ),
        (
            "norm(5)",
            "invalid argument #1 to 'norm' (Vec3 expected, got number)",
        ),
        (
            "Vec3.new(1, 2)",
            "missing argument #3 to 'new' (number expected)",
        ),
        (
            "Vec3.new(1, 2, 3):scaled('k')",
            "invalid argument #2 to 'scaled' (number expected, got string)",
        ),
    ];
    for (src, want) in cases {
        let got = error(&state, &format!("return {src}"));
        assert!(got.contains(want), "{src}: {got}");
    }
}

/// Requirement: a `Result` return raises its error as the function's error, exactly its text.
#[test]
fn a_result_error_is_raised_with_its_text() {
    let state = state();
    assert_eq!(
        run(&state, "local ok, e = pcall(divide, 1, 0) return ok, e"),
        [Value::Boolean(false), s("division by zero")]
    );
    assert_eq!(
        run(&state, "local ok, e = pcall(Player.named, '') return ok, e"),
        [Value::Boolean(false), s("a player needs a name")]
    );
}

// ---- requirement: the type identity is recorded ----------------------------------------------

/// Requirement: the derive records the type's Rust TypeId and its Luau name, and a value of
/// another type coming back is rejected with an error naming both types.
#[test]
fn the_type_identity_is_recorded() {
    let info = Vec3::type_info();
    assert_eq!(info.type_id, TypeId::of::<Vec3>());
    assert_eq!(info.name, "Vec3");
    assert_eq!(<Vec3 as luau::UserData>::NAME, "Vec3");
    assert_eq!(Point::type_info().name, "Point2");
    assert_eq!(Point::type_info().type_id, TypeId::of::<Point>());
    assert_ne!(Point::type_info().type_id, info.type_id);

    let state = state();
    assert_eq!(
        run(
            &state,
            "return typeof(Vec3.new(1, 2, 3)), typeof(Player.new('a')), typeof(origin())"
        ),
        [s("Vec3"), s("Player"), s("Point2")]
    );
    let cases = [
        (
            "norm(Player.new('a'))",
            "invalid argument #1 to 'norm' (Vec3 expected, got Player)",
        ),
        (
            "Vec3.new(1, 2, 3).len(Player.new('a'))",
            "invalid argument #1 to 'len' (Vec3 expected, got Player)",
        ),
        (
            "Player.new('a'):greet(Vec3.new(1, 2, 3))",
            "invalid argument #2 to 'greet' (Player expected, got Vec3)",
        ),
        (
            "Vec3.new(1, 2, 3) + Player.new('a')",
            "invalid argument #2 to '__add' (Vec3 expected, got Player)",
        ),
        (
            "norm(origin())",
            "invalid argument #1 to 'norm' (Vec3 expected, got Point2)",
        ),
        (
            "norm({})",
            "invalid argument #1 to 'norm' (Vec3 expected, got table)",
        ),
    ];
    for (src, want) in cases {
        let got = error(&state, &format!("return {src}"));
        assert!(got.contains(want), "{src}: {got}");
    }
}

// ---- requirement: constructors and factories -------------------------------------------------

/// Requirement: `#[luau(constructor)]` registers the constructor in the type's global table
/// (`Vec3.new(1, 2, 3)`), other functions without `self` as factories (`Vec3.splat(2)`).
#[test]
fn the_constructor_behaviour_is_registered() {
    let state = state();
    assert_eq!(
        run(&state, "local v = Vec3.new(1, 2, 3) return v.x, v.y, v.z"),
        [n(1.0), n(2.0), n(3.0)]
    );
    assert_eq!(
        run(&state, "return tostring(Vec3.splat(2))"),
        [s("Vec3(2, 2, 2)")]
    );
    assert_eq!(
        run(
            &state,
            "return Player.new('ann').name, Player.named('bob').hp"
        ),
        [s("ann"), n(100.0)]
    );
    assert_eq!(run(&state, "return Bag.new().size"), [n(0.0)]);

    let new = Vec3::methods()
        .iter()
        .find(|m| m.function.name == "new")
        .unwrap();
    assert_eq!(new.kind, MethodKind::Constructor);
    assert_eq!(new.function.params.len(), 3);
    let named = Player::methods()
        .iter()
        .find(|m| m.function.rust_name == "try_new")
        .unwrap();
    assert_eq!(
        (named.kind, named.function.name),
        (MethodKind::Constructor, "named")
    );
    // A type without a methods block has no functions (and no global functions).
    assert!(Point::methods().is_empty());
    assert_eq!(run(&state, "return next(Point2)"), [Value::Nil]);
}

/// Requirement: methods are reached as `v:name()`, by their Luau name; `#[luau(skip)]` keeps a
/// function Rust-only.
#[test]
fn methods_are_registered() {
    let state = state();
    assert_eq!(run(&state, "return Vec3.new(3, 4, 0):len()"), [n(5.0)]);
    assert_eq!(
        run(&state, "return Vec3.new(1, 2, 3):scaled(2).z"),
        [n(6.0)]
    );
    assert_eq!(
        run(
            &state,
            "return Vec3.new(1, 2, 3).scale, Vec3.new(1, 2, 3).zip"
        ),
        [Value::Nil, Value::Nil]
    );
    assert_eq!(
        run(
            &state,
            "local v = Vec3.new(1, 1, 1) v:absorb(Vec3.new(1, 2, 3)) return tostring(v)"
        ),
        [s("Vec3(2, 3, 4)")]
    );
    assert_eq!(
        run(&state, "return Player.new('a'):greet(Player.new('b'))"),
        [s("a greets b")]
    );
    assert_eq!(run(&state, "return Player.new('a'):reveal()"), [n(7.0)]);

    let kinds: Vec<(&str, MethodKind)> = Vec3::methods()
        .iter()
        .map(|m| (m.function.name, m.kind))
        .collect();
    assert!(kinds.contains(&("len", MethodKind::Method)));
    assert!(kinds.contains(&("absorb", MethodKind::MethodMut)));
    assert!(kinds.contains(&("splat", MethodKind::Function)));
    assert!(kinds.contains(&("__concat", MethodKind::MetaFunction)));
    assert!(!kinds.iter().any(|(name, _)| *name == "zip"));
}

/// Requirement: userdata parameters are borrowed in place (no copy), `&mut` ones changed in
/// place; a borrow conflict is an error, never a panic.
#[test]
fn userdata_parameters_are_borrowed() {
    let state = state();
    assert_eq!(
        run(
            &state,
            "local v = Vec3.new(1, 2, 2) double_in_place(v) return norm(v), v.x"
        ),
        [n(6.0), n(2.0)]
    );
    assert!(error(&state, "local v = Vec3.new(1, 2, 3) v:absorb(v)")
        .contains("invalid argument #2 to 'absorb' (Vec3 is already mutably borrowed)"));
}

// ---- requirement: fields ------------------------------------------------------------------

/// Requirement: the derive exposes fields for reading and writing, `#[luau(readonly)]` for
/// reading only, `#[luau(name)]` under another name, `#[luau(skip)]` not at all.
#[test]
fn fields_are_registered() {
    let state = state();
    assert_eq!(
        run(
            &state,
            "local v = Vec3.new(1, 2, 3) v.x = 10 v.z = v.z * 2 return v.x, v.y, v.z"
        ),
        [n(10.0), n(2.0), n(6.0)]
    );
    assert_eq!(
        run(
            &state,
            "local p = Player.new('a') p.hp = 5 return p.hp, p.health, p.secret"
        ),
        [n(5.0), Value::Nil, Value::Nil]
    );
    let cases = [
        (
            "Player.new('a').name = 'b'",
            "field 'name' of Player is read-only",
        ),
        ("Player.new('a').secret = 1", "Player has no field 'secret'"),
        ("Vec3.new(1, 2, 3).w = 1", "Vec3 has no field 'w'"),
        (
            "Vec3.new(1, 2, 3).x = 'a'",
            "bad value for field 'x' of Vec3 (number expected, got string)",
        ),
    ];
    for (src, want) in cases {
        let got = error(&state, src);
        assert!(got.contains(want), "{src}: {got}");
    }
    assert_eq!(
        Player::FIELDS,
        [
            FieldInfo {
                name: "name",
                ty: "String",
                readonly: true
            },
            FieldInfo {
                name: "hp",
                ty: "f64",
                readonly: false
            }
        ]
    );
}

// ---- requirement: operators ---------------------------------------------------------------

/// Requirement: every `#[luau(meta = "...")]` operator is registered on the type's metatable
/// and observable from a script.
#[test]
fn operators_are_registered_and_observable_from_a_script() {
    let state = state();
    run(&state, "a = Vec3.new(1, 2, 3) b = Vec3.new(1, 1, 1)");
    let cases: &[(&str, Value)] = &[
        ("tostring(a + b)", s("Vec3(2, 3, 4)")),
        ("tostring(a - b)", s("Vec3(0, 1, 2)")),
        ("tostring(a * 2)", s("Vec3(2, 4, 6)")),
        ("tostring(a / 2)", s("Vec3(0.5, 1, 1.5)")),
        ("tostring(-a)", s("Vec3(-1, -2, -3)")),
        ("a == Vec3.new(1, 2, 3)", Value::Boolean(true)),
        ("a == b", Value::Boolean(false)),
        ("a ~= b", Value::Boolean(true)),
        ("b < a", Value::Boolean(true)),
        ("a < b", Value::Boolean(false)),
        ("a <= Vec3.new(3, 2, 1)", Value::Boolean(true)),
        ("a > b", Value::Boolean(true)),
        ("#a", n(3.0)),
        ("a(b)", n(6.0)),
        ("a .. '!'", s("<Vec3>!")),
        ("'v=' .. a", s("v=<Vec3>")),
        ("tostring(a)", s("Vec3(1, 2, 3)")),
    ];
    for (expr, want) in cases {
        assert_eq!(
            run(&state, &format!("return {expr}")),
            std::slice::from_ref(want),
            "{expr}"
        );
    }
    // Operators are named by their metamethod in messages.
    assert!(error(&state, "return a + 1")
        .contains("invalid argument #2 to '__add' (Vec3 expected, got number)"));
    assert!(error(&state, "return a * 'x'")
        .contains("invalid argument #2 to '__mul' (number expected, got string)"));
}

/// Requirement: `__index` / `__newindex` operators serve the keys that are neither fields nor
/// methods; read-only fields stay read-only.
#[test]
fn index_operators_are_fallbacks() {
    let state = state();
    assert_eq!(
        run(&state, "local b = Bag.new() b.apples = 3 b.pears = 2 return b.apples, b.pears, b.plums, b.size"),
        [n(3.0), n(2.0), Value::Nil, n(2.0)]
    );
    assert_eq!(
        run(&state, "local b = Bag.new() b.apples = 3 b.apples = nil b.x = 1 b:clear() return b.x, b.size, type(b.clear)"),
        [Value::Nil, n(0.0), s("function")]
    );
    assert!(error(&state, "Bag.new().size = 3").contains("field 'size' of Bag is read-only"));
    assert!(error(&state, "Bag.new().apples = 'x'")
        .contains("invalid argument #3 to '__newindex' (number expected, got string)"));
}

// ---- requirement: the destructor ----------------------------------------------------------

/// Requirement: a value's `Drop` runs exactly once: when Luau collects it, or when the state
/// closes for the values still alive.
#[test]
fn a_destructor_runs_exactly_once() {
    let state = state();
    run(
        &state,
        "for i = 1, 50 do local v = Vec3.new(i, i, i) local w = v + v end keep = {Vec3.new(1, 2, 3), make_vec(4)}",
    );
    let made = created();
    assert_eq!(made, 102);
    state.gc_collect().unwrap();
    run(&state, "return 1"); // the collected values are dropped outside the GC, at the next call
    assert_eq!(dropped(), 100, "the 100 collected values, each once");
    assert_eq!(state.userdata_len(), 2);
    run(&state, "keep = nil");
    state.gc_collect().unwrap();
    run(&state, "local v = Vec3.new(0, 0, 0)"); // a value alive when the state closes
    drop(state);
    assert_eq!(created(), 103);
    assert_eq!(
        dropped(),
        103,
        "every value dropped exactly once, the last ones at close"
    );
}
