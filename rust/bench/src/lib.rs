//! Shared pieces of luau-embed's Rust benchmark suites (issue 4, DESIGN.md section 6):
//! `rust/bench` (benches/project.rs: the impls `project` and `floor`) and `rust/bench-mlua`
//! (benches/mlua.rs: the impl `mlua`). This library depends on nothing, so the mlua suite
//! shares the scripts without linking luau-embed's copy of Luau.
//!
//! # What one op is
//!
//! Every benchmark is a criterion group named after the benchmark, with one function per impl
//! (`call_no_args/project`, `call_no_args/floor`, `call_no_args/mlua`, ...), measured with
//! `iter_custom` so that criterion's "iteration" is exactly one op:
//!
//! - script-side benchmarks (`call_*`, `memory_pressure`): one call of `run(iters)` from
//!   [`scripts`], a Luau loop of `iters` calls of the global `f`. The script text is the same
//!   for every impl (only the function bound to `f` differs) and the same as the Go suite's;
//!   so ns/op is one script-side call, loop iteration and global lookup included.
//! - host-side benchmarks (`register_*`, `luau_call_from_host`, `new_state_close`, `fib_27`):
//!   a Rust loop of `iters` ops. `register_1000_funcs`' op registers 1,000 new names in a
//!   fresh state (creating and closing the state is not timed).
//!
//! # Allocations and memory
//!
//! Each bench binary installs [`CountingAlloc`] as its global allocator. Before criterion
//! measures a function, an untimed pass counts the Rust heap allocations of a known number of
//! ops ([`count`]; for scripts `run(N)` minus `run(0)`, so the entry call cancels out) and, when
//! `LUAU_BENCH_SIDE` names a file, appends a [`Side`] record there (tools/bench/rust_bench.sh
//! joins it with criterion's timing). The Luau heap of luau-embed (project and floor) is C
//! `malloc` and is not counted; mlua's Luau heap goes through the Rust global allocator and is
//! (see the `luau-heap-*` metrics of memory_pressure for the Luau heap of every impl).
#![deny(unsafe_op_in_unsafe_fn)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The Luau scripts, identical for every impl (and to go/bench's).
pub mod scripts {
    /// `run(n)`: a loop of n calls whose body is `body`, after `prelude`.
    macro_rules! loop_script {
        ($prelude:expr, $body:expr) => {
            concat!(
                $prelude,
                "\nfunction run(n) local x for i = 1, n do ",
                $body,
                " end return x end"
            )
        };
    }

    /// call_no_args: `x = f()`.
    pub const NO_ARGS: &str = loop_script!("", "x = f()");
    /// call_with_args and call_with_args_typed: `x = f(i, 1)`, f returns the sum.
    pub const WITH_ARGS: &str = loop_script!("", "x = f(i, 1)");
    /// call_return_string: `x = f()`, f returns a 16-byte string.
    pub const STRING: &str = loop_script!("", "x = f()");
    /// call_error_pcall: f raises an error, the script catches it.
    pub const ERROR: &str = loop_script!("", "local ok, e = pcall(f) x = e");
    /// call_error_pcall_1000_globals: the same with 1,000 extra globals defined.
    pub const ERROR_1000_GLOBALS: &str = loop_script!(
        "for i = 1, 1000 do _G[\"extra\" .. i] = i end",
        "local ok, e = pcall(f) x = e"
    );
    /// memory_pressure: a 1 KiB string in, a distinct 1 KiB string out.
    pub const MEMORY: &str = loop_script!("s = string.rep(\"0123456789abcdef\", 64)", "x = f(s)");
    /// luau_call_from_host: the host calls `inc(i)` and reads one number.
    pub const FROM_HOST: &str = "function inc(x) return x + 1 end";
    /// fib_27: VM throughput.
    pub const FIB: &str =
        "function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end";

    /// The 16-byte string of call_return_string.
    pub const STR16: &str = "0123456789abcdef";
    /// fib(27).
    pub const FIB_27: f64 = 196_418.0;
}

/// How many names register_func cycles through (then it replaces existing ones).
pub const REGISTER_NAMES: usize = 1024;
/// Calls over which memory_pressure's RSS and heaps must stay flat.
pub const MEMORY_WINDOW: usize = 100_000;

/// `<prefix>1 ..= <prefix>n`.
pub fn names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

/// `s` reversed into `buf` (a distinct string of the same length, as the floor's
/// LUAW_FLOOR_ECHO_DISTINCT makes).
pub fn reverse_into(buf: &mut Vec<u8>, s: &[u8]) {
    buf.clear();
    buf.extend(s.iter().rev());
}

// ---- the counting allocator ---------------------------------------------------------------

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting allocations (alloc, alloc_zeroed and realloc each count
/// one), bytes allocated and bytes live. Install with
/// `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
#[derive(Debug)]
pub struct CountingAlloc;

fn counted(size: usize) {
    ALLOCS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
    LIVE.fetch_add(size as u64, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are atomics and never affect the returned memory.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted(layout.size());
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted(layout.size());
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocation counters (totals since the process started, or a difference of two).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Allocations (including reallocations).
    pub allocs: u64,
    /// Bytes requested by them.
    pub bytes: u64,
    /// Bytes live (allocated and not freed).
    pub live: u64,
}

impl Counts {
    /// The counters now.
    pub fn now() -> Counts {
        Counts {
            allocs: ALLOCS.load(Ordering::Relaxed),
            bytes: BYTES.load(Ordering::Relaxed),
            live: LIVE.load(Ordering::Relaxed),
        }
    }

    /// `self - earlier` (live may shrink: wrapping, read with `live_delta`).
    pub fn since(self, earlier: Counts) -> Counts {
        Counts {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            bytes: self.bytes.wrapping_sub(earlier.bytes),
            live: self.live.wrapping_sub(earlier.live),
        }
    }

    /// The change of live bytes as a signed number.
    pub fn live_delta(self) -> i64 {
        self.live as i64
    }
}

/// The counts of running `f` once.
pub fn count(f: impl FnOnce()) -> Counts {
    let before = Counts::now();
    f();
    Counts::now().since(before)
}

// ---- side records -------------------------------------------------------------------------

/// What criterion does not measure for one benchmark and impl: allocations per op and extra
/// metrics. Written as one JSON line to `$LUAU_BENCH_SIDE`.
#[derive(Debug, Clone)]
pub struct Side {
    /// The benchmark (criterion group).
    pub benchmark: &'static str,
    /// The impl (criterion function): project, floor or mlua.
    pub implementation: &'static str,
    /// Rust heap allocations per op.
    pub allocs_per_op: f64,
    /// Rust heap bytes per op.
    pub bytes_per_op: f64,
    /// Extra metrics (name, value).
    pub metrics: Vec<(&'static str, f64)>,
}

impl Side {
    /// Allocations and bytes per op from the counts of `ops` ops.
    pub fn per_op(
        benchmark: &'static str,
        implementation: &'static str,
        counts: Counts,
        ops: u64,
    ) -> Side {
        let ops = ops.max(1) as f64;
        Side {
            benchmark,
            implementation,
            allocs_per_op: counts.allocs as f64 / ops,
            bytes_per_op: counts.bytes as f64 / ops,
            metrics: Vec::new(),
        }
    }

    /// Adds a metric.
    pub fn metric(mut self, name: &'static str, value: f64) -> Side {
        self.metrics.push((name, value));
        self
    }

    /// One JSON object.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"benchmark\": {:?}, \"impl\": {:?}, \"allocs_per_op\": {}, \"bytes_per_op\": {}",
            self.benchmark,
            self.implementation,
            json_number(self.allocs_per_op),
            json_number(self.bytes_per_op)
        );
        if !self.metrics.is_empty() {
            out.push_str(", \"metrics\": {");
            for (i, (name, value)) in self.metrics.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(out, "{sep}{name:?}: {}", json_number(*value));
            }
            out.push('}');
        }
        out.push('}');
        out
    }

    /// Appends the record to `$LUAU_BENCH_SIDE` (if set; tools/bench/rust_bench.sh sets it).
    pub fn write(&self) {
        let line = self.to_json();
        let Some(path) = std::env::var_os("LUAU_BENCH_SIDE") else {
            return;
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        match file.and_then(|mut f| writeln!(f, "{line}")) {
            Ok(()) => {}
            Err(err) => panic!("cannot append to {}: {err}", path.to_string_lossy()),
        }
    }
}

fn json_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".to_owned()
    }
}

/// True the first time it is asked for (benchmark, impl) in this process: criterion calls a
/// benchmark's routine many times (warm-up, every sample), the side pass runs once.
pub fn first_time(benchmark: &str, implementation: &str) -> bool {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    seen.get_or_insert_with(HashSet::new)
        .insert(format!("{benchmark}/{implementation}"))
}

/// Whether side passes should run: criterion's `--test` mode (cargo test --benches, bazel
/// test) skips them unless `LUAU_BENCH_SIDE` is set.
pub fn side_enabled() -> bool {
    std::env::var_os("LUAU_BENCH_SIDE").is_some()
}

/// The process's resident set size in bytes (Linux `/proc/self/statm`; 0 elsewhere).
pub fn rss_bytes() -> f64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0.0;
    };
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_the_go_suites() {
        assert_eq!(
            scripts::NO_ARGS,
            "\nfunction run(n) local x for i = 1, n do x = f() end return x end"
        );
        assert!(scripts::MEMORY.starts_with("s = string.rep("));
    }

    #[test]
    fn side_json() {
        let s = Side::per_op(
            "b",
            "project",
            Counts {
                allocs: 3,
                bytes: 30,
                live: 0,
            },
            3,
        )
        .metric("rss-KiB", 12.5);
        assert_eq!(
            s.to_json(),
            r#"{"benchmark": "b", "impl": "project", "allocs_per_op": 1, "bytes_per_op": 10, "metrics": {"rss-KiB": 12.5}}"#
        );
    }

    #[test]
    fn first_time_once() {
        assert!(first_time("x", "y"));
        assert!(!first_time("x", "y"));
    }

    #[test]
    fn reverse() {
        let mut buf = Vec::new();
        reverse_into(&mut buf, b"abc");
        assert_eq!(buf, b"cba");
    }
}
