//! Thread requirements (issue 11, DESIGN.md §9), each stated before its check: host-held
//! threads (create, resume, status, reset, resume with an error), host functions that yield,
//! the error protocol through threads, and containment reaching resumed threads.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, Instant};

use luau::{Error, ErrorKind, State, StateOptions, ThreadResult, ThreadStatus, Value};

fn n(x: f64) -> Value {
    Value::Number(x)
}

#[derive(Debug)]
struct Mine(u32);

impl fmt::Display for Mine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mine {}", self.0)
    }
}

impl StdError for Mine {}

/// A state with `yield_values` (yields its arguments) and `fail` (a host error `Mine`).
fn state() -> State {
    let state = State::new().unwrap();
    state
        .register_func("yield_values", |ctx| {
            for i in 0..ctx.len() {
                ctx.push_arg(i)?;
            }
            ctx.yield_results()
        })
        .unwrap();
    state
        .register_func("fail", |ctx| -> luau::Result<()> {
            Err(Error::external(Mine(ctx.number(0)? as u32)))
        })
        .unwrap();
    state
}

#[test]
fn resume_and_yield_pass_values_both_ways_until_the_thread_returns() {
    let state = state();
    state
        .do_string("function pingpong(a) local b = coroutine.yield(a + 1) local c = coroutine.yield(b * 2) return a + b + c end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("pingpong").unwrap())
        .unwrap();
    assert_eq!(t.status(), ThreadStatus::Suspended);
    assert_eq!(
        t.resume(&[n(1.0)]).unwrap(),
        ThreadResult::Yielded(vec![n(2.0)])
    );
    assert_eq!(t.status(), ThreadStatus::Suspended);
    assert_eq!(
        t.resume(&[n(10.0)]).unwrap(),
        ThreadResult::Yielded(vec![n(20.0)])
    );
    let done = t.resume(&[n(100.0)]).unwrap();
    assert!(!done.is_yielded());
    assert_eq!(done.into_values(), [n(111.0)]);
    assert_eq!(t.status(), ThreadStatus::Finished);
    assert_eq!(t.status().as_str(), "finished");
    let err = t.resume(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    assert!(err.message().contains("cannot resume"), "{err}");
}

#[test]
fn a_host_function_yields_and_the_next_resume_becomes_its_results() {
    let state = State::new().unwrap();
    state
        .register_func("next_job", |ctx| {
            let done = ctx.number(0)?;
            ctx.yield_values(&[Value::from("need work"), n(done)])
        })
        .unwrap();
    state
        .do_string("function worker() local s, k = 0, 0 while true do local job = next_job(k) if job == nil then return s end s += job k += 1 end end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("worker").unwrap())
        .unwrap();
    assert_eq!(
        t.resume(&[]).unwrap(),
        ThreadResult::Yielded(vec![Value::from("need work"), n(0.0)])
    );
    for (i, job) in [5.0, 7.0, 30.0].into_iter().enumerate() {
        assert_eq!(
            t.resume(&[n(job)]).unwrap(),
            ThreadResult::Yielded(vec![Value::from("need work"), n(i as f64 + 1.0)])
        );
    }
    assert_eq!(
        t.resume(&[Value::Nil]).unwrap(),
        ThreadResult::Returned(vec![n(42.0)])
    );
}

#[test]
fn a_host_function_yields_inside_pcall_and_inside_a_luau_coroutine() {
    let state = state();
    state
        .do_string("function w() return pcall(yield_values, 'in pcall') end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("w").unwrap())
        .unwrap();
    assert_eq!(
        t.resume(&[]).unwrap(),
        ThreadResult::Yielded(vec!["in pcall".into()])
    );
    assert_eq!(
        t.resume(&["resumed".into()]).unwrap(),
        ThreadResult::Returned(vec![Value::Boolean(true), "resumed".into()])
    );
    // Inside coroutine.resume in the script: it yields to the script, not to the host.
    assert_eq!(
        state
            .do_string("local co = coroutine.create(function() return yield_values('inner') .. '!' end) local _, a = coroutine.resume(co) local _, b = coroutine.resume(co, 'back') return a, b")
            .unwrap(),
        [Value::from("inner"), Value::from("back!")]
    );
}

#[test]
fn yielding_where_luau_cannot_yield_is_a_clean_error() {
    let state = state();
    // A chunk run to completion.
    let err = state
        .do_string("yield_values(1) return 'not reached'")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(err.message().contains("yield"), "{err}");
    // A nested host -> Luau -> host call.
    state
        .register_func("call_back", |ctx| {
            let name = ctx.str(0)?.to_owned();
            ctx.call(name, &[]).map(drop)
        })
        .unwrap();
    state
        .do_string("function inner() return yield_values(1) end function outer() local ok, e = pcall(call_back, 'inner') return ok, tostring(e) end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("outer").unwrap())
        .unwrap();
    let ThreadResult::Returned(v) = t.resume(&[]).unwrap() else {
        panic!("expected a return")
    };
    assert_eq!(v[0], Value::Boolean(false));
    assert!(
        v[1].as_str().unwrap().contains("cannot yield"),
        "{:?}",
        v[1]
    );
    assert_eq!(
        state.do_string("return 'usable'").unwrap(),
        [Value::from("usable")]
    );
}

#[test]
fn an_error_in_a_thread_comes_back_from_the_resume_and_the_thread_is_dead() {
    let state = state();
    state
        .do_string("function bad() coroutine.yield(1) error('thread failed') end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("bad").unwrap())
        .unwrap();
    assert_eq!(t.resume(&[]).unwrap(), ThreadResult::Yielded(vec![n(1.0)]));
    let err = t.resume(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(err.message().contains("thread failed"), "{err}");
    assert!(err.traceback().contains("bad"), "{:?}", err.traceback());
    assert_eq!(t.status(), ThreadStatus::Error);
}

#[test]
fn a_host_error_keeps_its_identity_through_host_resumes_and_coroutine_wrap() {
    let state = state();
    state
        .do_string("function f() coroutine.yield() fail(7) end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("f").unwrap())
        .unwrap();
    t.resume(&[]).unwrap();
    let err = t.resume(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host, "{err:#}");
    assert_eq!(
        err.source()
            .and_then(|s| s.downcast_ref::<Mine>())
            .map(|m| m.0),
        Some(7)
    );

    let err = state
        .do_string("local g = coroutine.wrap(function() fail(8) end) g()")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host, "{err:#}");
    assert!(err.message().contains("mine 8"), "{err}");
    assert_eq!(
        err.source()
            .and_then(|s| s.downcast_ref::<Mine>())
            .map(|m| m.0),
        Some(8)
    );
}

#[test]
fn a_host_panic_in_a_thread_is_resumed_at_the_outermost_call() {
    let state = State::new().unwrap();
    state
        .register_func("boom", |_| -> luau::Result<()> { panic!("boom in thread") })
        .unwrap();
    state
        .do_string("function p() pcall(boom) coroutine.yield('after') end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("p").unwrap())
        .unwrap();
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.resume(&[]))).unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in thread"));
    // Through coroutine.wrap under pcall too.
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        state.do_string(
            "local f = coroutine.wrap(function() boom() end) pcall(f) return 'swallowed'",
        )
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in thread"));
    assert_eq!(
        state.do_string("return 'usable'").unwrap(),
        [Value::from("usable")]
    );
}

#[test]
fn a_finished_or_dead_thread_is_reused_after_reset() {
    let state = state();
    state
        .do_string("function one(x) return x + 1 end function two(x) error('no') end")
        .unwrap();
    let one = state.get_function("one").unwrap();
    let t = state.create_thread(&one).unwrap();
    for i in 0..3 {
        assert_eq!(
            t.resume(&[n(f64::from(i))]).unwrap(),
            ThreadResult::Returned(vec![n(f64::from(i) + 1.0)])
        );
        t.reset(&one).unwrap();
        assert_eq!(t.status(), ThreadStatus::Suspended);
    }
    t.reset(&state.get_function("two").unwrap()).unwrap();
    t.resume(&[n(0.0)]).unwrap_err();
    assert_eq!(t.status(), ThreadStatus::Error);
    t.reset(&one).unwrap();
    assert_eq!(
        t.resume(&[n(9.0)]).unwrap(),
        ThreadResult::Returned(vec![n(10.0)])
    );
}

#[test]
fn resume_error_raises_at_the_yield_point() {
    let state = state();
    state
        .do_string("function w() local ok, e = pcall(coroutine.yield, 'waiting') return ok, e end")
        .unwrap();
    let t = state
        .create_thread(&state.get_function("w").unwrap())
        .unwrap();
    assert_eq!(
        t.resume(&[]).unwrap(),
        ThreadResult::Yielded(vec!["waiting".into()])
    );
    assert_eq!(
        t.resume_error(&Value::from("timed out")).unwrap(),
        ThreadResult::Returned(vec![Value::Boolean(false), "timed out".into()])
    );
    // A thread that has not yielded cannot be resumed with an error.
    let fresh = state
        .create_thread(&state.get_function("w").unwrap())
        .unwrap();
    assert_eq!(
        fresh.resume_error(&Value::Nil).unwrap_err().kind(),
        ErrorKind::Argument
    );
}

#[test]
fn a_function_of_another_state_is_refused_cleanly() {
    let a = state();
    let b = state();
    a.do_string("function f() end").unwrap();
    b.do_string("function f() end").unwrap();
    let fa = a.get_function("f").unwrap();
    let fb = b.get_function("f").unwrap();
    let err = a.create_thread(&fb).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    assert!(err.message().contains("another state"), "{err}");
    let t = a.create_thread(&fa).unwrap();
    t.resume(&[]).unwrap();
    assert_eq!(t.reset(&fb).unwrap_err().kind(), ErrorKind::Argument);
}

#[test]
fn top_level_chunks_are_yieldable_with_luaus_own_pcall_depth() {
    let state = State::new().unwrap();
    assert_eq!(
        state.do_string("return coroutine.isyieldable()").unwrap(),
        [Value::Boolean(true)]
    );
    assert_eq!(
        state
            .do_string(
                "function stackover() return pcall(stackover) end return #{pcall(stackover)}"
            )
            .unwrap(),
        [n(10000.0)]
    );
}

#[test]
fn a_run_timeout_and_an_interrupt_reach_a_resumed_thread() {
    let state = state();
    state.set_run_timeout(Some(Duration::from_millis(30)));
    state
        .do_string("function spin() yield_values(1) while true do end end")
        .unwrap();
    let spin = state.get_function("spin").unwrap();
    let t = state.create_thread(&spin).unwrap();
    assert_eq!(t.resume(&[]).unwrap(), ThreadResult::Yielded(vec![n(1.0)]));
    let start = Instant::now();
    let err = t.resume(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Interrupted);
    // Generous: a loaded CI machine.
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(t.status(), ThreadStatus::Error);

    state.set_run_timeout(None);
    t.reset(&spin).unwrap();
    t.resume(&[]).unwrap();
    let handle = state.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        while !handle.interrupt() {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    let err = t.resume(&[]).unwrap_err();
    stopper.join().unwrap();
    assert_eq!(err.interrupt_cause(), Some(luau::InterruptCause::Cancel));
}

#[test]
fn threads_on_a_sandboxed_state_have_their_own_globals() {
    let state = State::with_options(StateOptions::new().sandbox(true)).unwrap();
    state.set_global("shared", &n(1.0)).unwrap();
    // A function defined by the host before sealing would write the shared globals; a loaded
    // chunk gets its own, and so does each thread.
    let chunk = state
        .compile("mine = (mine or 0) + shared coroutine.yield(mine) return mine")
        .unwrap();
    let f = state.load("chunk", &chunk).unwrap();
    let t1 = state.create_thread(&f).unwrap();
    let t2 = state.create_thread(&f).unwrap();
    assert_eq!(t1.resume(&[]).unwrap(), ThreadResult::Yielded(vec![n(1.0)]));
    assert_eq!(t2.resume(&[]).unwrap(), ThreadResult::Yielded(vec![n(2.0)]));
    assert_eq!(state.do_string("return mine").unwrap(), [Value::Nil]);
}

#[test]
fn many_suspended_threads_stay_bounded() {
    let state = state();
    let src = "local ts = {} for i = 1, 10000 do local co = coroutine.create(function(x) return yield_values(x) + 1 end) coroutine.resume(co, i) ts[i] = co end local s = 0 for i = 1, 10000 do local ok, v = coroutine.resume(ts[i], i) s += v end return s";
    assert_eq!(state.do_string(src).unwrap(), [n(50015000.0)]);
    state.gc_collect().unwrap();
    let before = state.memory_used();
    assert_eq!(state.do_string(src).unwrap(), [n(50015000.0)]);
    state.gc_collect().unwrap();
    assert!(state.memory_used() < before + (2 << 20));
}

#[test]
fn a_continuation_runs_after_the_resume_however_the_thread_is_resumed() {
    // Requirement: a host function that yields with yield_then continues in its continuation
    // on resume, with the resume values as its arguments; its answer (results, an error or
    // another yield) is the host function's, whether the host or the script resumes.
    let state = State::new().unwrap();
    state
        .register_func("ask", |ctx| {
            let step = ctx.number(0)?;
            ctx.yield_then(&[n(step)], move |ctx| {
                let got = ctx.number(0)?;
                if got < 0.0 {
                    return Err(Error::external(Mine(7)));
                }
                if got == 0.0 {
                    // Yield again from the continuation: a second round trip.
                    return ctx.yield_then(&[n(step + 100.0)], |ctx| {
                        let again = ctx.number(0)?;
                        ctx.push_number(again * 1000.0)
                    });
                }
                ctx.push_number(got * 10.0)?;
                ctx.push_number(step)
            })
        })
        .unwrap();
    state
        .do_string("function main(s) local a, b = ask(s) return a, b end")
        .unwrap();
    let main = state.get_function("main").unwrap();

    // Host-driven.
    let thread = state.create_thread(&main).unwrap();
    assert_eq!(
        thread.resume(&[n(1.0)]).unwrap(),
        ThreadResult::Yielded(vec![n(1.0)])
    );
    assert_eq!(
        thread.resume(&[n(4.0)]).unwrap(),
        ThreadResult::Returned(vec![n(40.0), n(1.0)])
    );

    // A continuation that yields again.
    let thread = state.create_thread(&main).unwrap();
    thread.resume(&[n(2.0)]).unwrap();
    assert_eq!(
        thread.resume(&[n(0.0)]).unwrap(),
        ThreadResult::Yielded(vec![n(102.0)])
    );
    assert_eq!(
        thread.resume(&[n(3.0)]).unwrap(),
        ThreadResult::Returned(vec![n(3000.0), Value::Nil]) // main returns a, b
    );

    // A continuation's error keeps its identity.
    let thread = state.create_thread(&main).unwrap();
    thread.resume(&[n(5.0)]).unwrap();
    let err = thread.resume(&[n(-1.0)]).unwrap_err();
    assert!(err.host_error().is_some_and(|e| e.is::<Mine>()), "{err:?}");

    // Script-driven: coroutine.resume reaches the continuation too.
    let got = state
        .do_string(
            "local co = coroutine.create(main) \
             local _, y = coroutine.resume(co, 6) \
             local _, a, b = coroutine.resume(co, 7) \
             return y, a, b",
        )
        .unwrap();
    assert_eq!(got, vec![n(6.0), n(70.0), n(6.0)]);
}

#[test]
fn a_host_function_takes_a_scripts_coroutine_as_a_thread() {
    // Requirement: a coroutine passed to a host function is a Thread the host can resume
    // (also with an error) and inspect; anything else is an argument error in Luau's wording.
    let state = State::new().unwrap();
    state
        .register_func("step", |ctx| {
            let thread = ctx.thread(0)?;
            let out = thread.resume(&[n(5.0)])?;
            ctx.push_string(format!("{:?}", thread.status()))?;
            ctx.push_value(&out.into_values().pop().unwrap_or(Value::Nil))
        })
        .unwrap();
    state
        .register_func("raise_in", |ctx| {
            let thread = ctx.thread(0)?;
            let msg = Value::from(ctx.str(1)?);
            thread.resume_error(&msg).map(drop)
        })
        .unwrap();
    let got = state
        .do_string(
            "local co = coroutine.create(function() local x = coroutine.yield() return x * 2 end) \
             coroutine.resume(co) \
             local status, v = step(co) \
             local co2 = coroutine.create(function() local ok, e = pcall(coroutine.yield) return e end) \
             coroutine.resume(co2) \
             raise_in(co2, 'boom') \
             local ok, e = pcall(step, 42) \
             return status, v, coroutine.status(co2), e",
        )
        .unwrap();
    assert_eq!(got[0], Value::from("Finished"));
    assert_eq!(got[1], n(10.0));
    assert_eq!(got[2], Value::from("dead"));
    assert_eq!(
        got[3],
        Value::from("invalid argument #1 to 'step' (thread expected, got number)")
    );
}
