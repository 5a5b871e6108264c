//! require-by-string (rust/luau/src/require.rs): each test states its requirement first.

use std::error::Error as _;

use luau::{DirResolver, ErrorKind, MapResolver, Module, Resolver, State, StateOptions, Value};

fn tree() -> MapResolver {
    MapResolver::from([
        (
            "lib/util.luau",
            "local m = {}\nfunction m.double(x) return x * 2 end\nreturn m",
        ),
        ("lib/init.luau", "return { util = require('./lib/util') }"),
        ("lib/peer.luau", "return require('./util').double(1)"),
        (".luaurc", r#"{"aliases": {"lib": "./lib"}}"#),
        ("a.luau", "return require('./b')"),
        ("b.luau", "return require('./a')"),
        ("bad.luau", "local x = 1\nerror('module failed')\nreturn x"),
        ("globals.luau", "leaked = 1\nreturn leaked"),
        ("both.luau", "return 1"),
        ("both/init.luau", "return 2"),
    ])
}

fn state_with_tree() -> State {
    let state = State::new().unwrap();
    state.set_resolver(tree()).unwrap();
    state
}

#[test]
fn require_is_absent_unless_configured() {
    // Requirement: no require exists unless the host configured one, untrusted included.
    for options in [StateOptions::default(), StateOptions::untrusted()] {
        let state = State::with_options(options).unwrap();
        assert_eq!(
            state.do_string("return type(require)").unwrap(),
            [Value::from("nil")]
        );
    }
}

#[test]
fn relative_alias_and_cache() {
    // Requirement: relative paths resolve from the requiring module, @lib from .luaurc, and a
    // second require returns the same (cached) table.
    let state = state_with_tree();
    let out = state
        .do_string(
            "local u = require('./lib/util')
             return u.double(21), require('./lib/peer'), rawequal(u, require('@lib/util')),
                 rawequal(require('./lib').util, u)",
        )
        .unwrap();
    assert_eq!(
        out,
        [
            Value::Number(42.0),
            Value::Number(2.0),
            Value::Boolean(true),
            Value::Boolean(true)
        ]
    );
}

#[test]
fn errors_are_clean_and_named() {
    // Requirement: a cycle, a missing module, an ambiguous one and a failing one are runtime
    // errors naming the cycle, the path, the files, and the module's file and line.
    let state = state_with_tree();
    for (src, want) in [
        (
            "require('./a')",
            "cyclic require: a.luau -> b.luau -> a.luau",
        ),
        (
            "require('./missing')",
            r#"error requiring module "./missing": no module at "missing""#,
        ),
        (
            "require('./both')",
            "module both is ambiguous: both.luau and both/init.luau",
        ),
        ("require('./bad')", "bad.luau:2: module failed"),
    ] {
        let err = state.do_string(src).unwrap_err();
        assert!(err.message().contains(want), "{src}: {err}");
    }
    let err = state.do_string("require('./bad')").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(
        err.traceback().contains("bad.luau:2"),
        "{}",
        err.traceback()
    );
}

#[derive(Debug)]
struct DiskOnFire;

impl std::fmt::Display for DiskOnFire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk on fire")
    }
}

impl std::error::Error for DiskOnFire {}

struct Failing;

impl Resolver for Failing {
    fn module(&self, _: &str) -> luau::Result<Option<Module>> {
        Err(luau::Error::external(DiskOnFire))
    }
}

#[test]
fn a_resolver_error_keeps_its_identity() {
    // Requirement: a resolver's error reaches the caller as Error::Host whose source() is
    // the original error; a script's pcall catches it.
    let state = State::new().unwrap();
    state.set_resolver(Failing).unwrap();
    let err = state.do_string("return require('./x')").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host, "{err}");
    assert!(
        err.source().is_some_and(|s| s.is::<DiskOnFire>()),
        "source: {:?}",
        err.source()
    );
    let out = state
        .do_string("local ok, e = pcall(require, './x'); return ok, e")
        .unwrap();
    assert_eq!(out, [Value::Boolean(false), Value::from("disk on fire")]);
}

#[test]
fn dir_resolver_reads_a_directory() {
    // Requirement: DirResolver serves modules and .luaurc aliases from a directory.
    let dir = std::env::temp_dir().join(format!("luau-require-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(dir.join(".luaurc"), r#"{"aliases": {"lib": "./lib"}}"#).unwrap();
    std::fs::write(
        dir.join("lib/greet.luau"),
        "return function(n) return 'hello, ' .. n end",
    )
    .unwrap();
    std::fs::write(dir.join("main.luau"), "return require('@lib/greet')('dir')").unwrap();
    let state = State::new().unwrap();
    state.set_resolver(DirResolver::new(&dir)).unwrap();
    let out = state.do_string("return require('./main')");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.unwrap(), [Value::from("hello, dir")]);
}

#[test]
fn require_in_the_sandbox() {
    // Requirement: on an untrusted (sandboxed) state with a resolver, modules load with
    // globals of their own.
    let state = State::with_options(StateOptions::untrusted()).unwrap();
    state.set_resolver(tree()).unwrap();
    let out = state
        .do_string("leaked = 0; local v = require('./globals'); return v, leaked")
        .unwrap();
    assert_eq!(out, [Value::Number(1.0), Value::Number(0.0)]);
}

#[test]
fn register_module_needs_no_resolver() {
    // Requirement: a host table registered as @host/name is require's result; other names
    // are rejected.
    let state = State::new().unwrap();
    state
        .register_module(
            "@host/config",
            [("answer", Value::Number(42.0)), ("name", Value::from("x"))],
        )
        .unwrap();
    let out = state
        .do_string("return require('@host/config').answer, rawequal(require('@host/config'), require('@HOST/CONFIG'))")
        .unwrap();
    assert_eq!(out, [Value::Number(42.0), Value::Boolean(true)]);
    let err = state.register_module("host/config", []).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
}

#[test]
fn replacing_and_dropping_release_the_resolver() {
    // Requirement: the resolver's registry entry is replaced, not added to, by a second
    // set_resolver, and leaves with its state.
    let state = State::new().unwrap();
    let key = state.registry_key();
    state.set_resolver(tree()).unwrap();
    state.set_resolver(tree()).unwrap();
    assert_eq!(luau::registry_len_for(key), 1);
    drop(state);
    assert_eq!(luau::registry_len_for(key), 0);
}
