//! luau-embed's Rust benchmarks: `<benchmark>/<impl>` for the impls
//!
//! - `project`: this crate (`luau`), host functions through `State::register_func` (and
//!   `State::register` for call_with_args_typed);
//! - `floor`: a raw `lua_CFunction` of `luau/c/luau_bench_floor.h`, compiled into the same
//!   wrapper library and registered on the same kind of state (through the crate's hidden
//!   bench hook), called from the identical Luau loop; or the raw C call the binding wraps
//!   (`luaw_floor_call_ref`, `luaw_new` + `luaw_close`).
//!
//! The mlua peer is `rust/bench-mlua` (its own binary). One op is one call: see
//! `luau_bench`'s crate docs. Run: `cargo bench -p luau-embed-bench` (or
//! tools/bench/rust_bench.sh, which also writes target/bench/rust.json).

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use luau::{CallContext, Error, ErrorKind, State, Value};
use luau_bench::{
    count, first_time, names, reverse_into, rss_bytes, scripts, side_enabled, CountingAlloc,
    Counts, Side, MEMORY_WINDOW, REGISTER_NAMES,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

// luaw_FloorFunction (luau/c/luau_bench_floor.h).
const FLOOR_NOOP: i32 = 0;
const FLOOR_ADD: i32 = 1;
const FLOOR_STRING16: i32 = 2;
const FLOOR_ERROR: i32 = 3;
const FLOOR_ECHO_DISTINCT: i32 = 4;
const FLOOR_YIELD: i32 = 5;

const PROJECT: &str = "project";
const FLOOR: &str = "floor";

// ---- the host functions of the project ----

fn proj_noop(_: &mut CallContext<'_>) -> luau::Result<()> {
    Ok(())
}

fn proj_add(ctx: &mut CallContext<'_>) -> luau::Result<f64> {
    Ok(ctx.number(0)? + ctx.number(1)?)
}

fn proj_string16(ctx: &mut CallContext<'_>) -> luau::Result<()> {
    ctx.push_string(scripts::STR16)
}

fn proj_error(_: &mut CallContext<'_>) -> luau::Result<()> {
    Err(Error::new(ErrorKind::Runtime, "host error"))
}

/// f(s) -> s reversed; the buffer is reused (push_string copies it into C memory).
fn proj_echo() -> impl Fn(&mut CallContext<'_>) -> luau::Result<()> + 'static {
    let buf = RefCell::new(Vec::with_capacity(1024));
    move |ctx| {
        let s = ctx.bytes(0)?;
        let mut buf = buf.borrow_mut();
        reverse_into(&mut buf, s);
        ctx.push_string(&*buf)
    }
}

// ---- drivers ----

fn new_state() -> State {
    State::new().expect("State::new")
}

fn run(state: &State, n: u64) -> Vec<Value> {
    state
        .call("run", &[Value::Number(n as f64)])
        .expect("run(n)")
}

/// A script-side benchmark: the state has `f` bound and the script loaded; one criterion
/// iteration is one call (`run(iters)` timed as a whole). `check` sees run(3)'s result.
fn script_bench(
    g: &mut BenchmarkGroup<'_, WallTime>,
    bench: &'static str,
    imp: &'static str,
    state: &State,
    script: &str,
    check: impl Fn(&Value),
) {
    state.do_string(script).expect("load the script");
    check(run(state, 3).first().unwrap_or(&Value::Nil));
    g.bench_function(imp, |b| {
        if side_enabled() && first_time(bench, imp) {
            let n = if bench.starts_with("call_error") {
                1_000
            } else {
                10_000
            };
            let base = count(|| drop(run(state, 0)));
            let c = count(|| drop(run(state, n)));
            Side::per_op(bench, imp, sub(c, base), n).write();
        }
        b.iter_custom(|iters| {
            let t = Instant::now();
            let r = run(state, iters);
            let d = t.elapsed();
            black_box(r);
            d
        });
    });
}

fn sub(a: Counts, b: Counts) -> Counts {
    Counts {
        allocs: a.allocs.saturating_sub(b.allocs),
        bytes: a.bytes.saturating_sub(b.bytes),
        live: a.live.wrapping_sub(b.live),
    }
}

fn expect_nil(v: &Value) {
    assert_eq!(*v, Value::Nil);
}

fn expect_number(v: &Value) {
    assert!(matches!(v, Value::Number(_)), "want a number, got {v:?}");
}

fn expect_str16(v: &Value) {
    assert_eq!(*v, Value::from(scripts::STR16));
}

fn expect_error(text: &'static str) -> impl Fn(&Value) {
    move |v| {
        let s = v.as_str().unwrap_or_default();
        assert!(s.contains(text), "pcall gave {v:?}, want {text:?}");
    }
}

fn with_floor(which: i32) -> State {
    let s = new_state();
    s.__bench_register_floor(which, "f")
        .expect("register the floor");
    s
}

fn with_project<R: luau::IntoResults>(
    f: impl Fn(&mut CallContext<'_>) -> luau::Result<R> + 'static,
) -> State {
    let s = new_state();
    s.register_func("f", f).expect("register_func");
    s
}

fn call_benches(c: &mut Criterion) {
    type Case = (
        &'static str,
        &'static str,
        fn() -> State,
        fn() -> State,
        fn(&Value),
    );
    let cases: [Case; 3] = [
        (
            "call_no_args",
            scripts::NO_ARGS,
            || with_project(proj_noop),
            || with_floor(FLOOR_NOOP),
            expect_nil,
        ),
        (
            "call_with_args",
            scripts::WITH_ARGS,
            || with_project(proj_add),
            || with_floor(FLOOR_ADD),
            expect_number,
        ),
        (
            "call_return_string",
            scripts::STRING,
            || with_project(proj_string16),
            || with_floor(FLOOR_STRING16),
            expect_str16,
        ),
    ];
    for (bench, script, project, floor, check) in cases {
        let mut g = c.benchmark_group(bench);
        script_bench(&mut g, bench, PROJECT, &project(), script, check);
        script_bench(&mut g, bench, FLOOR, &floor(), script, |_| {});
        g.finish();
    }

    // The same work as call_with_args/project through the typed API.
    let mut g = c.benchmark_group("call_with_args_typed");
    let s = new_state();
    s.register("f", |(a, b): (f64, f64)| a + b)
        .expect("register");
    script_bench(
        &mut g,
        "call_with_args_typed",
        PROJECT,
        &s,
        scripts::WITH_ARGS,
        expect_number,
    );
    g.finish();

    for (bench, script) in [
        ("call_error_pcall", scripts::ERROR),
        ("call_error_pcall_1000_globals", scripts::ERROR_1000_GLOBALS),
    ] {
        let mut g = c.benchmark_group(bench);
        script_bench(
            &mut g,
            bench,
            PROJECT,
            &with_project(proj_error),
            script,
            expect_error("host error"),
        );
        script_bench(
            &mut g,
            bench,
            FLOOR,
            &with_floor(FLOOR_ERROR),
            script,
            expect_error("floor error"),
        );
        g.finish();
    }
}

fn register_benches(c: &mut Criterion) {
    let reg_names = names("f", REGISTER_NAMES);
    let register_one = |s: &State, imp: &str, name: &str| {
        if imp == PROJECT {
            s.register_func(name, proj_add).expect("register_func");
        } else {
            s.__bench_register_floor(FLOOR_ADD, name)
                .expect("register the floor");
        }
    };

    let mut g = c.benchmark_group("register_func");
    for imp in [PROJECT, FLOOR] {
        let s = new_state();
        let next = Cell::new(0usize);
        let op = || {
            let i = next.get();
            next.set(i + 1);
            register_one(&s, imp, &reg_names[i % REGISTER_NAMES]);
        };
        g.bench_function(imp, |b| {
            if side_enabled() && first_time("register_func", imp) {
                let n = REGISTER_NAMES as u64;
                let c = count(|| (0..n).for_each(|_| op()));
                Side::per_op("register_func", imp, c, n).write();
            }
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    op();
                }
                t.elapsed()
            });
        });
    }
    g.finish();

    // One op: 1,000 new names in a fresh state (creating and dropping it is not timed).
    let names_1000 = names("f", 1000);
    let mut g = c.benchmark_group("register_1000_funcs");
    g.sampling_mode(SamplingMode::Flat);
    for imp in [PROJECT, FLOOR] {
        let op = |s: &State| {
            if imp == PROJECT {
                for n in &names_1000 {
                    s.register_func(n, proj_add).expect("register_func");
                }
            } else {
                s.__bench_register_floor_many(FLOOR_ADD, "f", 1000)
                    .expect("register the floor");
            }
        };
        g.bench_function(imp, |b| {
            if side_enabled() && first_time("register_1000_funcs", imp) {
                let s = new_state();
                let c = count(|| op(&s));
                assert_eq!(
                    s.get_global("f1000").map(|v| v.type_of()).ok(),
                    Some(luau::Type::Function)
                );
                Side::per_op("register_1000_funcs", imp, c, 1).write();
            }
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let s = new_state();
                    let t = Instant::now();
                    op(&s);
                    total += t.elapsed();
                    drop(s);
                }
                total
            });
        });
    }
    g.finish();
}

fn memory_pressure(c: &mut Criterion) {
    const BENCH: &str = "memory_pressure";
    let mut g = c.benchmark_group(BENCH);
    for imp in [PROJECT, FLOOR] {
        let s = if imp == PROJECT {
            with_project(proj_echo())
        } else {
            with_floor(FLOOR_ECHO_DISTINCT)
        };
        s.do_string(scripts::MEMORY).expect("load the script");
        let check = |v: &[Value]| {
            let b = v.first().and_then(|v| v.as_bytes()).unwrap_or_default();
            assert!(b.len() == 1024 && b[0] == b'f', "echo gave {v:?}");
        };
        check(&run(&s, 1));
        g.bench_function(imp, |b| {
            if side_enabled() && first_time(BENCH, imp) {
                let heap = || {
                    s.gc_collect().expect("gc");
                    s.memory_used() as f64
                };
                drop(run(&s, 10_000)); // warm up
                let (heap0, rss0, live0) = (heap(), rss_bytes(), Counts::now());
                let base = count(|| drop(run(&s, 0)));
                let n = MEMORY_WINDOW as u64;
                let c = count(|| check(&run(&s, n)));
                let (heap1, rss1) = (heap(), rss_bytes());
                let live = Counts::now().since(live0).live_delta();
                Side::per_op(BENCH, imp, sub(c, base), n)
                    .metric("rss-KiB", rss1 / 1024.0)
                    .metric("rss-growth-KiB", (rss1 - rss0) / 1024.0)
                    .metric("luau-heap-B", heap1)
                    .metric("luau-heap-growth-B", heap1 - heap0)
                    .metric("rust-heap-growth-B", live as f64)
                    .write();
            }
            b.iter_custom(|iters| {
                let t = Instant::now();
                let r = run(&s, iters);
                let d = t.elapsed();
                black_box(r);
                d
            });
        });
    }
    g.finish();
}

fn host_side(c: &mut Criterion) {
    // luau_call_from_host: f = inc; sum of inc(i).
    let mut g = c.benchmark_group("luau_call_from_host");
    for imp in [PROJECT, FLOOR] {
        let s = new_state();
        s.do_string(scripts::FROM_HOST).expect("load");
        let f = s.get_function("inc").expect("inc");
        let op = |i: u64| -> f64 {
            if imp == PROJECT {
                // The fastest public path: typed arguments and results, nothing allocated.
                f.call_typed::<_, f64>((i as f64,)).expect("inc(i)")
            } else {
                f.__bench_floor_call(i as f64).expect("inc(i)")
            }
        };
        assert_eq!(op(41), 42.0);
        g.bench_function(imp, |b| {
            if side_enabled() && first_time("luau_call_from_host", imp) {
                let n = 10_000;
                let c = count(|| {
                    (0..n).for_each(|i| {
                        black_box(op(i));
                    })
                });
                Side::per_op("luau_call_from_host", imp, c, n).write();
            }
            b.iter_custom(|iters| {
                let t = Instant::now();
                let mut sum = 0.0;
                for i in 0..iters {
                    sum += op(i);
                }
                let d = t.elapsed();
                assert_eq!(sum, (iters as f64) * (iters as f64 + 1.0) / 2.0);
                d
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("new_state_close");
    g.sampling_mode(SamplingMode::Flat);
    for imp in [PROJECT, FLOOR] {
        let op = || {
            if imp == PROJECT {
                drop(black_box(new_state()));
            } else {
                State::__bench_floor_new_close().expect("luaw_new + luaw_close");
            }
        };
        g.bench_function(imp, |b| {
            if side_enabled() && first_time("new_state_close", imp) {
                let n = 100;
                let c = count(|| (0..n).for_each(|_| op()));
                Side::per_op("new_state_close", imp, c, n).write();
            }
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    op();
                }
                t.elapsed()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("fib_27");
    g.sampling_mode(SamplingMode::Flat);
    for imp in [PROJECT, FLOOR] {
        let s = new_state();
        s.do_string(scripts::FIB).expect("load");
        let fib = s.get_function("fib").expect("fib");
        let op = || -> f64 {
            if imp == PROJECT {
                let r = fib.call(&[Value::Number(27.0)]).expect("fib(27)");
                r[0].as_f64().expect("a number")
            } else {
                fib.__bench_floor_call(27.0).expect("fib(27)")
            }
        };
        g.bench_function(imp, |b| {
            if side_enabled() && first_time("fib_27", imp) {
                let c = count(|| assert_eq!(op(), scripts::FIB_27));
                Side::per_op("fib_27", imp, c, 1).write();
            }
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(op());
                }
                t.elapsed()
            });
        });
    }
    g.finish();
}

/// One op of the fib_27 variants (native, deadline, cancel): `fib(27)` through the public call.
fn bench_fib_27(g: &mut BenchmarkGroup<'_, WallTime>, imp: &str, fib: &luau::Function) {
    g.bench_function(imp, |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                let r = fib.call(&[Value::Number(27.0)]).expect("fib(27)");
                black_box(r);
            }
            t.elapsed()
        });
    });
}

/// fib_27_native (issue 14): fib(27) with native code generation
/// (`StateOptions::native_codegen`); "floor" is the same call interpreted. The mlua suite
/// runs the same with its `luau-jit` feature.
fn codegen(c: &mut Criterion) {
    let mut g = c.benchmark_group("fib_27_native");
    g.sampling_mode(SamplingMode::Flat);
    for imp in [PROJECT, FLOOR] {
        let s = State::with_options(luau::StateOptions::new().native_codegen(imp == PROJECT))
            .expect("State::with_options");
        assert_eq!(
            s.native_codegen(),
            imp == PROJECT && luau::native_codegen_supported()
        );
        s.do_string(scripts::FIB).expect("load");
        let fib = s.get_function("fib").expect("fib");
        bench_fib_27(&mut g, imp, &fib);
    }
    g.finish();
}

/// The containment benchmarks (issue 10): fib_27 with a stop armed that never fires. Here
/// "floor" is the project with the feature off, so ÷ floor is the cost of arming it.
/// resume_yield: one op is one round trip host -> thread -> yielding host function -> host.
fn containment(c: &mut Criterion) {
    for bench in ["fib_27_deadline", "fib_27_cancel"] {
        let mut g = c.benchmark_group(bench);
        g.sampling_mode(SamplingMode::Flat);
        for imp in [PROJECT, FLOOR] {
            let s = new_state();
            // Armed: a run timeout an hour long (the wrapper's deadline watchdog), or a live
            // interrupt handle another thread could use at any time.
            let _handle =
                (imp == PROJECT && bench == "fib_27_cancel").then(|| s.interrupt_handle());
            if imp == PROJECT && bench == "fib_27_deadline" {
                s.set_run_timeout(Some(Duration::from_secs(3600)));
            }
            s.do_string(scripts::FIB).expect("load");
            let fib = s.get_function("fib").expect("fib");
            bench_fib_27(&mut g, imp, &fib);
        }
        g.finish();
    }

    let mut g = c.benchmark_group("resume_yield");
    let s = new_state();
    s.register_func("tick", |ctx: &mut CallContext| {
        ctx.yield_values(&[Value::Number(1.0)])
    })
    .expect("register");
    s.do_string("function loop() local n = 0 while true do n = n + tick(n) end end")
        .expect("load");
    let f = s.get_function("loop").expect("loop");
    let thread = s.create_thread(&f).expect("thread");
    g.bench_function(PROJECT, |b| {
        // The typed form (as Go's ResumeFloat): nothing allocated per round trip.
        b.iter(|| black_box(thread.resume_typed::<_, f64>((1.0,)).expect("resume")));
    });
    // The floor: the same loop calling a raw C function that yields (lua_yield), resumed
    // straight through lua_resume.
    let fs = new_state();
    fs.__bench_register_floor(FLOOR_YIELD, "tick")
        .expect("register the floor");
    fs.do_string("function loop() local n = 0 while true do n = n + tick(n) end end")
        .expect("load");
    let floor_thread = fs
        .create_thread(&fs.get_function("loop").expect("loop"))
        .expect("thread");
    g.bench_function(FLOOR, |b| {
        b.iter(|| black_box(floor_thread.__bench_floor_resume(1.0).expect("resume")));
    });
    g.finish();
}

/// The loading benchmarks (issue 14), as in go/bench/loading_bench_test.go.
/// require_cached: one op is one require of a module loaded already, from a Luau loop
/// (`run(n)`), over an in-memory resolver (no host crossing for a cached module).
/// load_bytecode: one op is a new state, the module loaded into it, the state dropped;
/// project = bytecode compiled once, floor = compiling the same source each time.
fn loading(c: &mut Criterion) {
    let mut g = c.benchmark_group("require_cached");
    let s = new_state();
    s.set_resolver(luau::MapResolver::from([(
        "m.luau",
        "return { answer = 42 }",
    )]))
    .expect("set_resolver");
    s.do_string(
        "local m = require('./m')
         function run(n)
             local last
             for i = 1, n do
                 last = require('./m')
             end
             return last == m
         end",
    )
    .expect("load");
    g.bench_function(PROJECT, |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            let out = run(&s, iters);
            let elapsed = t.elapsed();
            assert_eq!(out, [Value::Boolean(true)]);
            elapsed
        });
    });
    g.finish();

    let src = load_source();
    let bytecode = luau::compile(&src, &luau::CompileOptions::default()).expect("compile");
    let mut g = c.benchmark_group("load_bytecode");
    for imp in [PROJECT, FLOOR] {
        let op = || {
            let s = new_state();
            let code = if imp == PROJECT {
                None
            } else {
                Some(s.compile(&src).expect("compile"))
            };
            let f = s
                .load("module", code.as_ref().unwrap_or(&bytecode))
                .expect("load");
            drop(black_box(f));
        };
        g.bench_function(imp, |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    op();
                }
                t.elapsed()
            });
        });
    }
    g.finish();
}

/// The module of load_bytecode: 100 small functions in a table (the same text as the Go
/// suite's loadSource).
fn load_source() -> String {
    let mut src = String::from("local M = {}\n");
    for i in 1..=100 {
        src.push_str(&format!(
            "function M.f{i}(a, b)\n\tlocal t = {{}}\n\tfor j = 1, a do\n\t\tt[j] = j * b + {i}\n\tend\n\treturn #t, t[1]\nend\n"
        ));
    }
    src.push_str("return M\n");
    src
}

criterion_group!(
    benches,
    register_benches,
    call_benches,
    memory_pressure,
    host_side,
    containment,
    loading,
    codegen
);
criterion_main!(benches);
