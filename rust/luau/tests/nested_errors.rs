//! Requirement (issue 13, item 1): host -> Luau -> host function whose nested call into Luau
//! failed gives an outermost error that carries the whole Luau call stack, innermost frame
//! first (each chunk:line), every frame once under one header, no traceback text in the
//! message, and the nested error reachable through `source()`.

use std::error::Error as _;
use std::fmt;

use luau::{Error, ErrorKind, State};

fn state_with(chunks: &[(&str, &str)]) -> State {
    let state = State::new().unwrap();
    for (name, src) in chunks {
        state.do_string_named(src, name).unwrap();
    }
    state
}

/// Fails unless every fragment occurs exactly once in `tb`, in this order.
fn check_once(tb: &str, fragments: &[&str]) {
    let mut at = 0;
    for f in fragments {
        assert_eq!(tb.matches(f).count(), 1, "{f:?} not exactly once in:\n{tb}");
        let i = tb.find(f).unwrap();
        assert!(i >= at, "{f:?} out of order in:\n{tb}");
        at = i;
    }
}

#[test]
fn nested_error_carries_the_whole_call_stack_once() {
    let state = state_with(&[
        (
            "=inner",
            "function inner()\n  local a = 1\n  error('boom')\nend",
        ),
        (
            "=outer",
            "function outer()\n  h()\n  return 1\nend\nfunction top()\n  outer()\nend",
        ),
    ]);
    state
        .register_func("h", |ctx| ctx.call("inner", &[]).map(|_| ()))
        .unwrap();
    let err = state.call("top", &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    assert_eq!(err.message(), "inner:3: boom");
    check_once(
        err.traceback(),
        &[
            "stack traceback:",
            "inner:3 function inner",
            "[C] function h",
            "outer:2 function outer",
            "outer:6 function top",
        ],
    );
    let cause = err
        .source()
        .and_then(|s| s.downcast_ref::<Error>())
        .expect("the nested error as the source");
    assert_eq!(cause.kind(), ErrorKind::Runtime);
    assert_eq!(cause.message(), "inner:3: boom");
}

#[derive(Debug)]
struct DiskOnFire;

impl fmt::Display for DiskOnFire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("disk on fire")
    }
}

impl std::error::Error for DiskOnFire {}

#[test]
fn twice_nested_host_error_carries_every_level() {
    // host -> l1 -> down -> l2 -> down -> l3 -> fail: all three Luau levels, and the original.
    let state = state_with(&[
        ("=c3", "function l3()\n  fail()\nend"),
        ("=c2", "function l2()\n  down('l3')\nend"),
        ("=c1", "function l1()\n  down('l2')\nend"),
    ]);
    state
        .register_func("down", |ctx| {
            let name = ctx.str(0)?.to_owned();
            ctx.call(name, &[]).map(|_| ())
        })
        .unwrap();
    state
        .register_func("fail", |_| -> luau::Result<()> {
            Err(Error::external(DiskOnFire))
        })
        .unwrap();
    let err = state.call("l1", &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    assert!(err.source().unwrap().is::<DiskOnFire>());
    assert_eq!(
        err.traceback(),
        "stack traceback:\n\t[C] function fail\n\tc3:2 function l3\n\t[C] function down\
         \n\tc2:2 function l2\n\t[C] function down\n\tc1:2 function l1"
    );
}

#[test]
fn nested_error_wrapped_by_the_host_keeps_its_frames() {
    // A host error wrapping the nested one (its source) still brings the nested frames.
    #[derive(Debug)]
    struct Wrapped(Error);
    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "while calling inner: {}", self.0)
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let state = state_with(&[
        ("=inner", "function inner()\n  error('boom')\nend"),
        ("=outer", "function outer()\n  h()\nend"),
    ]);
    state
        .register_func("h", |ctx| {
            ctx.call("inner", &[])
                .map(|_| ())
                .map_err(|e| Error::external(Wrapped(e)))
        })
        .unwrap();
    let err = state.call("outer", &[]).unwrap_err();
    assert_eq!(err.message(), "while calling inner: inner:2: boom");
    check_once(
        err.traceback(),
        &[
            "stack traceback:",
            "inner:2 function inner",
            "[C] function h",
            "outer:2 function outer",
        ],
    );
}

#[test]
fn nested_chunk_error_carries_both_threads() {
    // A nested chunk runs on a thread of its own: its frames, then the outer ones, each once.
    let state = state_with(&[("=outer", "function outer()\n  run()\nend")]);
    state
        .register_func("run", |ctx| {
            ctx.do_string("local z = 1\nerror('deep')").map(|_| ())
        })
        .unwrap();
    let err = state.call("outer", &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    check_once(
        err.traceback(),
        &[
            "stack traceback:",
            "[C] function error",
            "[string \"chunk\"]:2",
            "[C] function run",
            "outer:2 function outer",
        ],
    );
}

#[test]
fn plain_host_error_traceback_unchanged() {
    let state = state_with(&[("=outer", "function outer()\n  fail()\nend")]);
    state
        .register_func("fail", |_| -> luau::Result<()> {
            Err(Error::external(DiskOnFire))
        })
        .unwrap();
    let err = state.call("outer", &[]).unwrap_err();
    assert_eq!(
        err.traceback(),
        "stack traceback:\n\t[C] function fail\n\touter:2 function outer"
    );
}

#[test]
fn c_stack_overflow_kind_is_host_at_any_nesting() {
    // Requirement: host <-> Luau recursion past the C stack reaches the outermost caller as one
    // documented kind whatever the nesting: `host` (each host function returned its nested
    // call's error), message `C stack overflow`, the innermost cause the runtime error.
    for script in [
        "function r() return call_back('r') end\nr()",
        "function r() return call_fn(r) end\nr()",
        "function a() return call_back('b') end\nfunction b() local x = call_fn(a) return x end\na()",
    ] {
        let state = State::new().unwrap();
        state
            .register_func("call_back", |ctx| {
                let name = ctx.str(0)?.to_owned();
                ctx.call(name, &[]).map(|_| ())
            })
            .unwrap();
        state
            .register_func("call_fn", |ctx| ctx.forward_call_arg(0, &[]).map(drop))
            .unwrap();
        let err = state.do_string(script).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Host, "{script}: {err:?}");
        assert!(err.message().contains("C stack overflow"), "{script}: {err}");
        let mut innermost: &Error = &err;
        let mut next = err.source();
        while let Some(e) = next {
            if let Some(l) = e.downcast_ref::<Error>() {
                innermost = l;
            }
            next = e.source();
        }
        assert_eq!(innermost.kind(), ErrorKind::Runtime, "{script}");
        assert!(innermost.message().contains("C stack overflow"));
    }
}
