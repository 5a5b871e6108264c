//! Containment requirements (issue 10, DESIGN.md §8), each stated before its check: stopping
//! runs (run timeouts, deadlines, interrupt handles), the sandbox, locked host types, print to
//! a host sink, bounded conversions, and the untrusted profile.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use luau::{Error, ErrorKind, InterruptCause, InterruptHandle, State, StateOptions, Value};

fn interrupted(err: &Error, cause: InterruptCause) {
    assert_eq!(err.kind(), ErrorKind::Interrupted, "{err:#}");
    assert_eq!(err.kind().as_str(), "interrupted");
    assert_eq!(err.interrupt_cause(), Some(cause), "{err:#}");
    let want = match cause {
        InterruptCause::Deadline => "script interrupted: deadline exceeded",
        _ => "script interrupted: cancelled",
    };
    assert_eq!(err.message(), want);
    assert!(matches!(err, Error::Interrupted { .. }));
}

// ---- stopping runs -------------------------------------------------------------------------

#[test]
fn run_timeout_stops_a_runaway_loop_right_after_it_and_the_state_stays_usable() {
    let state =
        State::with_options(StateOptions::new().run_timeout(Duration::from_millis(50))).unwrap();
    let start = Instant::now();
    let err = state.do_string("while true do end").unwrap_err();
    let took = start.elapsed();
    interrupted(&err, InterruptCause::Deadline);
    assert!(took >= Duration::from_millis(50), "stopped early: {took:?}");
    // The target is deadline + 20 ms; the bound leaves room for a loaded machine.
    assert!(took < Duration::from_millis(100), "stopped late: {took:?}");
    assert_eq!(
        state.do_string("return 1 + 1").unwrap(),
        [Value::Number(2.0)]
    );
}

#[test]
fn a_stop_is_sticky_pcall_cannot_swallow_it() {
    let state = State::new().unwrap();
    state.set_run_timeout(Some(Duration::from_millis(30)));
    let err = state
        .do_string("while true do pcall(function() while true do end end) end")
        .unwrap_err();
    interrupted(&err, InterruptCause::Deadline);
    // error() and xpcall handlers cannot swallow it either.
    let err = state
        .do_string("while true do xpcall(function() while true do end end, function() return 'mine' end) end")
        .unwrap_err();
    interrupted(&err, InterruptCause::Deadline);
}

#[test]
fn the_doubling_recursion_stops() {
    let state = State::new().unwrap();
    state.set_run_timeout(Some(Duration::from_millis(30)));
    let start = Instant::now();
    let err = state
        .do_string("local function f(n) if n == 0 then return 1 end return f(n - 1) + f(n - 1) end return f(60)")
        .unwrap_err();
    interrupted(&err, InterruptCause::Deadline);
    // Generous: a loaded CI machine.
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_run_timeout_applies_per_run_and_can_be_removed() {
    let state = State::new().unwrap();
    state.set_run_timeout(Some(Duration::from_millis(400)));
    // Two runs of 250 ms each, together past the timeout: it counts from each run's
    // start. The 150 ms of slack per run absorbs a loaded CI machine.
    let spin = "local t = os.clock() while os.clock() - t < 0.25 do end return 'done'";
    assert_eq!(state.do_string(spin).unwrap(), [Value::from("done")]);
    assert_eq!(state.do_string(spin).unwrap(), [Value::from("done")]);
    state.set_run_timeout(None);
    let slow = "local t = os.clock() while os.clock() - t < 0.5 do end return 'slow'";
    assert_eq!(state.do_string(slow).unwrap(), [Value::from("slow")]);
}

#[test]
fn a_deadline_stops_every_run_until_cleared_and_a_past_deadline_stops_at_once() {
    let state = State::new().unwrap();
    state.set_deadline(Some(Instant::now() + Duration::from_millis(30)));
    let start = Instant::now();
    interrupted(
        &state.do_string("while true do end").unwrap_err(),
        InterruptCause::Deadline,
    );
    // Generous: a loaded CI machine.
    assert!(start.elapsed() < Duration::from_secs(2));
    // Still past: the next run stops at its first safepoint.
    let start = Instant::now();
    interrupted(
        &state.do_string("while true do end").unwrap_err(),
        InterruptCause::Deadline,
    );
    assert!(start.elapsed() < Duration::from_secs(1));
    state.set_deadline(None);
    assert_eq!(
        state
            .do_string("local s = 0 for i = 1, 100000 do s += 1 end return s")
            .unwrap(),
        [Value::Number(100000.0)]
    );
}

#[test]
fn a_timeout_does_not_change_fast_results_host_calls_included() {
    let state =
        State::with_options(StateOptions::new().run_timeout(Duration::from_secs(5))).unwrap();
    state
        .register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))
        .unwrap();
    assert_eq!(
        state
            .do_string("local s = 0 for i = 1, 1000 do s = add(s, i) end return s")
            .unwrap(),
        [Value::Number(500500.0)]
    );
    state.do_string("function f(x) return x * 2 end").unwrap();
    let f = state.get_function("f").unwrap();
    assert_eq!(
        f.call(&[Value::Number(21.0)]).unwrap(),
        [Value::Number(42.0)]
    );
}

#[test]
fn interrupt_handles_are_send_sync_clone_and_static() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<InterruptHandle>();
}

/// Interrupts from another thread until a run is going on; returns when it hit one.
fn interrupt_soon(handle: InterruptHandle, after: Duration) -> std::thread::JoinHandle<Instant> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        loop {
            if handle.interrupt() {
                return Instant::now();
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    })
}

#[test]
fn an_interrupt_from_another_thread_stops_the_run_and_the_state_stays_usable() {
    let state = State::new().unwrap();
    let stopper = interrupt_soon(state.interrupt_handle(), Duration::from_millis(20));
    let err = state.do_string("while true do end").unwrap_err();
    let stopped = Instant::now();
    let requested = stopper.join().unwrap();
    interrupted(&err, InterruptCause::Cancel);
    let latency = stopped.duration_since(requested);
    assert!(
        latency < Duration::from_millis(50),
        "stop latency {latency:?}"
    );
    assert_eq!(
        state.do_string("return 'after'").unwrap(),
        [Value::from("after")]
    );
}

#[test]
fn an_interrupt_while_idle_does_nothing_and_does_not_affect_the_next_run() {
    let state = State::new().unwrap();
    let handle = state.interrupt_handle();
    assert!(!handle.interrupt(), "no run is going on");
    assert!(!handle.clone().interrupt());
    assert_eq!(state.do_string("return 7").unwrap(), [Value::Number(7.0)]);
}

#[test]
fn an_interrupt_handle_outlives_its_state_harmlessly() {
    let handle = {
        let state = State::new().unwrap();
        state.interrupt_handle()
    };
    assert!(!handle.interrupt());
    let h2 = handle.clone();
    drop(handle);
    assert!(!h2.interrupt());
}

#[test]
fn a_stop_that_arrives_during_a_host_function_takes_effect_when_it_returns() {
    let state = State::new().unwrap();
    state
        .register_func("sleep_ms", |ctx| {
            std::thread::sleep(Duration::from_millis(ctx.number(0)? as u64));
            Ok(())
        })
        .unwrap();
    let stopper = interrupt_soon(state.interrupt_handle(), Duration::from_millis(10));
    let start = Instant::now();
    let err = state
        .do_string("pcall(sleep_ms, 60) while true do end")
        .unwrap_err();
    stopper.join().unwrap();
    interrupted(&err, InterruptCause::Cancel);
    assert!(
        start.elapsed() >= Duration::from_millis(60),
        "the host function finished first"
    );
}

#[test]
fn a_stop_inside_a_nested_call_reaches_the_outermost_call_as_interrupted() {
    let state = State::new().unwrap();
    state.set_run_timeout(Some(Duration::from_millis(30)));
    // The host function swallows the nested error: the stop is sticky anyway.
    state
        .register_func("run_inner", |ctx| {
            let _ = ctx.call("spin", &[]);
            Ok(())
        })
        .unwrap();
    state
        .do_string("function spin() while true do end end")
        .unwrap();
    let err = state
        .do_string("run_inner() return 'not reached'")
        .unwrap_err();
    interrupted(&err, InterruptCause::Deadline);
}

// ---- sandbox -------------------------------------------------------------------------------

fn sandboxed() -> State {
    State::with_options(StateOptions::new().sandbox(true)).unwrap()
}

#[test]
fn sandbox_makes_libraries_and_the_string_metatable_read_only() {
    let state = sandboxed();
    for src in [
        "string.upper = function() return 'pwned' end",
        "getmetatable('').__index = {upper = function() return 'pwned' end}",
        "math.pi = 3",
    ] {
        let err = state.do_string(src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Runtime, "{src}");
        assert!(err.message().contains("readonly"), "{src}: {err}");
    }
    assert_eq!(
        state
            .do_string("return string.upper('ok'), ('ok'):upper()")
            .unwrap(),
        [Value::from("OK"), Value::from("OK")]
    );
    assert!(state.is_sandboxed());
}

#[test]
fn sandbox_gives_each_run_its_own_globals() {
    let state = sandboxed();
    assert_eq!(
        state.do_string("leaked = 1 pcall = nil setmetatable(_G, {__index = function() return 'pwned' end}) return leaked, nothing").unwrap(),
        [Value::Number(1.0), Value::from("pwned")]
    );
    assert_eq!(
        state
            .do_string("return leaked, nothing, type(pcall)")
            .unwrap(),
        [Value::Nil, Value::Nil, Value::from("function")]
    );
}

#[test]
fn sandbox_seals_before_the_first_run_so_later_registrations_are_shared_and_read_only() {
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
        fn inc(&mut self) -> f64 {
            self.n += 1.0;
            self.n
        }
    }
    let state = sandboxed();
    assert!(!state.is_sandboxed(), "sealing waits for the first run");
    state
        .register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))
        .unwrap();
    state.register_type::<Counter>().unwrap();
    state
        .set_global("shared_config", &Value::from("on purpose"))
        .unwrap();
    assert_eq!(
        state
            .do_string("add = function() return 0 end return add(1, 2)")
            .unwrap(),
        [Value::Number(0.0)]
    );
    assert!(state.is_sandboxed());
    assert_eq!(
        state.do_string("return add(1, 2), shared_config").unwrap(),
        [Value::Number(3.0), Value::from("on purpose")]
    );
    let err = state
        .do_string("Counter.new = function() return 'pwned' end")
        .unwrap_err();
    assert!(err.message().contains("readonly"), "{err}");
    assert_eq!(
        state.do_string("return Counter.new():inc()").unwrap(),
        [Value::Number(1.0)]
    );
    // After sealing the shared globals are read-only for the host too: a clean error.
    let err = state.register_func("late", |_| Ok(())).unwrap_err();
    assert!(err.message().contains("readonly"), "{err}");
}

#[test]
fn explicit_sandbox_seals_now() {
    let state = State::new().unwrap();
    state.do_string("before = 1").unwrap();
    state.sandbox().unwrap();
    state.sandbox().unwrap(); // idempotent
    assert!(state.is_sandboxed());
    assert_eq!(
        state.do_string("after = 2 return before").unwrap(),
        [Value::Number(1.0)]
    );
    assert_eq!(state.do_string("return after").unwrap(), [Value::Nil]);
}

#[test]
fn host_userdata_metatables_are_locked_in_every_mode() {
    #[derive(luau::UserData)]
    struct Vec2 {
        x: f64,
    }
    #[luau::methods]
    impl Vec2 {
        #[luau(constructor)]
        fn new(x: f64) -> Vec2 {
            Vec2 { x }
        }
        fn get(&self) -> f64 {
            self.x
        }
    }
    for sandbox in [false, true] {
        let state = State::with_options(StateOptions::new().sandbox(sandbox)).unwrap();
        state.register_type::<Vec2>().unwrap();
        assert_eq!(
            state.do_string("return getmetatable(Vec2.new(5))").unwrap(),
            [Value::from("Vec2")]
        );
        let err = state
            .do_string("setmetatable(Vec2.new(5), {})")
            .unwrap_err();
        assert!(err.message().contains("setmetatable"), "{err}");
        assert_eq!(
            state.do_string("return Vec2.new(5):get()").unwrap(),
            [Value::Number(5.0)]
        );
    }
}

// ---- print ---------------------------------------------------------------------------------

#[test]
fn print_exists_and_discards_by_default() {
    let state = State::new().unwrap();
    assert_eq!(
        state.do_string("return type(print)").unwrap(),
        [Value::from("function")]
    );
    state.do_string("print('nobody hears this')").unwrap();
}

#[test]
fn print_reaches_the_sink_formatted_as_luau_does() {
    let state = State::new().unwrap();
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&out);
    state.set_print(move |line| sink.borrow_mut().push(line.to_vec()));
    state
        .do_string("print('a', 1, true, nil) print() print(setmetatable({}, {__tostring = function() return 'T' end}))")
        .unwrap();
    assert_eq!(
        *out.borrow(),
        [
            b"a\t1\ttrue\tnil\n".to_vec(),
            b"\n".to_vec(),
            b"T\n".to_vec()
        ]
    );
    state.discard_print();
    state.do_string("print('gone')").unwrap();
    assert_eq!(out.borrow().len(), 3);
}

#[test]
fn print_to_a_writer() {
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let state = State::new().unwrap();
    let w = Shared::default();
    state.set_print_writer(w.clone());
    state.do_string("print('x', 2) print('y')").unwrap();
    assert_eq!(&w.0.borrow()[..], b"x\t2\ny\n");
}

#[test]
fn a_panicking_print_sink_is_resumed_at_the_outermost_call() {
    let state = State::new().unwrap();
    state.set_print(|_| panic!("sink broke"));
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = state.do_string("print('x')");
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"sink broke"));
    state.discard_print();
    assert_eq!(state.do_string("return 1").unwrap(), [Value::Number(1.0)]);
}

// ---- bounded conversions -------------------------------------------------------------------

#[test]
fn results_over_the_memory_limit_are_a_clean_memory_error() {
    let state = State::with_options(StateOptions::new().memory_limit(16 << 20)).unwrap();
    let err = state
        .do_string("return table.unpack(table.create(4096, string.rep('x', 2^20)))")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Memory);
    assert!(err.message().contains("results exceed"), "{err}");
    assert_eq!(
        state.do_string("return 'still usable'").unwrap(),
        [Value::from("still usable")]
    );
    // Calls and globals are bounded the same way.
    state
        .do_string(
            "function bomb() return table.unpack(table.create(64, string.rep('x', 2^20))) end",
        )
        .unwrap();
    let err = state.call("bomb", &[]).unwrap_err();
    assert!(err.message().contains("results exceed"), "{err}");
}

#[test]
fn results_without_a_limit_are_bounded_by_the_256_mib_default() {
    let state = State::new().unwrap();
    let err = state
        .do_string("return table.unpack(table.create(300, string.rep('x', 2^20)))")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Memory);
    assert!(err.message().contains("results exceed"), "{err}");
    let ok = state
        .do_string("return table.unpack(table.create(8, string.rep('x', 2^20)))")
        .unwrap();
    assert_eq!(ok.len(), 8);
}

#[test]
fn set_memory_limit_moves_the_conversion_budget() {
    let state = State::new().unwrap();
    state.do_string("s = string.rep('x', 2^20)").unwrap();
    assert_eq!(state.do_string("return s, s").unwrap().len(), 2);
    state.set_memory_limit(4 << 20);
    let err = state.do_string("return s, s, s, s, s").unwrap_err();
    assert!(err.message().contains("results exceed"), "{err}");
}

#[test]
fn a_table_reachable_twice_converts_once() {
    let state = State::with_options(StateOptions::new().memory_limit(16 << 20)).unwrap();
    let v = state
        .do_string("local a = {} for i = 1, 23 do a = {a, a} end return a")
        .unwrap();
    // One handle to the outer table: nothing is copied.
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].type_of(), luau::Type::Table);
}

// ---- the untrusted profile ----------------------------------------------------------------

#[test]
fn the_untrusted_profile_sandboxes_limits_and_times_out() {
    let opts = StateOptions::untrusted();
    assert!(opts.sandbox);
    assert_eq!(opts.memory_limit, luau::containment::UNTRUSTED_MEMORY_LIMIT);
    assert_eq!(
        opts.run_timeout,
        Some(luau::containment::UNTRUSTED_RUN_TIMEOUT)
    );
    let state = State::with_options(opts.run_timeout(Duration::from_millis(30))).unwrap();
    let err = state.do_string("string.upper = nil").unwrap_err();
    assert!(err.message().contains("readonly"), "{err}");
    interrupted(
        &state.do_string("while true do end").unwrap_err(),
        InterruptCause::Deadline,
    );
    state.set_run_timeout(None);
    let err = state
        .do_string("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 2^20) .. i end")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Memory, "{err}");
    assert_eq!(
        state.do_string("return 'usable'").unwrap(),
        [Value::from("usable")]
    );
}
