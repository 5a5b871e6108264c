//! The Rust runner of the shared test matrix (`tests/matrix/`): every case of
//! `tests/matrix/cases/*.json` is one libtest-mimic trial named `<group>/<case>`, run as
//! `tests/matrix/SCHEMA.md` describes, with the host functions of `tests/matrix/HOSTFNS.md`.
//!
//! `cargo test -p luau-embed --test matrix -- functional/register_simple` runs one case.
//! A full run writes `target/matrix/rust.json` for the parity check.
//!
//! `close` steps: dropping a `State` makes every later use impossible at compile time, so
//! after a `close` step this runner reports kind `closed` for the operations that follow
//! (as SCHEMA.md documents).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::error::Error as StdError;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use luau::{
    CallContext, Error, ErrorKind, FromLuau, IntoResults, RegistryKey, State, StateOptions, Thread,
    ThreadResult, UserDataRef, Value, ValueRef, Variadic,
};
use serde_json::Value as Json;

// ------------------------------------------------------------------------------------------
// The host-function catalogue (HOSTFNS.md)
// ------------------------------------------------------------------------------------------

/// The catalogue's failure error: `fail(msg)` returns it; its text is exactly `msg`.
/// `serial` identifies the very value, for `host_identity`.
#[derive(Debug)]
struct HostFailure {
    msg: String,
    serial: u64,
}

impl fmt::Display for HostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl StdError for HostFailure {}

static FAILURE_SERIAL: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Serial of the last HostFailure this thread created.
    static LAST_FAILURE: Cell<u64> = const { Cell::new(0) };
    /// Set while the catalogue's `panic` unwinds, to keep the panic hook quiet.
    static EXPECTED_PANIC: Cell<bool> = const { Cell::new(false) };
}

type HostFn = Box<dyn Fn(&mut CallContext<'_>) -> luau::Result<()>>;

const CATALOGUE: &[&str] = &[
    "hello",
    "noop",
    "nil_result",
    "add",
    "echo",
    "concat",
    "count_args",
    "multi",
    "len",
    "repeat_str",
    "sum_table",
    "make_table",
    "fail",
    "panic",
    "call_back",
    "call_fn",
    "counter",
    "sleep_us",
    "register_during_call",
    "unregister",
    "unregister_self",
    "yield_values",
    "reset_thread",
    "yield_then_double",
];

/// `n` as an integral count (`multi`, `make_table`, `repeat_str`).
fn count_arg(ctx: &CallContext<'_>, i: usize) -> luau::Result<usize> {
    let n = ctx.integer(i)?;
    usize::try_from(n)
        .map_err(|_| Error::bad_argument(i + 1, &ctx.name(), "count must not be negative"))
}

/// The catalogue function `name`; `counter` is the state's counter.
fn catalogue(name: &str, counter: &Rc<Cell<f64>>) -> Option<HostFn> {
    let f: HostFn = match name {
        "hello" => Box::new(|ctx| ctx.push("hello from host")),
        "noop" => Box::new(|_| Ok(())),
        "nil_result" => Box::new(|ctx| ctx.push_nil()),
        "add" => Box::new(|ctx| {
            let sum = ctx.number(0)? + ctx.number(1)?;
            ctx.push_number(sum)
        }),
        "echo" => Box::new(|ctx| (0..ctx.len()).try_for_each(|i| ctx.push_arg(i))),
        "concat" => Box::new(|ctx| {
            let mut out = Vec::new();
            for i in 0..ctx.len() {
                out.extend_from_slice(ctx.bytes(i)?);
            }
            ctx.push_string(out)
        }),
        "count_args" => Box::new(|ctx| ctx.push_number(ctx.len() as f64)),
        "multi" => Box::new(|ctx| {
            let n = count_arg(ctx, 0)?;
            (1..=n).try_for_each(|i| ctx.push_number(i as f64))
        }),
        "len" => Box::new(|ctx| {
            let n = ctx.bytes(0)?.len();
            ctx.push_number(n as f64)
        }),
        "repeat_str" => Box::new(|ctx| {
            let s = ctx.bytes(0)?.repeat(count_arg(ctx, 1)?);
            ctx.push_string(s)
        }),
        "sum_table" => Box::new(|ctx| {
            let t = ctx.table(0)?;
            let mut sum = 0.0;
            for i in 1..=t.raw_len()? {
                sum += t.get(i as i64)?.as_f64().unwrap_or(0.0);
            }
            ctx.push_number(sum)
        }),
        "make_table" => Box::new(|ctx| {
            let n = count_arg(ctx, 0)?;
            let t = ctx.create_table(n, 0)?;
            for i in 1..=n {
                t.set(i as i64, &Value::Number(i as f64))?;
            }
            ctx.push(t)
        }),
        "fail" => Box::new(|ctx| {
            let msg = String::from_utf8_lossy(ctx.bytes(0)?).into_owned();
            let serial = FAILURE_SERIAL.fetch_add(1, Ordering::Relaxed);
            LAST_FAILURE.with(|last| last.set(serial));
            Err(Error::external(HostFailure { msg, serial }))
        }),
        "panic" => Box::new(|ctx| {
            let msg = String::from_utf8_lossy(ctx.bytes(0)?).into_owned();
            EXPECTED_PANIC.with(|p| p.set(true));
            std::panic::panic_any(msg)
        }),
        "call_back" => Box::new(|ctx| {
            let fname = ctx.bytes(0)?;
            let rest: Vec<ValueRef<'_>> = ctx.args().skip(1).collect();
            ctx.forward_call(fname, &rest).map(drop)
        }),
        "call_fn" => Box::new(|ctx| {
            let rest: Vec<ValueRef<'_>> = ctx.args().skip(1).collect();
            ctx.forward_call_arg(0, &rest).map(drop)
        }),
        "counter" => {
            let counter = Rc::clone(counter);
            Box::new(move |ctx| {
                counter.set(counter.get() + 1.0);
                ctx.push_number(counter.get())
            })
        }
        "sleep_us" => Box::new(|ctx| {
            let n = ctx.number(0)?;
            std::thread::sleep(Duration::from_secs_f64(n.max(0.0) / 1e6));
            Ok(())
        }),
        "register_during_call" => {
            let counter = Rc::clone(counter);
            Box::new(move |ctx| {
                let name = ctx.bytes(0)?;
                let add = catalogue("add", &counter).expect("add is in the catalogue");
                ctx.register_func(name, add)?;
                ctx.push_bool(true)
            })
        }
        "unregister" => Box::new(|ctx| {
            ctx.unregister_func(ctx.bytes(0)?)?;
            ctx.push_bool(true)
        }),
        "unregister_self" => Box::new(|ctx| {
            ctx.unregister_func(ctx.name_bytes())?;
            ctx.push("unregistered")
        }),
        "yield_then_double" => Box::new(|ctx| {
            let v = ctx.arg(0).to_owned();
            ctx.yield_then(&[v], |ctx| {
                let n = ctx.number(0)?;
                ctx.push_number(n * 2.0)
            })
        }),
        "reset_thread" => Box::new(|ctx| {
            let thread = ctx.thread(0)?;
            let body = match ctx.get_global("tostring")? {
                Value::Function(f) => f,
                other => {
                    return Err(Error::new(
                        ErrorKind::Runtime,
                        format!("tostring is {other:?}"),
                    ))
                }
            };
            let outcome = match thread.reset(&body) {
                Ok(()) => "ok",
                Err(e) => e.kind().as_str(),
            };
            ctx.push(outcome)
        }),
        "yield_values" => Box::new(|ctx| {
            for i in 0..ctx.len() {
                ctx.push_arg(i)?;
            }
            ctx.yield_results()
        }),
        _ => return None,
    };
    Some(f)
}

// ------------------------------------------------------------------------------------------
// The typed catalogue (HOSTFNS.md, groups `typed`), through `State::register`
// ------------------------------------------------------------------------------------------

/// `struct {x: float, y: float}` of `t_point` / `t_norm`: a table on the Luau side.
struct Point {
    x: f64,
    y: f64,
}

impl FromLuau for Point {
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> luau::Result<Self> {
        let t = ctx.table(i)?;
        let field = |name: &str| t.get_as::<f64>(name).map_err(|e| ctx.bad_argument(i, e));
        Ok(Point {
            x: field("x")?,
            y: field("y")?,
        })
    }
}

impl IntoResults for Point {
    fn push_results(self, ctx: &mut CallContext<'_>) -> luau::Result<()> {
        let t = ctx.create_table(0, 2)?;
        t.set("x", &Value::Number(self.x))?;
        t.set("y", &Value::Number(self.y))?;
        ctx.push(t)
    }
}

#[derive(Debug)]
struct DivisionByZero;

impl fmt::Display for DivisionByZero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("division by zero")
    }
}

impl StdError for DivisionByZero {}

thread_local! {
    /// The drop counter of the session that is registering Vec3 values on this thread: a
    /// Vec3 counts its own drop into the counter of the state that created it.
    static VEC3_DROPS: RefCell<Rc<Cell<f64>>> = RefCell::new(Rc::new(Cell::new(0.0)));
    /// The host's shared Vec3 of the session registering `shared_vec` on this thread.
    static SHARED_VEC: RefCell<Option<Rc<RefCell<Vec3>>>> = const { RefCell::new(None) };
}

/// The catalogue's `Vec3` userdata type, declared with the macros: fields, constructor,
/// methods and operators from `#[derive(luau::UserData)]` and `#[luau::methods]`; list
/// construction from `{x, y, z}` (`vec3_from_list`).
#[derive(luau::UserData)]
#[luau(list = "vec3_from_list")]
struct Vec3 {
    x: f64,
    y: f64,
    z: f64,
    #[luau(skip)]
    drops: Rc<Cell<f64>>,
}

/// The catalogue Vec3's list construction: exactly three numbers, else `Vec3 expected, got
/// table` (an element of another type: `element I: number expected, got T`).
fn vec3_from_list(ctx: &luau::CallContext<'_>, i: usize) -> luau::Result<Vec3> {
    let xs = <Vec<f64> as luau::FromLuau>::from_arg(ctx, i)?;
    match xs[..] {
        [x, y, z] => Ok(Vec3::new(x, y, z)),
        _ => Err(Error::bad_argument(
            i + 1,
            &ctx.name(),
            "Vec3 expected, got table",
        )),
    }
}

#[luau::methods]
impl Vec3 {
    #[luau(constructor)]
    fn new(x: f64, y: f64, z: f64) -> Vec3 {
        let drops = VEC3_DROPS.with(|d| Rc::clone(&d.borrow()));
        Vec3 { x, y, z, drops }
    }

    fn len(&self) -> f64 {
        (self.x * self.x + self.y * self.y + self.z * self.z).sqrt()
    }

    fn scale(&self, k: f64) -> Vec3 {
        self.map(|c| c * k)
    }

    #[luau(meta = "__add")]
    fn plus(&self, b: &Vec3) -> Vec3 {
        self.zip(b, |p, q| p + q)
    }

    #[luau(meta = "__sub")]
    fn minus(&self, b: &Vec3) -> Vec3 {
        self.zip(b, |p, q| p - q)
    }

    #[luau(meta = "__mul")]
    fn times(&self, k: f64) -> Vec3 {
        self.map(|c| c * k)
    }

    #[luau(meta = "__unm")]
    fn negated(&self) -> Vec3 {
        self.map(|c| -c)
    }

    #[luau(meta = "__eq")]
    fn equals(&self, b: &Vec3) -> bool {
        self.x == b.x && self.y == b.y && self.z == b.z
    }

    #[luau(meta = "__lt")]
    fn shorter(&self, b: &Vec3) -> bool {
        self.len() < b.len()
    }

    #[luau(meta = "__le")]
    fn not_longer(&self, b: &Vec3) -> bool {
        self.len() <= b.len()
    }

    #[luau(meta = "__len")]
    fn dims(&self) -> f64 {
        3.0
    }

    #[luau(meta = "__tostring")]
    fn show(&self) -> String {
        format!("Vec3({}, {}, {})", self.x, self.y, self.z)
    }
}

impl Vec3 {
    fn map(&self, f: impl Fn(f64) -> f64) -> Vec3 {
        Vec3 {
            x: f(self.x),
            y: f(self.y),
            z: f(self.z),
            drops: Rc::clone(&self.drops),
        }
    }

    fn zip(&self, o: &Vec3, f: impl Fn(f64, f64) -> f64) -> Vec3 {
        Vec3 {
            x: f(self.x, o.x),
            y: f(self.y, o.y),
            z: f(self.z, o.z),
            drops: Rc::clone(&self.drops),
        }
    }
}

impl Drop for Vec3 {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1.0);
    }
}

type Vec3Ref = UserDataRef<Vec3>;

/// The catalogue's `Counter` userdata type (macros too).
#[derive(luau::UserData)]
struct Counter {
    #[luau(readonly)]
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

/// Registers typed catalogue function `name` as `as_name`; `None` if it is not one.
fn register_typed(session: &Session, name: &str, as_name: &str) -> Option<luau::Result<()>> {
    let state = session.state.as_ref()?;
    Some(match name {
        "Vec3" => {
            VEC3_DROPS.with(|d| *d.borrow_mut() = Rc::clone(&session.vec3_drops));
            state.register_type::<Vec3>()
        }
        "Counter" => state.register_type::<Counter>(),
        "vec3_x" => state.register(as_name, |(v,): (Vec3Ref,)| v.borrow().x),
        "vec3_count" => {
            let drops = Rc::clone(&session.vec3_drops);
            state.register(as_name, move |()| drops.get())
        }
        "t_make_vec" => state.register(as_name, |(x,): (f64,)| Vec3::new(x, x, x)),
        "shared_vec" => {
            let shared = Rc::new(RefCell::new(Vec3::new(0.0, 0.0, 0.0)));
            SHARED_VEC.with(|s| *s.borrow_mut() = Some(Rc::clone(&shared)));
            state.register_func(as_name, move |ctx| ctx.push_userdata_shared(&shared))
        }
        "shared_vec_x" => state.register(as_name, |()| {
            SHARED_VEC.with(|s| s.borrow().as_ref().map_or(f64::NAN, |v| v.borrow().x))
        }),
        "t_add" => state.register(as_name, |(a, b): (i64, i64)| a + b),
        "t_addf" => state.register(as_name, |(a, b): (f64, f64)| a + b),
        "t_u8" => state.register(as_name, |(x,): (u8,)| x),
        "t_greet" => state.register(as_name, |(name,): (String,)| format!("hello, {name}")),
        "t_sum" => state.register(as_name, |(xs,): (Vec<f64>,)| xs.iter().sum::<f64>()),
        "t_join" => state.register(as_name, |(sep, parts): (String, Variadic<String>)| {
            parts.join(&sep)
        }),
        "t_point" => state.register(as_name, |()| Point { x: 1.0, y: 2.0 }),
        "t_norm" => state.register(as_name, |(p,): (Point,)| p.x * p.x + p.y * p.y),
        "t_divide" => state.register(as_name, |(a, b): (f64, f64)| {
            if b == 0.0 {
                Err(DivisionByZero)
            } else {
                Ok(a / b)
            }
        }),
        "t_pair" => state.register(as_name, |()| (1i64, "two", true)),
        _ => return None,
    })
}

// ------------------------------------------------------------------------------------------
// Cases
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Case {
    id: String,
    category: String,
    hostfns: Vec<String>,
    options: Option<Json>,
    steps: Vec<Json>,
    bounds: Option<(f64, f64)>,
    threads: Option<(usize, usize)>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn load_cases(dir: &Path) -> Result<Vec<Case>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let doc: Json =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let group = doc["group"]
            .as_str()
            .ok_or_else(|| format!("{}: no group", file.display()))?;
        for c in doc["cases"].as_array().into_iter().flatten() {
            let name = c["name"]
                .as_str()
                .ok_or_else(|| format!("{}: a case without name", file.display()))?;
            let steps = match (c.get("steps"), c.get("script")) {
                (Some(Json::Array(steps)), _) => steps.clone(),
                (_, Some(script)) => {
                    let mut step = serde_json::Map::new();
                    step.insert("run".into(), script.clone());
                    if let Some(expect) = c.get("expect") {
                        step.insert("expect".into(), expect.clone());
                    }
                    vec![Json::Object(step)]
                }
                _ => return Err(format!("{group}/{name}: neither steps nor script")),
            };
            let bounds = c.get("bounds").map(|b| {
                (
                    b["luau_heap_growth_kib"].as_f64().unwrap_or(f64::INFINITY),
                    b["rss_growth_mib"].as_f64().unwrap_or(f64::INFINITY),
                )
            });
            let threads = c.get("threads").map(|t| {
                (
                    t["count"].as_u64().unwrap_or(1) as usize,
                    t["churn"].as_u64().unwrap_or(0) as usize,
                )
            });
            cases.push(Case {
                id: format!("{group}/{name}"),
                category: c["category"].as_str().unwrap_or("functional").to_owned(),
                hostfns: strings(c.get("hostfns")),
                options: c.get("options").cloned(),
                steps,
                bounds,
                threads,
            });
        }
    }
    Ok(cases)
}

/// `group/case  # reason` lines.
fn load_expected_failures(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once('#').unwrap_or((l, ""));
            (id.trim().to_owned(), reason.trim().to_owned())
        })
        .collect())
}

// ------------------------------------------------------------------------------------------
// Running steps
// ------------------------------------------------------------------------------------------

/// The states a case created (checked against the registry afterwards).
type Tracker = Arc<Mutex<Vec<RegistryKey>>>;

/// One state of a case (or of one thread of a concurrency case).
struct Session {
    state: Option<State>,
    key: RegistryKey,
    counter: Rc<Cell<f64>>,
    vec3_drops: Rc<Cell<f64>>,
    /// Everything the state's scripts printed since the last `printed` step.
    printed: Rc<RefCell<Vec<u8>>>,
}

/// The case's `options.modules` (an in-memory module tree: `State::set_resolver` with a
/// `MapResolver`) and `options.host_modules` (`State::register_module`), SCHEMA.md.
fn install_modules(state: &State, options: Option<&Json>) -> Result<(), String> {
    let Some(o) = options else {
        return Ok(());
    };
    if let Some(files) = o.get("modules") {
        let files = files.as_object().ok_or("options.modules: not an object")?;
        let mut tree = luau::MapResolver::new();
        for (name, source) in files {
            let source = source
                .as_str()
                .ok_or("options.modules: a source is not a string")?;
            tree.insert(name.as_str(), source);
        }
        state
            .set_resolver(tree)
            .map_err(|e| format!("set_resolver: {e}"))?;
    }
    if let Some(modules) = o.get("host_modules") {
        let modules = modules
            .as_object()
            .ok_or("options.host_modules: not an object")?;
        for (name, fields) in modules {
            let fields = fields
                .as_object()
                .ok_or("options.host_modules: a module is not an object")?;
            let mut values = Vec::new();
            for (key, v) in fields {
                values.push((key.as_str(), json_to_value(v)?));
            }
            state
                .register_module(name, values)
                .map_err(|e| format!("register_module({name}): {e}"))?;
        }
    }
    Ok(())
}

/// The case's `options` (SCHEMA.md): sandbox, run_timeout_ms, memory_limit_kib.
fn state_options(options: Option<&Json>) -> Result<StateOptions, String> {
    // LUAU_MATRIX_CODEGEN=1: every state compiles natively (the second pass of `make matrix`).
    let mut opts = StateOptions::new().native_codegen(matrix_codegen());
    let Some(o) = options else {
        return Ok(opts);
    };
    for (key, v) in o.as_object().ok_or("options: not an object")? {
        opts = match key.as_str() {
            "sandbox" => opts.sandbox(v.as_bool().ok_or("options.sandbox: not a boolean")?),
            "run_timeout_ms" => opts.run_timeout(Duration::from_millis(
                v.as_u64().ok_or("options.run_timeout_ms: not a count")?,
            )),
            "memory_limit_kib" => opts.memory_limit(
                v.as_u64().ok_or("options.memory_limit_kib: not a count")? as usize * 1024,
            ),
            // Installed on the state by install_modules.
            "modules" | "host_modules" => opts,
            other => return Err(format!("unknown option {other:?}")),
        };
    }
    Ok(opts)
}

impl Session {
    fn open(hostfns: &[String], tracker: &Tracker) -> Result<Session, String> {
        Session::open_with(hostfns, None, tracker)
    }

    fn open_with(
        hostfns: &[String],
        options: Option<&Json>,
        tracker: &Tracker,
    ) -> Result<Session, String> {
        let state =
            State::with_options(state_options(options)?).map_err(|e| format!("State::new: {e}"))?;
        let key = state.registry_key();
        tracker.lock().unwrap().push(key);
        let printed = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&printed);
        state.set_print(move |line| sink.borrow_mut().extend_from_slice(line));
        let session = Session {
            state: Some(state),
            key,
            counter: Rc::new(Cell::new(0.0)),
            vec3_drops: Rc::new(Cell::new(0.0)),
            printed,
        };
        for name in hostfns {
            session
                .register(name, name)
                .map_err(|e| format!("registering {name}: {e}"))?;
        }
        if let Some(state) = &session.state {
            install_modules(state, options)?;
        }
        Ok(session)
    }

    fn register(&self, catalogue_name: &str, as_name: &str) -> luau::Result<()> {
        let Some(state) = &self.state else {
            unreachable!("checked by the caller")
        };
        if let Some(result) = register_typed(self, catalogue_name, as_name) {
            return result;
        }
        let f = catalogue(catalogue_name, &self.counter).ok_or_else(|| {
            Error::new(
                luau::ErrorKind::Argument,
                format!("'{catalogue_name}' is not in the Rust runner's host-function catalogue"),
            )
        })?;
        state.register_func(as_name, f)
    }
}

/// What one step did.
enum Outcome {
    Values(Vec<Value>),
    Yielded(Vec<Value>),
    Done,
    Failed(Error),
    Closed,
    Panicked(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Values(v) => write!(f, "values {v:?}"),
            Outcome::Yielded(v) => write!(f, "yielded {v:?}"),
            Outcome::Done => f.write_str("ok"),
            Outcome::Failed(e) => write!(f, "error kind {} message {:?}", e.kind(), e.message()),
            Outcome::Closed => f.write_str("error kind closed"),
            Outcome::Panicked(p) => write!(f, "panic {p:?}"),
        }
    }
}

fn result_outcome<T>(r: luau::Result<T>, ok: impl FnOnce(T) -> Outcome) -> Outcome {
    match r {
        Ok(v) => ok(v),
        Err(e) => Outcome::Failed(e),
    }
}

thread_local! {
    /// The handles a case holds (`handle_call`, `handle_new`), by label: visible to every
    /// state of the case (so a `fresh_state` block can use one on the wrong state), dropped
    /// when the case ends.
    static HANDLES: RefCell<HashMap<String, Value>> = RefCell::new(HashMap::new());
}

fn held(label: &str) -> Result<Value, String> {
    HANDLES
        .with(|h| h.borrow().get(label).cloned())
        .ok_or_else(|| format!("no handle labelled {label:?}"))
}

fn hold(label: &str, v: Value) {
    // The previous handle under this label is dropped here, without an explicit release.
    let old = HANDLES.with(|h| h.borrow_mut().insert(label.to_owned(), v));
    drop(old);
}

/// A key of a `handle_get` path: a string or a number.
fn json_key(j: &Json) -> Result<Value, String> {
    match j {
        Json::String(s) => Ok(Value::from(s.as_str())),
        Json::Number(n) => Ok(Value::Number(n.as_f64().ok_or("bad number")?)),
        other => Err(format!("handle_get: unsupported key {other}")),
    }
}

/// `handle_call`, `handle_new`, `handle_get` and `handle_invoke` steps.
fn handle_step(state: &State, step: &Json) -> Result<Option<Outcome>, String> {
    if let Some(name) = step.get("handle_call") {
        let name = name.as_str().ok_or("handle_call: not a string")?;
        let label = step.get("as").and_then(Json::as_str).unwrap_or(name);
        let args = json_args(step)?;
        return Ok(Some(match state.call(name, &args) {
            Ok(mut values) if !values.is_empty() => {
                let v = values.swap_remove(0);
                match v {
                    Value::Table(_) | Value::Function(_) => {
                        hold(label, v);
                        Outcome::Done
                    }
                    other => return Err(format!("handle_call: {name} returned {other:?}")),
                }
            }
            Ok(_) => return Err(format!("handle_call: {name} returned nothing")),
            Err(e) => Outcome::Failed(e),
        }));
    }
    if let Some(label) = step.get("handle_new") {
        let label = label.as_str().ok_or("handle_new: not a string")?;
        let t = match state.create_table() {
            Ok(t) => t,
            Err(e) => return Ok(Some(Outcome::Failed(e))),
        };
        if let Some(fields) = step.get("fields").and_then(Json::as_object) {
            for (k, v) in fields {
                if let Err(e) = t.set(k.as_str(), json_to_value(v)?) {
                    return Ok(Some(Outcome::Failed(e)));
                }
            }
        }
        hold(label, Value::Table(t));
        return Ok(Some(Outcome::Done));
    }
    if let Some(label) = step.get("handle_get") {
        let label = label.as_str().ok_or("handle_get: not a string")?;
        let path = step
            .get("path")
            .and_then(Json::as_array)
            .ok_or("handle_get: no path")?;
        let mut cur = held(label)?;
        for (i, key) in path.iter().enumerate() {
            let Value::Table(t) = &cur else {
                return Err(format!(
                    "handle_get: {cur:?} at path element {i} is not a table"
                ));
            };
            cur = match t.get(json_key(key)?) {
                Ok(v) => v,
                Err(e) => return Ok(Some(Outcome::Failed(e))),
            };
        }
        return Ok(Some(Outcome::Values(vec![cur])));
    }
    if let Some(label) = step.get("handle_invoke") {
        let label = label.as_str().ok_or("handle_invoke: not a string")?;
        let Value::Function(f) = held(label)? else {
            return Err(format!("handle_invoke: {label:?} is not a function"));
        };
        let args = json_args(step)?;
        return Ok(Some(result_outcome(f.call(&args), Outcome::Values)));
    }
    Ok(None)
}

fn json_to_value(j: &Json) -> Result<Value, String> {
    Ok(match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => Value::Number(n.as_f64().ok_or("bad number")?),
        Json::String(s) => Value::from(s.as_str()),
        Json::Object(o) => {
            if let Some(hex) = o.get("bytes_hex").and_then(Json::as_str) {
                Value::String(decode_hex(hex)?)
            } else if let Some(n) = o.get("string_len").and_then(Json::as_u64) {
                Value::String(vec![b'x'; n as usize])
            } else if let Some(v) = o.get("vector").and_then(Json::as_array) {
                let f = |i: usize| v.get(i).and_then(Json::as_f64).unwrap_or(0.0) as f32;
                Value::Vector([f(0), f(1), f(2)])
            } else if let Some(label) = o.get("handle").and_then(Json::as_str) {
                held(label)?
            } else {
                return Err(format!("unsupported argument form {j}"));
            }
        }
        Json::Array(_) => return Err(format!("unsupported argument form {j}")),
    })
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    if hex.len() % 2 != 0 {
        return Err(format!("odd hex string {hex:?}"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| format!("{hex:?}: {e}")))
        .collect()
}

fn value_matches(expected: &Json, got: &Value) -> bool {
    match expected {
        Json::Null => *got == Value::Nil,
        Json::Bool(b) => *got == Value::Boolean(*b),
        Json::Number(n) => match (n.as_f64(), got) {
            (Some(n), Value::Number(g)) => *g == n,
            (Some(n), Value::Integer(g)) => *g as f64 == n,
            _ => false,
        },
        Json::String(s) => got.as_bytes() == Some(s.as_bytes()),
        Json::Object(o) => {
            if let Some(hex) = o.get("bytes_hex").and_then(Json::as_str) {
                decode_hex(hex).is_ok_and(|b| got.as_bytes() == Some(&b[..]))
            } else if let Some(n) = o.get("string_len").and_then(Json::as_u64) {
                got.as_bytes().is_some_and(|b| b.len() as u64 == n)
            } else if let Some(v) = o.get("vector").and_then(Json::as_array) {
                let want: Vec<f32> = v
                    .iter()
                    .map(|x| x.as_f64().unwrap_or(f64::NAN) as f32)
                    .collect();
                matches!(got, Value::Vector(g) if g[..] == want[..])
            } else if let Some(t) = o.get("type").and_then(Json::as_str) {
                got.type_of().name() == t
            } else if let Some(want) = o.get("sequence").and_then(Json::as_array) {
                // The table's sequence values, and no other key.
                let Value::Table(t) = got else { return false };
                match (t.sequence_values(), t.pairs()) {
                    (Ok(seq), Ok(pairs)) => {
                        pairs.len() == seq.len()
                            && seq.len() == want.len()
                            && want.iter().zip(&seq).all(|(e, g)| value_matches(e, g))
                    }
                    _ => false,
                }
            } else if let Some(keys) = o.get("shared_entries").and_then(Json::as_array) {
                // The entries are tables, all one and the same.
                let Value::Table(t) = got else { return false };
                let entries: Option<Vec<Value>> = keys
                    .iter()
                    .map(|k| json_key(k).ok().and_then(|k| t.get(k).ok()))
                    .collect();
                match entries.as_deref() {
                    Some([first @ Value::Table(_), rest @ ..]) => rest.iter().all(|v| v == first),
                    _ => false,
                }
            } else {
                false
            }
        }
        Json::Array(_) => false,
    }
}

/// Checks `outcome` against `expect` (default `{"ok": true}`).
fn check(expect: Option<&Json>, outcome: &Outcome) -> Result<(), String> {
    let fail = |what: &str| Err(format!("expected {what}, got {outcome}"));
    let Some(expect) = expect else {
        return match outcome {
            Outcome::Values(_) | Outcome::Yielded(_) | Outcome::Done => Ok(()),
            _ => fail("success"),
        };
    };
    if let Some(values) = expect.get("yielded").and_then(Json::as_array) {
        let Outcome::Yielded(got) = outcome else {
            return fail(&format!("yielded {values:?}"));
        };
        if got.len() != values.len() || !values.iter().zip(got).all(|(e, g)| value_matches(e, g)) {
            return fail(&format!("yielded {}", Json::Array(values.clone())));
        }
        return Ok(());
    }
    if let Some(values) = expect.get("values").and_then(Json::as_array) {
        let Outcome::Values(got) = outcome else {
            return fail(&format!("values {values:?}"));
        };
        if got.len() != values.len() || !values.iter().zip(got).all(|(e, g)| value_matches(e, g)) {
            return fail(&format!("values {}", Json::Array(values.clone())));
        }
        return Ok(());
    }
    if let Some(err) = expect.get("error") {
        let kind = err["kind"].as_str().unwrap_or("");
        let fragments = strings(err.get("contains"));
        let (got_kind, text): (&str, &str) = match outcome {
            Outcome::Failed(e) => (e.kind().as_str(), e.message()),
            Outcome::Closed => ("closed", "state is closed"),
            Outcome::Panicked(p) => ("panic", p),
            _ => return fail(&format!("an error of kind {kind}")),
        };
        if got_kind != kind {
            return fail(&format!("an error of kind {kind}"));
        }
        if let Some(missing) = fragments.iter().find(|f| !text.contains(f.as_str())) {
            return fail(&format!("an error containing {missing:?}"));
        }
        let once = strings(err.get("traceback_once"));
        if !once.is_empty() {
            let Outcome::Failed(e) = outcome else {
                return fail("an error with a traceback");
            };
            if e.message().contains("stack traceback:") {
                return fail("a message without traceback text");
            }
            let tb = e.traceback();
            let mut at = 0;
            for frag in &once {
                if tb.matches(frag.as_str()).count() != 1 {
                    return fail(&format!("a traceback holding {frag:?} once, got:\n{tb}"));
                }
                let i = tb.find(frag.as_str()).unwrap_or(0);
                if i < at {
                    return fail(&format!(
                        "a traceback holding {frag:?} in order, got:\n{tb}"
                    ));
                }
                at = i;
            }
        }
        if err.get("host_identity").and_then(Json::as_bool) == Some(true) {
            let Outcome::Failed(e) = outcome else {
                return fail("a host error");
            };
            let Some(failure) = e.source().and_then(|s| s.downcast_ref::<HostFailure>()) else {
                return fail("a host error whose source() is the catalogue's HostFailure");
            };
            let last = LAST_FAILURE.with(Cell::get);
            if failure.serial != last || failure.msg != e.message() {
                return fail(&format!(
                    "the very HostFailure `fail` created (serial {last}), got serial {} {:?}",
                    failure.serial, failure.msg
                ));
            }
        }
        return Ok(());
    }
    // {"ok": true}
    check(None, outcome)
}

fn panic_payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// The host-held threads of a step list (`thread` steps name them), borrowing the state.
type Threads<'s> = HashMap<String, Thread<'s>>;

fn is_thread_step(step: &Json) -> bool {
    ["thread", "resume", "status"]
        .iter()
        .any(|k| step.get(k).is_some())
}

/// Runs `steps` on `session`, checking each expectation.
fn run_steps(session: &mut Session, steps: &[Json], tracker: &Tracker) -> Result<(), String> {
    if steps.iter().any(is_thread_step) {
        // Threads borrow the state (they cannot outlive it): such a list runs on a shared
        // borrow of the session, with no `close` step.
        let mut threads = Threads::new();
        return run_steps_with(session, &mut threads, steps, tracker);
    }
    for (i, step) in steps.iter().enumerate() {
        let repeat = step.get("repeat").and_then(Json::as_u64).unwrap_or(1);
        for r in 0..repeat {
            let outcome = perform(session, step, tracker)
                .map_err(|e| format!("step {} ({r} of {repeat}): {e}", i + 1))?;
            check(step.get("expect"), &outcome)
                .map_err(|e| format!("step {} ({r} of {repeat}): {e}", i + 1))?;
        }
    }
    Ok(())
}

/// `run_steps` for a list with host-held threads.
fn run_steps_with<'s>(
    session: &'s Session,
    threads: &mut Threads<'s>,
    steps: &[Json],
    tracker: &Tracker,
) -> Result<(), String> {
    for (i, step) in steps.iter().enumerate() {
        let repeat = step.get("repeat").and_then(Json::as_u64).unwrap_or(1);
        for r in 0..repeat {
            let at = |e: String| format!("step {} ({r} of {repeat}): {e}", i + 1);
            let outcome = if let Some(inner) = step.get("steps") {
                let inner = inner.as_array().ok_or("steps: not a list")?;
                run_steps_with(session, threads, inner, tracker).map_err(at)?;
                Outcome::Done
            } else if step.get("close").is_some() {
                return Err(at(
                    "a close step among host-held threads (the runner keeps threads borrowed)"
                        .into(),
                ));
            } else {
                perform_shared(session, Some(threads), step, tracker).map_err(at)?
            };
            check(step.get("expect"), &outcome).map_err(at)?;
        }
    }
    Ok(())
}

/// Performs one step. `Err` is a failure inside a nested block or a malformed step.
fn perform(session: &mut Session, step: &Json, tracker: &Tracker) -> Result<Outcome, String> {
    if let Some(inner) = step.get("steps") {
        run_steps(
            session,
            inner.as_array().ok_or("steps: not a list")?,
            tracker,
        )?;
        return Ok(Outcome::Done);
    }
    if step.get("close").is_some() {
        session.state = None;
        return Ok(Outcome::Done);
    }
    perform_shared(session, None, step, tracker)
}

/// Another thread's stop request `after` the step began (`cancel_after_ms`), retried until a
/// run is going on or the step is over.
struct Canceller {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Canceller {
    fn start(handle: luau::InterruptHandle, after: Duration) -> Canceller {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            std::thread::sleep(after);
            while !flag.load(Ordering::Acquire) && !handle.interrupt() {
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        Canceller { done, thread }
    }

    fn finish(self) {
        self.done.store(true, Ordering::Release);
        let _ = self.thread.join();
    }
}

fn json_args(step: &Json) -> Result<Vec<Value>, String> {
    Ok(step
        .get("args")
        .and_then(Json::as_array)
        .map(|a| a.iter().map(json_to_value).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default())
}

/// Performs a step that does not need the session mutably (all but `close` and blocks that
/// may contain one).
fn perform_shared<'s>(
    session: &'s Session,
    mut threads: Option<&mut Threads<'s>>,
    step: &Json,
    tracker: &Tracker,
) -> Result<Outcome, String> {
    if let Some(n) = step.get("expect_registry") {
        let want = n.as_u64().ok_or("expect_registry: not a number")? as usize;
        let got = luau::registry_len_for(session.key);
        return if got == want {
            Ok(Outcome::Done)
        } else {
            Err(format!(
                "expected {want} registry entries for the state, found {got}"
            ))
        };
    }
    if let Some(inner) = step.get("fresh_state") {
        let mut fresh = Session::open(&strings(step.get("hostfns")), tracker)?;
        run_steps(
            &mut fresh,
            inner.as_array().ok_or("fresh_state: not a list")?,
            tracker,
        )?;
        drop(fresh);
        return Ok(Outcome::Done);
    }
    let Some(state) = session.state.as_ref() else {
        return Ok(Outcome::Closed);
    };
    if let Some(want) = step.get("printed") {
        let want = want.as_str().ok_or("printed: not a string")?;
        let got = std::mem::take(&mut *session.printed.borrow_mut());
        return if got == want.as_bytes() {
            Ok(Outcome::Done)
        } else {
            Err(format!(
                "expected the scripts to print {want:?}, they printed {:?}",
                String::from_utf8_lossy(&got)
            ))
        };
    }
    // Timing modifiers of run / call / resume steps.
    let deadline = step.get("deadline_ms").and_then(Json::as_u64);
    let within = step.get("within_ms").and_then(Json::as_u64);
    let cancel = step
        .get("cancel_after_ms")
        .and_then(Json::as_u64)
        .map(|ms| Canceller::start(state.interrupt_handle(), Duration::from_millis(ms)));
    let start = Instant::now();
    if let Some(ms) = deadline {
        state.set_deadline(Some(start + Duration::from_millis(ms)));
    }
    // Everything below may run host functions: a resumed panic is an outcome.
    let run = AssertUnwindSafe(|| -> Result<Outcome, String> {
        if let Some(src) = step.get("run") {
            let src = src.as_str().ok_or("run: not a string")?;
            return Ok(result_outcome(state.do_string(src), Outcome::Values));
        }
        if let Some(name) = step.get("call") {
            let name = name.as_str().ok_or("call: not a string")?;
            let args = json_args(step)?;
            return Ok(result_outcome(state.call(name, &args), Outcome::Values));
        }
        if let Some(name) = step.get("register") {
            let name = name.as_str().ok_or("register: not a string")?;
            let as_name = step.get("as").and_then(Json::as_str).unwrap_or(name);
            return Ok(result_outcome(session.register(name, as_name), |()| {
                Outcome::Done
            }));
        }
        if let Some(name) = step.get("unregister") {
            let name = name.as_str().ok_or("unregister: not a string")?;
            return Ok(result_outcome(state.unregister_func(name), |()| {
                Outcome::Done
            }));
        }
        if step.get("gc").is_some() {
            return Ok(result_outcome(state.gc_collect(), |()| Outcome::Done));
        }
        if let Some(outcome) = handle_step(state, step)? {
            return Ok(outcome);
        }
        if is_thread_step(step) {
            let threads = threads
                .as_deref_mut()
                .ok_or("thread steps inside nested blocks are not supported")?;
            return thread_step(state, threads, step);
        }
        Err(format!("unknown step {step}"))
    });
    let outcome = match catch_unwind(run) {
        Ok(outcome) => outcome,
        Err(payload) => {
            EXPECTED_PANIC.with(|p| p.set(false));
            Ok(Outcome::Panicked(panic_payload_text(&*payload)))
        }
    };
    let took = start.elapsed();
    if deadline.is_some() {
        state.set_deadline(None);
    }
    if let Some(c) = cancel {
        c.finish();
    }
    if let Some(ms) = within {
        if took > Duration::from_millis(ms) {
            return Err(format!("the step took {took:?}, more than {ms} ms"));
        }
    }
    outcome
}

/// `thread`, `resume` and `status` steps.
fn thread_step<'s>(
    state: &'s State,
    threads: &mut Threads<'s>,
    step: &Json,
) -> Result<Outcome, String> {
    if let Some(name) = step.get("thread") {
        let name = name.as_str().ok_or("thread: not a string")?;
        let label = step.get("as").and_then(Json::as_str).unwrap_or(name);
        let created = state
            .get_function(name)
            .and_then(|f| state.create_thread(&f));
        return Ok(match created {
            Ok(t) => {
                threads.insert(label.to_owned(), t);
                Outcome::Done
            }
            Err(e) => Outcome::Failed(e),
        });
    }
    if let Some(label) = step.get("resume") {
        let label = label.as_str().ok_or("resume: not a string")?;
        let t = threads
            .get(label)
            .ok_or_else(|| format!("no thread {label:?}"))?;
        return Ok(match t.resume(&json_args(step)?) {
            Ok(ThreadResult::Yielded(v)) => Outcome::Yielded(v),
            Ok(r) => Outcome::Values(r.into_values()),
            Err(e) => Outcome::Failed(e),
        });
    }
    if let Some(label) = step.get("status") {
        let label = label.as_str().ok_or("status: not a string")?;
        let t = threads
            .get(label)
            .ok_or_else(|| format!("no thread {label:?}"))?;
        return Ok(Outcome::Values(vec![Value::from(t.status().as_str())]));
    }
    Err(format!("unknown thread step {step}"))
}

fn run_on_fresh_state(case: &Case, tracker: &Tracker) -> Result<(), String> {
    let mut session = Session::open_with(&case.hostfns, case.options.as_ref(), tracker)?;
    run_steps(&mut session, &case.steps, tracker)
}

/// Resident set size in bytes (`/proc/self/statm`).
fn rss_bytes() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0)
}

fn run_memory_case(
    case: &Case,
    (heap_kib, rss_mib): (f64, f64),
    tracker: &Tracker,
) -> Result<(), String> {
    let mut session = Session::open_with(&case.hostfns, case.options.as_ref(), tracker)?;
    let measure = |session: &Session| -> Result<(f64, f64), String> {
        let heap = match &session.state {
            Some(state) => {
                state.gc_collect().map_err(|e| format!("gc: {e}"))?;
                state.memory_used() as f64
            }
            None => 0.0,
        };
        Ok((heap, rss_bytes()))
    };
    run_steps(&mut session, &case.steps, tracker).map_err(|e| format!("warm-up: {e}"))?;
    let (heap0, rss0) = measure(&session)?;
    run_steps(&mut session, &case.steps, tracker)?;
    let (heap1, rss1) = measure(&session)?;
    let heap_growth = (heap1 - heap0) / 1024.0;
    let rss_growth = (rss1 - rss0) / (1024.0 * 1024.0);
    if heap_growth > heap_kib {
        return Err(format!(
            "Luau heap grew by {heap_growth:.1} KiB (bound {heap_kib} KiB)"
        ));
    }
    if rss_growth > rss_mib {
        return Err(format!(
            "RSS grew by {rss_growth:.1} MiB (bound {rss_mib} MiB)"
        ));
    }
    Ok(())
}

/// One churn cycle: a state, every catalogue function, `add` once, half unregistered, closed.
fn churn_cycle(tracker: &Tracker) -> Result<(), String> {
    let session = Session::open(&[], tracker)?;
    let state = session.state.as_ref().expect("open");
    for name in CATALOGUE {
        session
            .register(name, name)
            .map_err(|e| format!("churn: register {name}: {e}"))?;
    }
    let got = state
        .call("add", &[Value::Number(1.0), Value::Number(2.0)])
        .map_err(|e| format!("churn: add: {e}"))?;
    if got != [Value::Number(3.0)] {
        return Err(format!("churn: add(1, 2) returned {got:?}"));
    }
    for name in CATALOGUE.iter().step_by(2) {
        state
            .unregister_func(name)
            .map_err(|e| format!("churn: unregister {name}: {e}"))?;
    }
    Ok(())
}

fn run_concurrent_case(
    case: &Case,
    (count, churn): (usize, usize),
    tracker: &Tracker,
) -> Result<(), String> {
    let stop = AtomicBool::new(false);
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..count)
            .map(|t| {
                let errors = &errors;
                scope.spawn(move || {
                    if let Err(e) = run_on_fresh_state(case, tracker) {
                        errors.lock().unwrap().push(format!("thread {t}: {e}"));
                    }
                })
            })
            .collect();
        let churners: Vec<_> = (0..churn)
            .map(|c| {
                let (errors, stop) = (&errors, &stop);
                scope.spawn(move || {
                    let mut cycles = 0u64;
                    while cycles == 0 || !stop.load(Ordering::Relaxed) {
                        if let Err(e) = churn_cycle(tracker) {
                            errors.lock().unwrap().push(format!("churn {c}: {e}"));
                            return;
                        }
                        cycles += 1;
                    }
                })
            })
            .collect();
        for w in workers {
            if w.join().is_err() {
                errors
                    .lock()
                    .unwrap()
                    .push("a worker thread panicked".into());
            }
        }
        stop.store(true, Ordering::Relaxed);
        for c in churners {
            if c.join().is_err() {
                errors
                    .lock()
                    .unwrap()
                    .push("a churn thread panicked".into());
            }
        }
    });
    let errors = errors.into_inner().unwrap();
    match errors.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} failure(s); first: {first}", errors.len())),
    }
}

fn run_case(case: &Case) -> Result<(), String> {
    let tracker: Tracker = Arc::default();
    let result = match (case.threads, case.bounds) {
        (Some(threads), _) => run_concurrent_case(case, threads, &tracker),
        (None, Some(bounds)) => run_memory_case(case, bounds, &tracker),
        (None, None) => run_on_fresh_state(case, &tracker),
    };
    // The case's handles go with it (after their states: dropping them touches nothing).
    HANDLES.with(|h| h.borrow_mut().clear());
    result?;
    let keys = tracker.lock().unwrap();
    let left: usize = keys.iter().map(|k| luau::registry_len_for(*k)).sum();
    if left != 0 {
        return Err(format!(
            "the registry still holds {left} entries of the {} state(s) this case created",
            keys.len()
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Harness
// ------------------------------------------------------------------------------------------

/// Memory and concurrency cases run alone: they take this lock exclusively.
static ALONE: RwLock<()> = RwLock::new(());
static REPORT: Mutex<BTreeMap<String, (String, String)>> = Mutex::new(BTreeMap::new());

fn run_trial(case: &Case, listed: Option<&str>) -> Result<(), Failed> {
    // A panic of the runner itself (not a resumed host panic, which steps catch) is a failure
    // like any other: it is reported, not lost.
    let guarded = || {
        catch_unwind(|| run_case(case)).unwrap_or_else(|payload| {
            Err(format!(
                "the runner panicked: {}",
                panic_payload_text(&*payload)
            ))
        })
    };
    let result = if matches!(case.category.as_str(), "memory" | "concurrency") {
        let _alone = ALONE.write().unwrap_or_else(|e| e.into_inner());
        guarded()
    } else {
        let _shared = ALONE.read().unwrap_or_else(|e| e.into_inner());
        guarded()
    };
    let (outcome, detail, verdict) = match (result, listed) {
        (Ok(()), None) => ("pass", String::new(), Ok(())),
        (Err(e), None) => ("fail", e.clone(), Err(Failed::from(e))),
        (Err(e), Some(_)) => ("xfail", e, Ok(())),
        (Ok(()), Some(reason)) => {
            let msg = format!(
                "listed in tests/matrix/expected_failures/rust.txt ({reason}) but passed: remove it"
            );
            ("xpass", msg.clone(), Err(Failed::from(msg)))
        }
    };
    REPORT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(case.id.clone(), (outcome.to_owned(), detail));
    verdict
}

fn write_report(path: &Path) -> std::io::Result<()> {
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
    let doc = serde_json::json!({"language": "rust", "cases": cases});
    std::fs::create_dir_all(path.parent().expect("a parent"))?;
    std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")
}

fn main() {
    let args = Arguments::from_args();
    let root = repo_root();
    let matrix = root.join("tests/matrix");
    let cases = load_cases(&matrix.join("cases")).unwrap_or_else(|e| panic!("matrix cases: {e}"));
    let expected = load_expected_failures(&matrix.join("expected_failures/rust.txt"))
        .unwrap_or_else(|e| panic!("expected failures: {e}"));
    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let unknown: Vec<&String> = expected
        .keys()
        .filter(|id| !ids.contains(id.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "expected_failures/rust.txt lists cases that do not exist: {unknown:?}"
    );

    // Keep the catalogue's deliberate panics quiet; every other panic is reported as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !EXPECTED_PANIC.with(Cell::get) {
            default_hook(info);
        }
    }));

    let total = cases.len();
    let trials: Vec<Trial> = cases
        .into_iter()
        .map(|case| {
            let listed = expected.get(&case.id).cloned();
            let kind = case.category.clone();
            Trial::test(case.id.clone(), move || run_trial(&case, listed.as_deref()))
                .with_kind(kind)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);

    // A full run (every case ran) writes the report the parity check reads.
    if REPORT.lock().map(|r| r.len()).unwrap_or(0) == total {
        let path = if matrix_codegen() {
            root.join("target/matrix/codegen/rust.json")
        } else {
            root.join("target/matrix/rust.json")
        };
        if let Err(e) = write_report(&path) {
            eprintln!("matrix: cannot write {}: {e}", path.display());
            std::process::exit(101);
        }
    }
    conclusion.exit();
}

/// LUAU_MATRIX_CODEGEN=1: run every case with native code generation on
/// (StateOptions::native_codegen); the report goes to target/matrix/codegen/.
fn matrix_codegen() -> bool {
    std::env::var("LUAU_MATRIX_CODEGEN").is_ok_and(|v| v == "1")
}
