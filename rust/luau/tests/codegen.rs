//! Native code generation (rust/luau/src/codegen.rs): each test states its requirement first.

use std::time::Duration;

use luau::{ErrorKind, MapResolver, State, StateOptions, Value};

fn native_state() -> State {
    State::with_options(StateOptions::default().native_codegen(true)).unwrap()
}

fn global_is_native(state: &State, name: &str) -> bool {
    match state.get_global(name).unwrap() {
        Value::Function(f) => f.is_native(),
        other => panic!("{name} is not a function: {other:?}"),
    }
}

#[test]
fn supported_on_this_machine() {
    // Requirement: built with the default `codegen` feature on x64 or arm64, the code
    // generator is supported.
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert!(luau::native_codegen_supported());
    }
}

#[test]
fn off_by_default() {
    // Requirement: without the option nothing is compiled natively.
    let state = State::new().unwrap();
    assert!(!state.native_codegen());
    state.do_string("function f(x) return x + 1 end").unwrap();
    assert!(!global_is_native(&state, "f"));
}

#[test]
fn every_load_path_compiles_natively() {
    // Requirement: with the option (where supported) the functions of every chunk loaded are
    // machine code: do_string, do_bytecode, loadstring and require.
    if !luau::native_codegen_supported() {
        return;
    }
    let state = native_state();
    assert!(state.native_codegen());
    state
        .set_resolver(MapResolver::from([(
            "m.luau",
            "function viaRequire() return 1 end\nreturn true",
        )]))
        .unwrap();
    state
        .do_string("function viaDoString(x) return x + 1 end")
        .unwrap();
    let bc = luau::compile(
        "function viaBytecode(x) return x * 2 end",
        &luau::CompileOptions::default(),
    )
    .unwrap();
    state.do_bytecode("bc", &bc).unwrap();
    state
        .do_string(r#"loadstring("function viaLoadstring() return 1 end")()"#)
        .unwrap();
    state.do_string(r#"require("./m")"#).unwrap();
    for name in ["viaDoString", "viaBytecode", "viaLoadstring", "viaRequire"] {
        assert!(global_is_native(&state, name), "{name}: not native");
    }
}

#[test]
fn same_results_as_the_interpreter() {
    // Requirement: native code gives the interpreter's results and errors, including host
    // errors raised through native frames and coroutine yields.
    let scripts = [
        "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib(20)",
        "local t = {} for i = 1, 100 do t[i] = i * i end return #t, t[50], table.concat({1, 2, 3}, ',')",
        "local s = '' for i = 1, 10 do s ..= string.char(64 + i) end return s, s:upper():lower(), #s",
        "local v = vector.create(1, 2, 3) local w = v * 2 + v return w.x, w.y, w.z, vector.magnitude(v)",
        "local ok, e = pcall(function() local x = nil; return x.y end) return ok, e",
        "local function f() error('boom') end f()",
        "return 1 // 0, -1 // 0, 0/0 ~= 0/0, math.floor(-3.5), 7 % -3, 2^10, bit32.band(0xff, 0x0f)",
        "local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return co(1), co(10)",
        "return add(40, 2), pcall(add, 'x', 1)",
        "local ok, e = pcall(fail) return ok, tostring(e)",
    ];
    let run = |options: StateOptions| -> Vec<String> {
        let state = State::with_options(options).unwrap();
        state.register("add", |(a, b): (f64, f64)| a + b).unwrap();
        state
            .register_func("fail", |_ctx| -> luau::Result<()> {
                Err(luau::Error::external("host failure"))
            })
            .unwrap();
        scripts
            .iter()
            .map(|src| match state.do_string(src) {
                Ok(values) => format!("{values:?}"),
                Err(e) => format!("{:?}: {}", e.kind(), e),
            })
            .collect()
    };
    let interp = run(StateOptions::default());
    let native = run(StateOptions::default().native_codegen(true));
    assert_eq!(interp, native);
}

#[test]
fn run_timeout_stops_a_native_loop() {
    // Requirement: a run timeout stops a natively compiled infinite loop (native code checks
    // Luau's interrupt at loop back-edges).
    let state = State::with_options(
        StateOptions::default()
            .native_codegen(true)
            .run_timeout(Duration::from_millis(50)),
    )
    .unwrap();
    let err = state
        .do_string("local i = 0 while true do i += 1 end")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Interrupted);
}
