//! The Rust runner of Luau's own conformance suite (issue 9; `tests/conformance/README.md`):
//! every `<script>.luau` of the directory `LUAU_CONFORMANCE_DIR` (default:
//! `../shared/luau-conformance/tests` next to the repository, when it exists) runs at
//! optimisation levels 0, 1 and 2 as one libtest-mimic trial named `<script>/O<level>`,
//! through the public API only, each on a fresh state and on its own thread with a 64 MiB
//! stack (the deep-recursion blocks run in full; no `limitedstack`).
//!
//! `cargo test -p luau-embed --test conformance -- basic/O1` runs one. A full run writes
//! `target/conformance/rust.json` for `tools/conformance_report.py`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use libtest_mimic::{Arguments, Failed, Trial};
use luau::{
    CallContext, CompileOptions, ErrorKind, FromLuau, GcOp, State, StateOptions, UserData,
    UserDataRegistry, Value, ValueRef,
};
use serde_json::Value as Json;

const SKIPPED: &str = "SKIPPED: set LUAU_CONFORMANCE_DIR to a Luau checkout's tests/conformance";
const LEVELS: [u8; 3] = [0, 1, 2];
const STACK_SIZE: usize = 64 << 20;

/// Raw outcome per trial ("pass" / "fail", detail); the lists are applied by the tool too.
static REPORT: Mutex<BTreeMap<String, (String, String)>> = Mutex::new(BTreeMap::new());

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `LUAU_CONFORMANCE_DIR`, else `../shared/luau-conformance/tests` from the repository root;
/// `None` when that directory does not exist.
fn conformance_dir(root: &Path) -> Option<PathBuf> {
    let dir = match std::env::var_os("LUAU_CONFORMANCE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => root.join("../shared/luau-conformance/tests"),
    };
    dir.is_dir().then_some(dir)
}

/// One expected failure of `tests/conformance/expected_failures/rust.json`.
#[derive(Clone)]
struct Entry {
    reason: String,
    detail: String,
}

fn load_expected(
    path: &Path,
    scripts: &[String],
) -> std::result::Result<BTreeMap<String, Entry>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: Json = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    let entries = doc["entries"].as_array().cloned().unwrap_or_default();
    for e in entries {
        let script = e["script"].as_str().unwrap_or_default().to_owned();
        if !scripts.contains(&script) {
            return Err(format!(
                "{}: {script:?} is not a script of the suite",
                path.display()
            ));
        }
        let levels: Vec<u64> = match e["opt"].as_array() {
            Some(a) if !a.is_empty() => a.iter().filter_map(Json::as_u64).collect(),
            _ => LEVELS.iter().map(|&l| u64::from(l)).collect(),
        };
        let entry = Entry {
            reason: e["reason"].as_str().unwrap_or_default().to_owned(),
            detail: e["detail"].as_str().unwrap_or_default().to_owned(),
        };
        for level in levels {
            let id = format!("{}/O{level}", script.trim_end_matches(".luau"));
            if out.insert(id.clone(), entry.clone()).is_some() {
                return Err(format!("{}: {id} listed twice", path.display()));
            }
        }
    }
    Ok(out)
}

/// An optional argument: absent or nil.
fn absent(ctx: &CallContext<'_>, i: usize) -> bool {
    matches!(ctx.arg(i), ValueRef::Nil)
}

/// `loadstring(src [, chunkname])`: the chunk name defaults to the source text itself; the
/// function is loaded on the calling thread; a syntax error returns `nil, msg`.
fn loadstring(ctx: &mut CallContext<'_>) -> luau::Result<()> {
    let src = ctx.bytes(0)?;
    let name = if absent(ctx, 1) { src } else { ctx.bytes(1)? };
    match ctx.load(src, name) {
        Ok(f) => ctx.push(f),
        Err(e) if e.kind() == ErrorKind::Syntax => {
            ctx.push_nil()?;
            ctx.push_string(e.message())
        }
        Err(e) => Err(e),
    }
}

/// `collectgarbage([opt = "collect" [, arg = 0]])`: `lua_gc` on the calling state; a boolean
/// for "step" and "isrunning", a number otherwise.
fn collectgarbage(ctx: &mut CallContext<'_>) -> luau::Result<()> {
    let opt = if absent(ctx, 0) {
        "collect"
    } else {
        ctx.str(0)?
    };
    let arg = if absent(ctx, 1) {
        0
    } else {
        ctx.number(1)? as i32
    };
    let op = match opt {
        "stop" => GcOp::Stop,
        "restart" => GcOp::Restart,
        "collect" => GcOp::Collect,
        "count" => GcOp::Count,
        "isrunning" => GcOp::IsRunning,
        "step" => GcOp::Step,
        "setgoal" => GcOp::SetGoal,
        "setstepmul" => GcOp::SetStepMul,
        "setstepsize" => GcOp::SetStepSize,
        other => return Err(ctx.bad_argument(0, format_args!("invalid option '{other}'"))),
    };
    let res = ctx.gc(op, arg)?;
    if matches!(op, GcOp::Step | GcOp::IsRunning) {
        ctx.push_bool(res != 0)
    } else {
        ctx.push_number(f64::from(res))
    }
}

/// userdata.luau's int64: upstream defines it in C++ (a userdata holding an `int64_t` with
/// arithmetic, comparison, tostring and a `value` field); here it is a userdata type of the
/// binding, with the same semantics.
struct Int64(i64);

/// An int64 operand: an int64 userdata or a number (truncated, as `lua_tointeger`).
struct Operand(i64);

impl FromLuau for Operand {
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> luau::Result<Self> {
        match ctx.arg(i) {
            ValueRef::Number(n) => Ok(Operand(n as i64)),
            _ => Ok(Operand(ctx.userdata::<Int64>(i)?.borrow().0)),
        }
    }
}

impl UserData for Int64 {
    const NAME: &'static str = "int64";

    fn register(reg: &mut UserDataRegistry<Self>) {
        fn arith(
            reg: &mut UserDataRegistry<Int64>,
            name: &str,
            f: impl Fn(i64, i64) -> Option<i64> + 'static,
        ) {
            reg.add_meta_function(name, move |(a, b): (Operand, Operand)| {
                f(a.0, b.0)
                    .map(Int64)
                    .ok_or("int64 division by zero or overflow")
            });
        }
        fn compare(
            reg: &mut UserDataRegistry<Int64>,
            name: &str,
            f: impl Fn(i64, i64) -> bool + 'static,
        ) {
            reg.add_meta_function(name, move |(a, b): (Operand, Operand)| f(a.0, b.0));
        }
        arith(reg, "__add", |a, b| Some(a.wrapping_add(b)));
        arith(reg, "__sub", |a, b| Some(a.wrapping_sub(b)));
        arith(reg, "__mul", |a, b| Some(a.wrapping_mul(b)));
        // C++ semantics: / truncates, % takes the dividend's sign, // floors the double quotient.
        arith(reg, "__div", i64::checked_div);
        arith(reg, "__mod", i64::checked_rem);
        arith(reg, "__idiv", |a, b| {
            Some((a as f64 / b as f64).floor() as i64)
        });
        arith(reg, "__pow", |a, b| Some((a as f64).powf(b as f64) as i64));
        compare(reg, "__eq", |a, b| a == b);
        compare(reg, "__lt", |a, b| a < b);
        compare(reg, "__le", |a, b| a <= b);
        reg.add_meta_method("__unm", |this, ()| Int64(this.0.wrapping_neg()));
        reg.add_meta_method("__tostring", |this, ()| this.0.to_string());
        reg.add_field_get("value", |this| this.0 as f64);
        reg.add_field_set("value", |this, v: f64| this.0 = v as i64);
    }
}

/// The globals upstream's runner gives every script (`tests/conformance/README.md` has the
/// exact semantics and what is approximated).
fn register_helpers(state: &State) -> luau::Result<()> {
    // print is silent (upstream's lua_silence).
    state.register_func("print", |_ctx| Ok(()))?;
    state.register_func("loadstring", loadstring)?;
    state.register_func("collectgarbage", collectgarbage)?;
    // makelud(x): upstream returns a light userdata; a fresh table is an equally distinct
    // table key (tables.luau passes with it).
    state.register_func("makelud", |ctx| {
        let t = ctx.create_table(0, 0)?;
        ctx.push(t)
    })?;
    // No native code generation in the bindings: "native if supported" holds.
    state.register_func("is_native_if_supported", |_ctx| Ok(true))?;
    // setblockallocations(b): upstream makes every allocation fail while blocked; here a
    // no-op (gc.luau passes with it; the collector's OOM robustness is not tested).
    state.register_func("setblockallocations", |_ctx| Ok(()))?;
    // cxxthrow(): upstream throws a C++ exception with "oops"; a host error of that text.
    state.register_func("cxxthrow", |_ctx| -> luau::Result<()> {
        Err(luau::Error::external("oops"))
    })?;
    // resumeerror(co, msg): resumes the script's suspended coroutine co by raising msg at its
    // yield point (upstream's lua_resumeerror); results and status are ignored.
    state.register_func("resumeerror", |ctx| -> luau::Result<()> {
        let thread = ctx.thread(0)?;
        let msg = Value::from(ctx.str(1)?);
        let _ = thread.resume_error(&msg);
        Ok(())
    })?;
    // cYieldingIterator(max, i) (iter.luau): past max, no values; otherwise it yields i+1 to
    // the resumer and, once resumed, returns (i+1, i+1), as upstream's C continuation.
    state.register_func("cYieldingIterator", |ctx| -> luau::Result<()> {
        let (limit, i) = (ctx.number(0)?, ctx.number(1)?);
        if i >= limit {
            return Ok(());
        }
        let next = i + 1.0;
        ctx.yield_then(&[Value::from(next)], move |ctx| {
            ctx.push_number(next)?;
            ctx.push_number(next)
        })
    })?;
    // int64(n): the constructor (it replaces the type's table of the same name).
    state.register_type::<Int64>()?;
    state.register("int64", |(n,): (f64,)| Int64(n as i64))?;
    Ok(())
}

/// Runs one script on a fresh state: chunk name `=<file>`, debug level 1, optimisation
/// `level`. It passes when the last returned value is the string "OK".
fn run_script(file: &str, src: &[u8], level: u8) -> std::result::Result<(), String> {
    // As upstream: luaL_sandbox (sealed before the first run) + a per-chunk global table.
    let state =
        State::with_options(StateOptions::new().sandbox(true)).map_err(|e| e.to_string())?;
    register_helpers(&state).map_err(|e| e.to_string())?;
    if file == "pcall.luau" {
        // Upstream caps single allocations at 8 MiB; a total limit of 16 MiB has the same
        // effect on the script (table.create(1e6) runs out of memory).
        state.set_memory_limit(16 << 20);
    }
    let options = CompileOptions::new()
        .optimization_level(level)
        .debug_level(1);
    let bytecode = luau::compile(src, &options).map_err(|e| e.to_string())?;
    // Run as a main chunk, as upstream's lua_resume of the main thread: yieldable,
    // coroutine.running() nil; a yield that reaches the runner fails the script ("thread
    // yielded unexpectedly" upstream).
    let results = state
        .do_bytecode(&format!("={file}"), &bytecode)
        .map_err(|e| {
            if e.traceback().is_empty() {
                e.to_string()
            } else {
                format!("{e}\n{}", e.traceback())
            }
        })?;
    match results.last() {
        Some(Value::String(s)) if s.as_slice() == b"OK" => Ok(()),
        Some(v) => Err(format!("the script's last result is {v:?}, not \"OK\"")),
        None => Err("the script returned no values".to_owned()),
    }
}

fn run_trial(
    id: &str,
    file: &str,
    path: &Path,
    level: u8,
    listed: Option<&Entry>,
) -> Result<(), Failed> {
    let src = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = file.to_owned();
    let result = std::thread::Builder::new()
        .name(id.to_owned())
        .stack_size(STACK_SIZE)
        .spawn(move || run_script(&name, &src, level))
        .map_err(|e| format!("cannot spawn the script's thread: {e}"))?
        .join()
        .unwrap_or_else(|_| Err("the runner panicked".to_owned()));
    let (outcome, detail) = match &result {
        Ok(()) => ("pass", String::new()),
        Err(e) => ("fail", e.clone()),
    };
    REPORT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.to_owned(), (outcome.to_owned(), detail));
    match (result, listed) {
        (Ok(()), None) | (Err(_), Some(_)) => Ok(()),
        (Err(e), None) => Err(Failed::from(format!("{file} failed: {e}"))),
        (Ok(()), Some(entry)) => Err(Failed::from(format!(
            "{id} passed but is listed in expected_failures/rust.json ({}: {}): remove the entry",
            entry.reason, entry.detail
        ))),
    }
}

fn write_report(path: &Path, dir: &Path) -> std::io::Result<()> {
    let report = REPORT.lock().unwrap_or_else(|e| e.into_inner());
    let cases: serde_json::Map<String, Json> = report
        .iter()
        .map(|(id, (outcome, detail))| {
            let mut entry = serde_json::Map::new();
            entry.insert("outcome".into(), Json::from(outcome.as_str()));
            if !detail.is_empty() {
                entry.insert("detail".into(), Json::from(detail.as_str()));
            }
            (id.clone(), Json::Object(entry))
        })
        .collect();
    let doc = serde_json::json!({
        "language": "rust",
        "dir": dir.display().to_string(),
        "cases": cases,
    });
    std::fs::create_dir_all(path.parent().expect("a parent"))?;
    std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")
}

fn main() {
    let args = Arguments::from_args();
    let root = repo_root();
    let Some(dir) = conformance_dir(&root) else {
        println!("{SKIPPED}");
        return;
    };
    let mut scripts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".luau"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no .luau scripts in {}", dir.display());
    let expected = load_expected(
        &root.join("tests/conformance/expected_failures/rust.json"),
        &scripts,
    )
    .unwrap_or_else(|e| panic!("expected failures: {e}"));

    let mut trials = Vec::new();
    for file in &scripts {
        let name = file.trim_end_matches(".luau");
        for level in LEVELS {
            let id = format!("{name}/O{level}");
            let listed = expected.get(&id).cloned();
            let (file, path) = (file.clone(), dir.join(file));
            trials.push(Trial::test(id.clone(), move || {
                run_trial(&id, &file, &path, level, listed.as_ref())
            }));
        }
    }
    let total = trials.len();
    let conclusion = libtest_mimic::run(&args, trials);

    // A full run (every trial ran) writes the report the summary tool reads.
    if REPORT.lock().map(|r| r.len()).unwrap_or(0) == total {
        let path = std::env::var_os("LUAU_CONFORMANCE_REPORT")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/conformance/rust.json"));
        if let Err(e) = write_report(&path, &dir) {
            eprintln!("conformance: cannot write {}: {e}", path.display());
            std::process::exit(101);
        }
    }
    conclusion.exit();
}
