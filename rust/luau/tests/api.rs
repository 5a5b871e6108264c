//! The Rust binding's own tests (the shared matrix runs in tests/matrix.rs).

use std::cell::Cell;
use std::error::Error as StdError;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use luau::{CompileOptions, Error, ErrorKind, State, StateOptions, Value};

#[derive(Debug)]
struct Boom(&'static str);

impl fmt::Display for Boom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl StdError for Boom {}

fn state() -> State {
    State::new().expect("state")
}

// --- issue 2: state, run, compile, load, call, errors ------------------------------------------

#[test]
fn do_string_returns_values() {
    let s = state();
    let v = s
        .do_string("return nil, true, 1.5, 'a\\0b', vector.create(1, 2, 3), {}")
        .unwrap();
    assert_eq!(
        v[..5],
        [
            Value::Nil,
            Value::Boolean(true),
            Value::Number(1.5),
            Value::String(b"a\0b".to_vec()),
            Value::Vector([1.0, 2.0, 3.0]),
        ]
    );
    // A table comes back as a handle.
    assert_eq!(v[5].type_of(), luau::Type::Table);
    assert!(v[5].as_table().unwrap().is_empty().unwrap());
    assert!(s.do_string("local x = 1").unwrap().is_empty());
}

#[test]
fn syntax_error_has_the_line_number() {
    let s = state();
    let err = s.do_string("local a = 1\nlocal b = = 2\n").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert!(err.message().contains(":2:"), "{}", err.message());

    let err = luau::compile("\n\nreturn +", &CompileOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert!(err.message().starts_with(":3:"), "{}", err.message());
}

#[test]
fn runtime_error_has_a_traceback() {
    let s = state();
    let err = s
        .do_string_named(
            "local function inner() error('deep trouble') end\nlocal function outer() inner() end\nouter()",
            "=script",
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(err.message().contains("deep trouble"), "{}", err.message());
    assert!(err.message().contains(":1:"), "{}", err.message());
    let tb = err.traceback();
    assert!(tb.contains("stack traceback"), "{tb}");
    assert!(tb.contains("inner") && tb.contains("outer"), "{tb}");
    assert!(format!("{err:#}").contains("stack traceback"));
    assert!(!format!("{err}").contains("stack traceback"));
}

#[test]
fn compile_load_and_call() {
    let s = state();
    let bc = s
        .compile("function twice(x) return x * 2 end\nreturn 'loaded'")
        .unwrap();
    assert!(!bc.as_bytes().is_empty());
    let chunk = s.load("=chunk", &bc).unwrap();
    assert_eq!(chunk.call(&[]).unwrap(), [Value::from("loaded")]);
    assert_eq!(
        s.call("twice", &[Value::Number(21.0)]).unwrap(),
        [Value::Number(42.0)]
    );
    let twice = s.get_function("twice").unwrap();
    for i in 0..10 {
        assert_eq!(
            twice.call(&[Value::Number(f64::from(i))]).unwrap(),
            [Value::Number(f64::from(2 * i))]
        );
    }
    // Calling something that is not a function is a runtime error.
    let err = s.call("no_such_function", &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    // Compile levels are checked.
    let opts = CompileOptions::new().optimization_level(2).debug_level(0);
    assert!(luau::compile("return 1", &opts).is_ok());
    let bad = CompileOptions::new().optimization_level(3);
    assert_eq!(
        luau::compile("return 1", &bad).unwrap_err().kind(),
        ErrorKind::Argument
    );
}

#[test]
fn call_passes_every_scalar_type() {
    let s = state();
    s.do_string("function id(...) return ... end").unwrap();
    let args = [
        Value::Nil,
        Value::Boolean(false),
        Value::Number(-0.5),
        Value::Integer(1 << 60),
        Value::Vector([1.0, -2.0, 3.5]),
        Value::String(vec![0, 255, b'x']),
    ];
    assert_eq!(s.call("id", &args).unwrap(), args);
    let err = s
        .call("id", &[Value::Other(luau::Type::Table)])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
}

#[test]
fn globals() {
    let s = state();
    s.set_global("answer", &Value::Number(42.0)).unwrap();
    assert_eq!(s.do_string("return answer").unwrap(), [Value::Number(42.0)]);
    assert_eq!(s.get_global("answer").unwrap(), Value::Number(42.0));
    assert_eq!(s.get_global("nothing").unwrap(), Value::Nil);
    // print exists (it goes to the host's sink, discarded by default): the library itself
    // never prints.
    assert_eq!(
        s.do_string("print('discarded') return type(print)")
            .unwrap(),
        [Value::from("function")]
    );
}

#[test]
fn memory_limit_gives_memory_error_and_state_stays_usable() {
    let s = State::with_options(StateOptions::new().memory_limit(4 << 20)).unwrap();
    let err = s
        .do_string("local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 64) .. i end")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Memory, "{err}");
    assert_eq!(s.do_string("return 1 + 1").unwrap(), [Value::Number(2.0)]);
    assert!(s.memory_used() < 4 << 20);
    s.set_memory_limit(0);
    s.gc_collect().unwrap();
}

#[test]
fn drop_frees_the_state_and_its_functions() {
    // Many states created and dropped: nothing leaks into the registry, and each drop removes
    // exactly its own functions.
    let keep = state();
    keep.register_func("kept", |_| Ok(1.0)).unwrap();
    for _ in 0..50 {
        let s = state();
        s.register_func("a", |_| Ok(())).unwrap();
        s.register_func("b", |_| Ok(())).unwrap();
        assert_eq!(s.registered_len(), 2);
        s.do_string("a() b()").unwrap();
        drop(s);
    }
    assert_eq!(keep.registered_len(), 1);
    assert_eq!(
        keep.do_string("return kept()").unwrap(),
        [Value::Number(1.0)]
    );
}

#[test]
fn drop_drops_captured_host_data() {
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = Rc::new(Cell::new(false));
    let s = state();
    let flag = Flag(dropped.clone());
    s.register_func("f", move |_| {
        let _ = &flag;
        Ok(())
    })
    .unwrap();
    assert!(!dropped.get());
    drop(s);
    assert!(dropped.get(), "the closure is dropped with its state");
}

#[test]
fn build_info_matches() {
    let info = luau::build_info();
    assert_eq!(info.abi_version, 2);
    assert_eq!(info.max_cstack, 8_000);
    assert_eq!(info.vector_size, 3);
    assert!(!info.uses_longjmp);
    assert_eq!(info.asserts_enabled, cfg!(debug_assertions));
    assert!(!info.luau_version.is_empty());
}

// --- issue 3: host functions ----------------------------------------------------------------------

#[test]
fn host_function_args_and_results() {
    let s = state();
    s.register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))
        .unwrap();
    s.register_func("echo", |ctx| {
        for i in 0..ctx.len() {
            ctx.push_arg(i)?;
        }
        Ok(())
    })
    .unwrap();
    s.register_func("info", |ctx| {
        Ok((
            ctx.name().into_owned(),
            ctx.len() as f64,
            ctx.str(0)?.len() as f64,
        ))
    })
    .unwrap();
    assert_eq!(
        s.do_string("return add(2, 3)").unwrap(),
        [Value::Number(5.0)]
    );
    let v = s
        .do_string("local t = {} local a, b, c, d, e = echo(t, 'x\\0y', nil, vector.create(1,2,3), 7) return a == t, b, c, d, e")
        .unwrap();
    assert_eq!(
        v,
        [
            Value::Boolean(true),
            Value::String(b"x\0y".to_vec()),
            Value::Nil,
            Value::Vector([1.0, 2.0, 3.0]),
            Value::Number(7.0)
        ]
    );
    assert_eq!(
        s.do_string("return info('héllo', 1)").unwrap(),
        [Value::from("info"), Value::Number(2.0), Value::Number(6.0)]
    );
}

#[test]
fn wrong_argument_type_uses_luau_wording() {
    let s = state();
    s.register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))
        .unwrap();
    let err = s.do_string("return add(1, 'x')").unwrap_err();
    // Every error a host function returns escapes as a host error; its source is the
    // argument error itself.
    assert_eq!(err.kind(), ErrorKind::Host);
    let arg_err = err.source().unwrap().downcast_ref::<Error>().unwrap();
    assert_eq!(arg_err.kind(), ErrorKind::Argument);
    assert!(
        err.message()
            .contains("invalid argument #2 to 'add' (number expected, got string)"),
        "{}",
        err.message()
    );
    let v = s.do_string("return pcall(add, 1)").unwrap();
    assert_eq!(
        v[1],
        Value::from("missing argument #2 to 'add' (number expected)")
    );
}

#[test]
fn host_error_is_catchable_and_escapes_with_its_source() {
    let s = state();
    s.register_func("fail", |ctx| -> luau::Result<()> {
        let _ = ctx;
        Err(Error::external(Boom("kaboom")))
    })
    .unwrap();
    let v = s
        .do_string("local ok, e = pcall(fail) return ok, e")
        .unwrap();
    assert_eq!(v, [Value::Boolean(false), Value::from("kaboom")]);

    let err = s.do_string("fail()").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    assert_eq!(err.message(), "kaboom");
    let boom = err
        .source()
        .and_then(|e| e.downcast_ref::<Boom>())
        .expect("the original error");
    assert_eq!(boom.0, "kaboom");
    assert!(err.traceback().contains("stack traceback"));
}

#[test]
fn host_error_identity_survives_nesting() {
    let s = state();
    s.register_func("fail", |_| -> luau::Result<()> {
        Err(Error::external(Boom("inner")))
    })
    .unwrap();
    s.register_func("call_back", |ctx| ctx.call(ctx.bytes(0)?, &[]))
        .unwrap();
    s.do_string("function f() fail() end").unwrap();
    let err = s.do_string("call_back('f')").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    assert!(err.source().unwrap().downcast_ref::<Boom>().is_some());
    // A Luau runtime error returned by a host function keeps its message; it escapes as the
    // host function's error, with the runtime error as its source.
    s.do_string("function g() error('plain', 0) end").unwrap();
    let err = s.do_string("call_back('g')").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    assert_eq!(err.message(), "plain");
    let inner = err.source().unwrap().downcast_ref::<Error>().unwrap();
    assert_eq!(inner.kind(), ErrorKind::Runtime);
}

#[test]
fn panic_is_resumed_at_the_outermost_call() {
    let s = state();
    s.register_func("explode", |_| -> luau::Result<()> {
        std::panic::panic_any("the payload".to_string())
    })
    .unwrap();
    // Uncaught by the script.
    let payload = catch_unwind(AssertUnwindSafe(|| s.do_string("explode()"))).unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "the payload");
    // Swallowed by the script's pcall: still resumed.
    let payload = catch_unwind(AssertUnwindSafe(|| {
        s.do_string("local ok = pcall(explode) return 'swallowed'")
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "the payload");
    // The state stays usable afterwards.
    assert_eq!(s.do_string("return 1").unwrap(), [Value::Number(1.0)]);
}

#[test]
fn nested_call_sees_the_panic_as_an_error_then_it_is_resumed() {
    let s = state();
    s.register_func("explode", |_| -> luau::Result<()> { panic!("inner panic") })
        .unwrap();
    let seen = Rc::new(Cell::new(None));
    let seen2 = seen.clone();
    s.register_func("outer", move |ctx| {
        let err = ctx.do_string("explode()").unwrap_err();
        seen2.set(Some(err.kind()));
        assert!(err
            .message()
            .contains("host function 'explode' panicked: inner panic"));
        Ok(())
    })
    .unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| s.do_string("outer()"))).unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"inner panic"));
    assert_eq!(seen.get(), Some(ErrorKind::Panic));
}

#[test]
fn unregister_and_stale_references() {
    let s = state();
    s.register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))
        .unwrap();
    s.do_string("kept = add").unwrap();
    s.unregister_func("add").unwrap();
    assert_eq!(s.get_global("add").unwrap(), Value::Nil);
    let err = s.do_string("return kept(1, 2)").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(
        err.message().contains("function 'add' is not registered"),
        "{}",
        err.message()
    );
    let err = s.unregister_func("add").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    assert!(err.message().contains("not registered"));
}

#[test]
fn register_replaces_and_frees_the_old_id() {
    let s = state();
    s.register_func("f", |_| Ok(1.0)).unwrap();
    s.do_string("old = f").unwrap();
    s.register_func("f", |_| Ok(2.0)).unwrap();
    assert_eq!(s.registered_len(), 1);
    assert_eq!(s.do_string("return f()").unwrap(), [Value::Number(2.0)]);
    let err = s.do_string("return old()").unwrap_err();
    assert!(err.message().contains("function 'f' is not registered"));
}

#[test]
fn odd_names() {
    let s = state();
    for name in ["", "with space", "a.b:c", "名前", "\u{1F600}"] {
        s.register_func(name, |ctx| Ok(ctx.name().into_owned()))
            .unwrap();
        let src = format!("return _G[{name:?}]()");
        assert_eq!(s.do_string(&src).unwrap(), [Value::from(name)], "{name:?}");
    }
}

#[test]
fn table_arguments_and_results() {
    let s = state();
    s.register_func("sum", |ctx| {
        let t = ctx.table(0)?;
        let mut sum = 0.0;
        for v in t.sequence()? {
            sum += v.as_f64().unwrap_or(0.0);
        }
        Ok(sum + t.get("extra")?.as_f64().unwrap_or(0.0))
    })
    .unwrap();
    s.register_func("make", |ctx| {
        let n = ctx.integer(0)?;
        let t = ctx.create_table(n as usize, 0)?;
        for i in 1..=n {
            t.set(i, &Value::Number(i as f64))?;
        }
        ctx.push(t)
    })
    .unwrap();
    assert_eq!(
        s.do_string("return sum({1, 2, 3.5, extra = 10})").unwrap(),
        [Value::Number(16.5)]
    );
    assert_eq!(
        s.do_string("local t = make(4) return #t, t[4]").unwrap(),
        [Value::Number(4.0), Value::Number(4.0)]
    );
    // __index errors come back as errors, never unwinding.
    let err = s
        .do_string("return sum(setmetatable({}, {__index = function() error('meta!') end}))")
        .unwrap_err();
    assert!(err.message().contains("meta!"), "{}", err.message());
}

#[test]
fn nested_calls_and_callbacks() {
    let s = state();
    s.register_func("call_fn", |ctx| {
        let args: Vec<Value> = ctx.args().skip(1).map(|v| v.to_owned()).collect();
        ctx.call_arg(0, &args)
    })
    .unwrap();
    assert_eq!(
        s.do_string("return call_fn(function(a, b) return a .. b, 2 end, 'x', 'y')")
            .unwrap(),
        [Value::from("xy"), Value::Number(2.0)]
    );
    // host -> Luau -> host ... 50 deep.
    s.do_string(
        "function down(n) if n == 0 then return 'bottom' end return call_fn(down, n - 1) end",
    )
    .unwrap();
    assert_eq!(
        s.do_string("return down(50)").unwrap(),
        [Value::from("bottom")]
    );
    // Past the C stack limit: a clean error, not a crash.
    let err = s.do_string("return down(100000)").unwrap_err();
    assert!(
        err.message().contains("stack overflow") || err.message().contains("C stack"),
        "{err}"
    );
    assert_eq!(
        s.do_string("return down(3)").unwrap(),
        [Value::from("bottom")]
    );
}

#[test]
fn register_and_unregister_during_a_call() {
    let s = state();
    s.register_func("install", |ctx| {
        ctx.register_func(ctx.bytes(0)?, |_| Ok("installed"))?;
        Ok(true)
    })
    .unwrap();
    s.register_func("once", |ctx| {
        ctx.unregister_func(ctx.name_bytes())?;
        Ok("unregistered")
    })
    .unwrap();
    assert_eq!(
        s.do_string("install('fresh') return fresh()").unwrap(),
        [Value::from("installed")]
    );
    assert_eq!(
        s.do_string("local f = once return f(), pcall(f)").unwrap()[..2],
        [Value::from("unregistered"), Value::Boolean(false)]
    );
}

#[test]
fn many_results_and_arguments() {
    let s = state();
    s.register_func("multi", |ctx| {
        let n = ctx.integer(0)?;
        for i in 1..=n {
            ctx.push_number(i as f64)?;
        }
        Ok(())
    })
    .unwrap();
    s.register_func("count", |ctx| Ok(ctx.len() as f64))
        .unwrap();
    let v = s.do_string("return multi(100)").unwrap();
    assert_eq!(v.len(), 100);
    assert_eq!(v[99], Value::Number(100.0));
    assert_eq!(
        s.do_string("return count(table.unpack(table.create(200, 1)))")
            .unwrap(),
        [Value::Number(200.0)]
    );
}

#[test]
fn big_strings_round_trip() {
    let s = state();
    s.register_func("echo", |ctx| ctx.push_arg(0)).unwrap();
    s.register_func("rep", |ctx| {
        Ok(ctx.bytes(0)?.repeat(ctx.integer(1)? as usize))
    })
    .unwrap();
    let v = s
        .do_string("local s = string.rep('x', 16 * 1024 * 1024) return #echo(s), #rep('ab', 4 * 1024 * 1024)")
        .unwrap();
    assert_eq!(v, [Value::Number(16_777_216.0), Value::Number(8_388_608.0)]);
}

#[test]
fn registry_counts_each_state() {
    // Other tests run in parallel threads: measure only this state's functions.
    let s = state();
    for i in 0..100 {
        s.register_func(format!("f{i}"), |_| Ok(())).unwrap();
    }
    assert_eq!(s.registered_len(), 100);
    assert!(luau::registry_len() >= 100);
    for i in 0..50 {
        s.unregister_func(format!("f{i}")).unwrap();
    }
    assert_eq!(s.registered_len(), 50);
}

#[test]
fn states_on_many_threads() {
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let s = State::new().unwrap();
                s.register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))
                    .unwrap();
                let v = s
                    .do_string("local s = 0 for i = 1, 10000 do s = add(s, 1) end return s")
                    .unwrap();
                assert_eq!(v, [Value::Number(10000.0)], "thread {t}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

// --- typed functions and userdata -----------------------------------------------------------

#[test]
fn typed_functions_convert_and_check() {
    let s = state();
    s.register("add", |(a, b): (i64, i64)| a + b).unwrap();
    s.register("join", |(sep, parts): (String, luau::Variadic<String>)| {
        parts.join(&sep)
    })
    .unwrap();
    s.register("maybe", |(x,): (Option<f64>,)| x.unwrap_or(-1.0))
        .unwrap();
    s.register("div", |(a, b): (f64, f64)| {
        if b == 0.0 {
            Err(Boom("division by zero"))
        } else {
            Ok(a / b)
        }
    })
    .unwrap();
    let v = s
        .do_string("return add(40, 2), join('-', 'a', 'b'), maybe(), maybe(2), div(1, 4)")
        .unwrap();
    assert_eq!(
        v,
        [
            Value::Number(42.0),
            Value::from("a-b"),
            Value::Number(-1.0),
            Value::Number(2.0),
            Value::Number(0.25)
        ]
    );
    let err = s.do_string("return add(1.5, 1)").unwrap_err();
    assert!(err
        .message()
        .contains("invalid argument #1 to 'add' (number has no integer representation)"));
    let err = s.do_string("return div(1, 0)").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    assert!(err.source().unwrap().downcast_ref::<Boom>().is_some());
}

struct Tracked {
    v: f64,
    drops: Rc<Cell<u32>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

thread_local! {
    static DROPS: Rc<Cell<u32>> = Rc::new(Cell::new(0));
}

impl luau::UserData for Tracked {
    const NAME: &'static str = "Tracked";
    fn register(reg: &mut luau::UserDataRegistry<Self>) {
        reg.add_function("new", |(v,): (f64,)| Tracked {
            v,
            drops: DROPS.with(Rc::clone),
        });
        reg.add_field_get("v", |t| t.v);
        reg.add_method("double", |t, ()| t.v * 2.0);
    }
}

#[test]
fn userdata_values_are_dropped_exactly_once() {
    let drops = DROPS.with(Rc::clone);
    let s = state();
    s.register_type::<Tracked>().unwrap();
    let v = s
        .do_string(
            "local t = Tracked.new(21) keep = Tracked.new(1) return typeof(t), t.v, t:double()",
        )
        .unwrap();
    assert_eq!(
        v,
        [
            Value::from("Tracked"),
            Value::Number(21.0),
            Value::Number(42.0)
        ]
    );
    assert_eq!(s.userdata_len(), 2);
    s.gc_collect().unwrap();
    assert_eq!(
        drops.get(),
        1,
        "the unreachable value is dropped after a collection"
    );
    assert_eq!(s.userdata_len(), 1);
    drop(s);
    assert_eq!(drops.get(), 2, "the state drops the values it still holds");
}
