//! The garbage-collector controls and the host-side `loadstring` (`CallContext::load`).

use luau::{ErrorKind, GcOp, State, Value};

#[test]
fn gc_controls_drive_the_collector() {
    // Requirement: State::gc exposes Luau's collector: stop / restart / is-running, the heap
    // size in KB + bytes (consistent with memory_used), a full collection that frees garbage,
    // steps that report a finished cycle, tuning that returns the old value; a negative step
    // is an argument error.
    let state = State::new().unwrap();
    assert_eq!(state.gc(GcOp::IsRunning, 0).unwrap(), 1);
    state.gc(GcOp::Stop, 0).unwrap();
    assert_eq!(state.gc(GcOp::IsRunning, 0).unwrap(), 0);
    state
        .do_string("local t = {} for i = 1, 20000 do t[i] = {i} end")
        .unwrap();
    let kb = state.gc(GcOp::Count, 0).unwrap();
    let bytes = state.gc(GcOp::CountBytes, 0).unwrap();
    assert_eq!(
        usize::try_from(kb).unwrap() * 1024 + usize::try_from(bytes).unwrap(),
        state.memory_used()
    );
    state.gc(GcOp::Collect, 0).unwrap();
    let after = state.gc(GcOp::Count, 0).unwrap();
    assert!(after < kb / 2, "collect left {after} KB of {kb}");
    state.gc(GcOp::Stop, 0).unwrap();
    state.gc(GcOp::Restart, 0).unwrap();
    assert_eq!(state.gc(GcOp::IsRunning, 0).unwrap(), 1);
    assert_eq!(state.gc(GcOp::Step, 1_000_000).unwrap(), 1);
    let old = state.gc(GcOp::SetStepMul, 250).unwrap();
    assert_eq!(state.gc(GcOp::SetStepMul, old).unwrap(), 250);
    let err = state.gc(GcOp::Step, -1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
}

#[test]
fn call_context_gc_and_load_make_collectgarbage_and_loadstring() {
    // Requirement: inside a host function the call context drives the collector (a script's
    // collectgarbage) and compiles source into a function returned to Luau (loadstring). The
    // function is loaded on the calling thread: inside a coroutine after setfenv(0, t) it
    // sees t. A syntax error is ErrorKind::Syntax naming the chunk, and nothing is pushed.
    let state = State::new().unwrap();
    state
        .register_func("collect", |ctx| {
            ctx.gc(GcOp::Collect, 0)?;
            ctx.gc(GcOp::Count, 0)
        })
        .unwrap();
    state
        .register_func("loadstring", |ctx| {
            let src = ctx.bytes(0)?;
            let name = if ctx.len() > 1 { ctx.bytes(1)? } else { src };
            let before = ctx.results_len();
            match ctx.load(src, name) {
                Ok(f) => ctx.push(f),
                Err(e) if e.kind() == ErrorKind::Syntax => {
                    assert_eq!(ctx.results_len(), before);
                    ctx.push_nil()?;
                    ctx.push_string(e.message())
                }
                Err(e) => Err(e),
            }
        })
        .unwrap();
    let got = state
        .do_string(
            r#"
            x = "main"
            local weak = setmetatable({}, {__mode = "k"})
            local co = coroutine.wrap(function()
                setfenv(0, {x = "coroutine", loadstring = loadstring})
                return loadstring("return x")()
            end)
            weak[{}] = true
            local kb = collect()
            local f, msg = loadstring("return = 1")
            local g, msg2 = loadstring("return = 1", "=named")
            return loadstring("return x")(), co(), kb > 0, next(weak) == nil, f, msg, msg2"#,
        )
        .unwrap();
    assert_eq!(got[0], Value::from("main"));
    assert_eq!(got[1], Value::from("coroutine"));
    assert_eq!(got[2], Value::Boolean(true));
    assert_eq!(got[3], Value::Boolean(true), "collect really collected");
    assert_eq!(got[4], Value::Nil);
    let msg = got[5].as_str().unwrap();
    assert!(msg.starts_with(r#"[string "return = 1"]:1:"#), "{msg}");
    let msg2 = got[6].as_str().unwrap();
    assert!(msg2.starts_with("named:1:"), "{msg2}");
}

#[test]
fn a_loaded_function_can_be_called_by_the_host_and_levels_are_checked() {
    // Requirement: the loaded function can also be called from the host during the call,
    // and bad compile levels are refused before anything is loaded.
    let state = State::new().unwrap();
    state
        .register_func("twice", |ctx| {
            let f = ctx.load_with(
                ctx.bytes(0)?,
                "=twice",
                &luau::CompileOptions::new().optimization_level(2),
            )?;
            let a = f.call(&[])?;
            let b = f.call(&[])?;
            let bad = ctx.load_with("return 1", "", &luau::CompileOptions::new().debug_level(3));
            assert_eq!(bad.unwrap_err().kind(), ErrorKind::Argument);
            Ok(a[0].as_f64().unwrap_or(0.0) + b[0].as_f64().unwrap_or(0.0))
        })
        .unwrap();
    let got = state
        .do_string("n = 0 return twice('n = n + 1 return n')")
        .unwrap();
    assert_eq!(got, [Value::Number(3.0)]);
}
