//! The mlua peer of luau-embed's Rust benchmarks: `<benchmark>/mlua`, mlua with its Luau
//! backend, the same Luau scripts (`luau_bench::scripts`) and the same definition of one op
//! as rust/bench/benches/project.rs. Host functions are what an mlua user writes:
//! `Lua::create_function` of a typed closure, stored as a global.
//!
//! Note on allocations: mlua's Luau heap goes through the Rust global allocator, so its
//! allocs/op include Luau's own allocations (the project's Luau heap is C malloc, not counted).
//!
//! Run: `cargo bench -p luau-embed-bench-mlua` (or tools/bench/rust_bench.sh).

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use luau_bench::{
    count, first_time, names, reverse_into, rss_bytes, scripts, side_enabled, CountingAlloc,
    Counts, Side, MEMORY_WINDOW, REGISTER_NAMES,
};
use mlua::{Function, Lua, Value};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const MLUA: &str = "mlua";

/// Interpreted, as the project's states are by default: the `luau-jit` feature (for
/// fib_27_native) turns mlua's JIT on for every new state.
fn new_lua() -> Lua {
    let lua = Lua::new();
    lua.enable_jit(false);
    lua
}

fn add_fn(lua: &Lua) -> Function {
    lua.create_function(|_, (a, b): (f64, f64)| Ok(a + b))
        .expect("create_function")
}

fn bind(lua: &Lua, f: Function) {
    lua.globals().set("f", f).expect("set f");
}

fn run_fn(lua: &Lua) -> Function {
    lua.globals().get("run").expect("run")
}

fn sub(a: Counts, b: Counts) -> Counts {
    Counts {
        allocs: a.allocs.saturating_sub(b.allocs),
        bytes: a.bytes.saturating_sub(b.bytes),
        live: a.live.wrapping_sub(b.live),
    }
}

/// A script-side benchmark: f bound, script loaded, one criterion iteration = one call.
fn script_bench(
    g: &mut BenchmarkGroup<'_, WallTime>,
    bench: &'static str,
    lua: &Lua,
    script: &str,
    check: impl Fn(&Value),
) {
    lua.load(script).exec().expect("load the script");
    let run = run_fn(lua);
    check(&run.call::<Value>(3).expect("run(3)"));
    g.bench_function(MLUA, |b| {
        if side_enabled() && first_time(bench, MLUA) {
            let n: u64 = if bench.starts_with("call_error") {
                1_000
            } else {
                10_000
            };
            let base = count(|| drop(run.call::<Value>(0).expect("run(0)")));
            let c = count(|| drop(run.call::<Value>(n).expect("run(n)")));
            Side::per_op(bench, MLUA, sub(c, base), n).write();
        }
        b.iter_custom(|iters| {
            let t = Instant::now();
            let r = run.call::<Value>(iters).expect("run(n)");
            let d = t.elapsed();
            black_box(r);
            d
        });
    });
}

fn call_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("call_no_args");
    let lua = new_lua();
    bind(&lua, lua.create_function(|_, ()| Ok(())).expect("fn"));
    script_bench(&mut g, "call_no_args", &lua, scripts::NO_ARGS, |v| {
        assert!(v.is_nil())
    });
    g.finish();

    let mut g = c.benchmark_group("call_with_args");
    let lua = new_lua();
    bind(&lua, add_fn(&lua));
    script_bench(&mut g, "call_with_args", &lua, scripts::WITH_ARGS, |v| {
        assert!(v.is_number() || v.is_integer(), "{v:?}")
    });
    g.finish();

    let mut g = c.benchmark_group("call_return_string");
    let lua = new_lua();
    bind(
        &lua,
        lua.create_function(|_, ()| Ok(scripts::STR16)).expect("fn"),
    );
    script_bench(&mut g, "call_return_string", &lua, scripts::STRING, |v| {
        assert_eq!(
            v.as_string().map(|s| s.to_string_lossy()).as_deref(),
            Some(scripts::STR16)
        )
    });
    g.finish();

    for (bench, script) in [
        ("call_error_pcall", scripts::ERROR),
        ("call_error_pcall_1000_globals", scripts::ERROR_1000_GLOBALS),
    ] {
        let mut g = c.benchmark_group(bench);
        let lua = new_lua();
        bind(
            &lua,
            lua.create_function(|_, ()| -> mlua::Result<()> {
                Err(mlua::Error::runtime("host error"))
            })
            .expect("fn"),
        );
        script_bench(&mut g, bench, &lua, script, |v| {
            let s = v.to_string().unwrap_or_default();
            assert!(s.contains("host error"), "pcall gave {s:?}");
        });
        g.finish();
    }
}

fn register_benches(c: &mut Criterion) {
    let reg_names = names("f", REGISTER_NAMES);
    let mut g = c.benchmark_group("register_func");
    let lua = new_lua();
    let globals = lua.globals();
    let mut next = 0usize;
    let mut op = || {
        let f = add_fn(&lua);
        globals
            .set(reg_names[next % REGISTER_NAMES].as_str(), f)
            .expect("set");
        next += 1;
    };
    g.bench_function(MLUA, |b| {
        if side_enabled() && first_time("register_func", MLUA) {
            let n = REGISTER_NAMES as u64;
            let c = count(|| (0..n).for_each(|_| op()));
            Side::per_op("register_func", MLUA, c, n).write();
        }
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                op();
            }
            t.elapsed()
        });
    });
    g.finish();

    let names_1000 = names("f", 1000);
    let mut g = c.benchmark_group("register_1000_funcs");
    g.sampling_mode(SamplingMode::Flat);
    let op = |lua: &Lua| {
        let globals = lua.globals();
        for n in &names_1000 {
            globals.set(n.as_str(), add_fn(lua)).expect("set");
        }
    };
    g.bench_function(MLUA, |b| {
        if side_enabled() && first_time("register_1000_funcs", MLUA) {
            let lua = new_lua();
            let c = count(|| op(&lua));
            Side::per_op("register_1000_funcs", MLUA, c, 1).write();
        }
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let lua = new_lua();
                let t = Instant::now();
                op(&lua);
                total += t.elapsed();
                drop(lua);
            }
            total
        });
    });
    g.finish();
}

fn memory_pressure(c: &mut Criterion) {
    const BENCH: &str = "memory_pressure";
    let mut g = c.benchmark_group(BENCH);
    let lua = new_lua();
    let buf = RefCell::new(Vec::with_capacity(1024));
    let echo = lua
        .create_function(move |lua, s: mlua::LuaString| {
            let mut buf = buf.borrow_mut();
            reverse_into(&mut buf, &s.as_bytes());
            lua.create_string(&*buf)
        })
        .expect("fn");
    bind(&lua, echo);
    lua.load(scripts::MEMORY).exec().expect("load the script");
    let run = run_fn(&lua);
    let check = |v: mlua::LuaString| {
        let b = v.as_bytes();
        assert!(
            b.len() == 1024 && b[0] == b'f',
            "echo gave {} bytes",
            b.len()
        );
    };
    check(run.call(1).expect("run(1)"));
    g.bench_function(MLUA, |b| {
        if side_enabled() && first_time(BENCH, MLUA) {
            let heap = || {
                lua.gc_collect().expect("gc");
                lua.gc_collect().expect("gc");
                lua.used_memory() as f64
            };
            drop(run.call::<Value>(10_000).expect("warm up"));
            let (heap0, rss0, live0) = (heap(), rss_bytes(), Counts::now());
            let base = count(|| drop(run.call::<Value>(0).expect("run(0)")));
            let n = MEMORY_WINDOW as u64;
            let c = count(|| check(run.call(n).expect("run(n)")));
            let (heap1, rss1) = (heap(), rss_bytes());
            let live = Counts::now().since(live0).live_delta();
            Side::per_op(BENCH, MLUA, sub(c, base), n)
                .metric("rss-KiB", rss1 / 1024.0)
                .metric("rss-growth-KiB", (rss1 - rss0) / 1024.0)
                .metric("luau-heap-B", heap1)
                .metric("luau-heap-growth-B", heap1 - heap0)
                .metric("rust-heap-growth-B", live as f64)
                .write();
        }
        b.iter_custom(|iters| {
            let t = Instant::now();
            let r = run.call::<Value>(iters).expect("run(n)");
            let d = t.elapsed();
            black_box(r);
            d
        });
    });
    g.finish();
}

fn host_side(c: &mut Criterion) {
    let mut g = c.benchmark_group("luau_call_from_host");
    let lua = new_lua();
    lua.load(scripts::FROM_HOST).exec().expect("load");
    let inc: Function = lua.globals().get("inc").expect("inc");
    let op = |i: u64| -> f64 { inc.call::<f64>(i as f64).expect("inc(i)") };
    assert_eq!(op(41), 42.0);
    g.bench_function(MLUA, |b| {
        if side_enabled() && first_time("luau_call_from_host", MLUA) {
            let n = 10_000;
            let c = count(|| {
                (0..n).for_each(|i| {
                    black_box(op(i));
                })
            });
            Side::per_op("luau_call_from_host", MLUA, c, n).write();
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
    g.finish();

    let mut g = c.benchmark_group("new_state_close");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function(MLUA, |b| {
        if side_enabled() && first_time("new_state_close", MLUA) {
            let n = 100;
            let c = count(|| (0..n).for_each(|_| drop(black_box(new_lua()))));
            Side::per_op("new_state_close", MLUA, c, n).write();
        }
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                drop(black_box(new_lua()));
            }
            t.elapsed()
        });
    });
    g.finish();

    let mut g = c.benchmark_group("fib_27");
    g.sampling_mode(SamplingMode::Flat);
    let lua = new_lua();
    lua.load(scripts::FIB).exec().expect("load");
    let fib: Function = lua.globals().get("fib").expect("fib");
    let op = || -> f64 { fib.call::<f64>(27).expect("fib(27)") };
    g.bench_function(MLUA, |b| {
        if side_enabled() && first_time("fib_27", MLUA) {
            let c = count(|| assert_eq!(op(), scripts::FIB_27));
            Side::per_op("fib_27", MLUA, c, 1).write();
        }
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                black_box(op());
            }
            t.elapsed()
        });
    });
    g.finish();
}

/// The containment peers (issue 10): mlua's `set_interrupt`, a Rust closure at every VM
/// safepoint, checking an `AtomicBool` (fib_27_cancel) or `Instant::now()` against a deadline
/// (fib_27_deadline); "mlua-unarmed" is the same state without it. resume_yield: mlua has no
/// yielding host functions (by design), so its round trip is a script-side coroutine.yield.
fn containment(c: &mut Criterion) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    for bench in ["fib_27_deadline", "fib_27_cancel"] {
        let mut g = c.benchmark_group(bench);
        g.sampling_mode(SamplingMode::Flat);
        for imp in [MLUA, "mlua-unarmed"] {
            let lua = new_lua();
            if imp == MLUA {
                if bench == "fib_27_deadline" {
                    let deadline = Instant::now() + Duration::from_secs(3600);
                    lua.set_interrupt(move |_| {
                        if Instant::now() >= deadline {
                            Err(mlua::Error::runtime("deadline exceeded"))
                        } else {
                            Ok(mlua::VmState::Continue)
                        }
                    });
                } else {
                    let stop = Arc::new(AtomicBool::new(false));
                    lua.set_interrupt(move |_| {
                        if stop.load(Ordering::Relaxed) {
                            Err(mlua::Error::runtime("cancelled"))
                        } else {
                            Ok(mlua::VmState::Continue)
                        }
                    });
                }
            }
            lua.load(scripts::FIB).exec().expect("load");
            let fib: Function = lua.globals().get("fib").expect("fib");
            g.bench_function(imp, |b| {
                b.iter_custom(|iters| {
                    let t = Instant::now();
                    for _ in 0..iters {
                        black_box(fib.call::<f64>(27).expect("fib(27)"));
                    }
                    t.elapsed()
                });
            });
        }
        g.finish();
    }

    let mut g = c.benchmark_group("resume_yield");
    let lua = new_lua();
    lua.load("function loop() local n = 0 while true do n = n + coroutine.yield(1) end end")
        .exec()
        .expect("load");
    let f: Function = lua.globals().get("loop").expect("loop");
    let thread = lua.create_thread(f).expect("thread");
    g.bench_function(MLUA, |b| {
        b.iter(|| black_box(thread.resume::<f64>(1.0).expect("resume")));
    });
    g.finish();
}

criterion_group!(
    benches,
    register_benches,
    call_benches,
    memory_pressure,
    host_side,
    containment,
    codegen
);
criterion_main!(benches);

/// fib_27_native (issue 14): fib(27) under mlua's `luau-jit` (luau0-src's CodeGen, the same
/// sources the project builds), JIT on for the chunk.
fn codegen(c: &mut Criterion) {
    let mut g = c.benchmark_group("fib_27_native");
    g.sampling_mode(SamplingMode::Flat);
    let lua = Lua::new();
    lua.enable_jit(true);
    lua.load(scripts::FIB).exec().expect("load");
    let fib: Function = lua.globals().get("fib").expect("fib");
    g.bench_function(MLUA, |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                black_box(fib.call::<f64>(27).expect("fib(27)"));
            }
            t.elapsed()
        });
    });
    g.finish();
}
