//! The state: a Luau VM with this crate's per-state data.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::error::Error as StdError;
use std::fmt;
use std::panic::resume_unwind;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use crate::compile::{Bytecode, CompileOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::ffi::{self, RawError, RawState};
use crate::function::{CallContext, HostFn, IntoResults};
use crate::handle::{check_handles, push_mixed, stage, Handle, Table};
use crate::registry;
use crate::value::{StackSlot, Type, Value, ValueRef};

/// How many escaped-or-caught host errors a state remembers within one outermost call (the
/// wrapper remembers as many; older ones escape without their source).
const MAX_PENDING_HOST_ERRORS: usize = 32;

/// Identifies a state in the global registry, also after the state is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegistryKey(pub(crate) u64);

/// Options for [`State::with_options`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StateOptions {
    /// Bytes of Luau heap the state may use; 0 means no limit.
    pub memory_limit: usize,
    /// Open Luau's standard libraries. `print` goes to the sink of [`State::set_print`]
    /// (discarded by default): the library itself never prints.
    pub open_libs: bool,
    /// Apply Luau's sandbox right before the first run (see [`StateOptions::sandbox`]).
    pub sandbox: bool,
    /// Every run stops this long after it began (see [`StateOptions::run_timeout`]).
    pub run_timeout: Option<std::time::Duration>,
    /// Compile loaded chunks to machine code (see [`StateOptions::native_codegen`]).
    pub native_codegen: bool,
}

impl Default for StateOptions {
    fn default() -> Self {
        StateOptions {
            memory_limit: 0,
            open_libs: true,
            sandbox: false,
            run_timeout: None,
            native_codegen: false,
        }
    }
}

impl StateOptions {
    /// The defaults: no memory limit, standard libraries open.
    pub fn new() -> Self {
        Self::default()
    }

    /// Limits the Luau heap to `bytes` (0 = no limit). Allocations past it fail with
    /// [`ErrorKind::Memory`]; the state stays usable.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Whether to open the standard libraries.
    pub fn open_libs(mut self, open: bool) -> Self {
        self.open_libs = open;
        self
    }
}

/// A Luau state (a VM with its globals and registered host functions).
///
/// `State` is neither `Send` nor `Sync`: it is used by the thread that created it, and its
/// host functions run on that thread (they need not be `Send`). Independent states on
/// different threads run in parallel.
///
/// Dropping the state closes the VM and removes exactly its host functions from the registry.
pub struct State {
    pub(crate) shared: Rc<Shared>,
}

/// A host error of the running outermost call: its token, the original error, and the
/// traceback of the nested call's error it came from (`""` when none).
type PendingHostError = (u64, Arc<dyn StdError + Send + Sync>, String);

/// The state's data, shared with the dispatcher (which reaches it through the C state's
/// `host_ctx`; the `Rc` keeps its address stable).
pub(crate) struct Shared {
    /// This Shared's own `Rc` (handles keep one).
    me: std::rc::Weak<Shared>,
    /// Set once the C state is closed: handles still alive then touch nothing.
    closed: Cell<bool>,
    /// Registry references of handles dropped during a host call, released at the next
    /// outermost call (handle.rs).
    pending_unrefs: RefCell<Vec<i32>>,
    pub(crate) raw: RawState,
    pub(crate) key: u64,
    /// name -> function id of this state's registered functions.
    names: RefCell<registry::NameMap<u64>>,
    /// Host errors raised during the current outermost call, by token.
    host_errors: RefCell<VecDeque<PendingHostError>>,
    next_token: Cell<u64>,
    /// The first panic of the current outermost call, resumed when it returns.
    panic: RefCell<Option<Box<dyn Any + Send>>>,
    /// Userdata types and live values.
    pub(crate) userdata: RefCell<crate::userdata::UserDataStore>,
    /// Ids of functions registered for userdata types (methods, operators, ...).
    pub(crate) hidden_ids: RefCell<Vec<u64>>,
    /// This state's functions by id (the dispatcher's lock-free lookup; see registry.rs).
    pub(crate) functions: registry::LocalFunctions,
    /// Containment (containment.rs): the print sink, and a sandbox still to be applied.
    pub(crate) print: crate::containment::PrintSlot,
    pub(crate) seal_pending: Cell<bool>,
    /// Async host functions' pending futures and the driver being polled (async_fn.rs).
    pub(crate) asyncs: crate::async_fn::AsyncSlot,
    /// Continuations of host functions that yielded with `yield_then` (thread.rs).
    pub(crate) continuations: crate::thread::ContinuationSlot,
    /// The registry id of the `require` resolver (require.rs).
    pub(crate) resolver_id: Cell<Option<u64>>,
}

fn abi_check() -> Result<()> {
    static CHECK: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    CHECK
        .get_or_init(|| abi_mismatch(ffi::library_abi_version(), &ffi::build_info()))
        .clone()
        .map_err(|msg| Error::new(ErrorKind::Abi, msg))
}

/// Why the linked wrapper (`lib`: its ABI version, `info`: its build) cannot serve this
/// crate, if it cannot.
fn abi_mismatch(lib: u32, info: &ffi::BuildInfo) -> std::result::Result<(), String> {
    if lib != ffi::LUAW_ABI_VERSION || info.abi_version != ffi::LUAW_ABI_VERSION {
        return Err(format!(
            "ABI mismatch: this crate speaks luau-embed ABI {}, the linked wrapper {lib}",
            ffi::LUAW_ABI_VERSION
        ));
    }
    if info.max_cstack != ffi::EXPECTED_MAX_CSTACK || info.vector_size != ffi::EXPECTED_VECTOR_SIZE
    {
        return Err(format!(
            "ABI mismatch: wrapper built with LUAI_MAXCSTACK={} LUA_VECTOR_SIZE={}, expected {} and {}",
            info.max_cstack,
            info.vector_size,
            ffi::EXPECTED_MAX_CSTACK,
            ffi::EXPECTED_VECTOR_SIZE
        ));
    }
    Ok(())
}

#[cfg(test)]
mod abi_tests {
    use super::*;

    /// Requirement: `ErrorKind::Abi` is what creating a state gives when the linked wrapper
    /// was built for another ABI, stack size or vector size (a stale native library); the
    /// wrapper linked here matches.
    #[test]
    fn a_mismatched_wrapper_is_kind_abi() {
        let good = ffi::build_info();
        assert_eq!(abi_mismatch(ffi::library_abi_version(), &good), Ok(()));
        let mut cstack = good.clone();
        cstack.max_cstack = 1_000_000;
        let mut vector = good.clone();
        vector.vector_size = 4;
        for (lib, info) in [
            (ffi::LUAW_ABI_VERSION - 1, &good),
            (ffi::LUAW_ABI_VERSION, &cstack),
            (ffi::LUAW_ABI_VERSION, &vector),
        ] {
            let msg = abi_mismatch(lib, info).expect_err("a mismatch");
            assert_eq!(Error::new(ErrorKind::Abi, msg).kind().as_str(), "abi");
        }
    }
}

impl State {
    /// A new state with the standard libraries and no memory limit.
    ///
    /// ```
    /// let state = luau::State::new()?;
    /// let v = state.do_string("return 1 + 2")?;
    /// assert_eq!(v, [luau::Value::Number(3.0)]);
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn new() -> Result<State> {
        State::with_options(StateOptions::default())
    }

    /// A new state with `options`. Fails with [`ErrorKind::Abi`] when the linked wrapper was
    /// built for another ABI, and [`ErrorKind::Memory`] when memory runs out.
    pub fn with_options(options: StateOptions) -> Result<State> {
        abi_check()?;
        let raw = RawState::new(options.memory_limit, options.open_libs).map_err(|status| {
            Error::new(
                ErrorKind::from_status(status),
                match status {
                    ffi::LUAW_ERRABI => {
                        "ABI mismatch: the wrapper rejected this crate's ABI version"
                    }
                    _ => "not enough memory to create a Luau state",
                },
            )
        })?;
        let shared = Rc::new_cyclic(|me| Shared {
            me: me.clone(),
            closed: Cell::new(false),
            pending_unrefs: RefCell::new(Vec::new()),
            raw,
            key: registry::new_state_key(),
            names: RefCell::new(registry::NameMap::default()),
            host_errors: RefCell::new(VecDeque::new()),
            next_token: Cell::new(1),
            panic: RefCell::new(None),
            userdata: RefCell::default(),
            hidden_ids: RefCell::new(Vec::new()),
            functions: registry::LocalFunctions::default(),
            print: crate::containment::PrintSlot::default(),
            seal_pending: Cell::new(options.sandbox),
            asyncs: crate::async_fn::AsyncSlot::default(),
            continuations: crate::thread::ContinuationSlot::default(),
            resolver_id: Cell::new(None),
        });
        RawState::install_dispatch(&shared);
        let state = State { shared };
        state.set_run_timeout(options.run_timeout);
        state.init_codegen(&options);
        Ok(state)
    }

    /// Compiles and runs `src`; returns the chunk's results.
    ///
    /// A syntax error is [`ErrorKind::Syntax`] with the line number in its message
    /// (`[string "chunk"]:3: ...`); a runtime error carries a traceback.
    ///
    /// The chunk runs as a main chunk, as in the standalone interpreter: `coroutine.running()`
    /// is nil, while it is yieldable and `pcall` nests to Luau's own depth; a yield that
    /// reaches `do_string` is an error (resume a chunk that yields to the host as a
    /// [`Thread`](crate::Thread)).
    pub fn do_string(&self, src: impl AsRef<[u8]>) -> Result<Vec<Value>> {
        self.shared.do_string(src.as_ref(), b"")
    }

    /// Like [`do_string`](Self::do_string), naming the chunk in messages and tracebacks.
    pub fn do_string_named(&self, src: impl AsRef<[u8]>, chunkname: &str) -> Result<Vec<Value>> {
        self.shared.do_string(src.as_ref(), chunkname.as_bytes())
    }

    /// Compiles `src` with the default options (see [`crate::compile`]).
    pub fn compile(&self, src: impl AsRef<[u8]>) -> Result<Bytecode> {
        crate::compile::compile(src, &CompileOptions::default())
    }

    /// Loads bytecode as a function named `chunkname` (without running it).
    pub fn load(&self, chunkname: &str, bytecode: &Bytecode) -> Result<Function> {
        self.shared.load(chunkname, bytecode)
    }

    /// Loads bytecode as `chunkname` and runs it as [`do_string`](Self::do_string) runs its
    /// chunk; returns the chunk's results.
    pub fn do_bytecode(&self, chunkname: &str, bytecode: &Bytecode) -> Result<Vec<Value>> {
        self.shared.do_bytecode(chunkname, bytecode)
    }

    /// Calls global function `name` with `args`; returns its results.
    pub fn call(&self, name: impl AsRef<[u8]>, args: &[Value]) -> Result<Vec<Value>> {
        self.shared.call_global(name.as_ref(), args)
    }

    /// The value of global `name` (tables and functions come back as [`Value::Other`]).
    pub fn get_global(&self, name: impl AsRef<[u8]>) -> Result<Value> {
        self.shared.get_global(name.as_ref())
    }

    /// Sets global `name` to `value`.
    pub fn set_global(&self, name: impl AsRef<[u8]>, value: &Value) -> Result<()> {
        self.shared.set_global(name.as_ref(), value)
    }

    /// The global function `name` as a handle that can be called repeatedly.
    pub fn get_function(&self, name: impl AsRef<[u8]>) -> Result<Function> {
        self.shared.get_function(name.as_ref())
    }

    /// Registers `f` as global function `name` (any bytes: empty, special characters and
    /// Unicode names work, reachable as `_G["name"]`). Registering an existing name replaces
    /// the function and frees the old id.
    ///
    /// `f` reads its arguments and writes its results through the [`CallContext`] and
    /// returns `Ok(results)` or an error. An error raises a Luau error with exactly the
    /// error's text, which a script's `pcall` can catch; if it escapes, the caller gets
    /// [`Error::Host`] whose `source()` is the original error (use [`Error::external`] to
    /// raise your own error types). A panic raises a Luau error
    /// `host function '<name>' panicked: <text>` and is resumed on this thread when the
    /// outermost call returns.
    ///
    /// ```
    /// let state = luau::State::new()?;
    /// state.register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))?;
    /// assert_eq!(state.do_string("return add(2, 3)")?, [luau::Value::Number(5.0)]);
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn register_func<F, R>(&self, name: impl AsRef<[u8]>, f: F) -> Result<()>
    where
        F: Fn(&mut CallContext<'_>) -> Result<R> + 'static,
        R: IntoResults,
    {
        self.shared.register_func(name.as_ref(), f)
    }

    /// Registers a typed function as global `name`: its parameters are one tuple of
    /// [`FromArg`](crate::FromArg) types (or `()`), its result anything
    /// [`IntoResults`], or a `Result` whose error is raised (see [`crate::typed`]).
    ///
    /// ```
    /// let state = luau::State::new()?;
    /// state.register("add", |(a, b): (i64, i64)| a + b)?;
    /// state.register("greet", |(name,): (String,)| format!("hello, {name}"))?;
    /// let v = state.do_string("return add(40, 2), greet('luau')")?;
    /// assert_eq!(v, [luau::Value::Number(42.0), luau::Value::from("hello, luau")]);
    /// let err = state.do_string("return add(1.5, 1)").unwrap_err();
    /// assert!(err.message().contains("invalid argument #1 to 'add' (number has no integer representation)"));
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn register<A, R, F>(&self, name: impl AsRef<[u8]>, f: F) -> Result<()>
    where
        A: crate::typed::FromArgs,
        R: crate::typed::IntoReturn,
        F: Fn(A) -> R + 'static,
    {
        self.shared.register_func(name.as_ref(), move |ctx| {
            let args = A::from_args(ctx, 0)?;
            f(args).into_return(ctx)
        })
    }

    /// Registers userdata type `T` (see [`crate::UserData`]): its metatable, and the global
    /// table `T::NAME` holding its functions (e.g. `Vec3.new`). Values of `T` returned by
    /// host functions become userdata of this type.
    pub fn register_type<T: crate::UserData>(&self) -> Result<()> {
        self.shared.register_type::<T>()
    }

    /// The number of userdata values this state holds for Luau.
    pub fn userdata_len(&self) -> usize {
        self.shared.userdata.borrow().len()
    }

    /// Unregisters `name` and sets global `name` to nil; closures a script kept raise
    /// `function '<name>' is not registered`. An unknown name is [`ErrorKind::Argument`].
    pub fn unregister_func(&self, name: impl AsRef<[u8]>) -> Result<()> {
        self.shared.unregister_func(name.as_ref())
    }

    /// Bytes of Luau heap in use.
    pub fn memory_used(&self) -> usize {
        self.shared.raw.memory_used()
    }

    /// Runs a full garbage collection.
    pub fn gc_collect(&self) -> Result<()> {
        self.shared.gc_collect()
    }

    /// Sets the memory limit in bytes (0 = none); it applies from the next allocation.
    pub fn set_memory_limit(&self, bytes: usize) {
        self.shared.raw.set_memory_limit(bytes);
    }

    /// The number of host functions this state has in the global registry.
    pub fn registered_len(&self) -> usize {
        registry::len_for(self.shared.key)
    }

    /// This state's key in the global registry (see [`crate::registry_len_for`]).
    pub fn registry_key(&self) -> RegistryKey {
        RegistryKey(self.shared.key)
    }
}

/// Benchmark support, NOT part of the API (hidden from the docs, not covered by semver):
/// `rust/bench` registers the raw C floor functions of `luau/c/luau_bench_floor.h` next to
/// this crate's host functions, on the same state kind and Luau build. `which` is a
/// `luaw_FloorFunction`: 0 noop, 1 add, 2 string16, 3 error (`lua_error`), 4 echo_distinct.
#[doc(hidden)]
impl State {
    /// Global `name` = raw C floor function `which` (`luaw_floor_register`).
    pub fn __bench_register_floor(&self, which: i32, name: &str) -> Result<()> {
        self.shared
            .run(|raw| raw.bench_floor_register(which, name.as_bytes()))
    }

    /// Globals `<prefix>1 ..= <prefix>count` = floor function `which`, in one C call
    /// (`luaw_floor_register_many`).
    pub fn __bench_register_floor_many(&self, which: i32, prefix: &str, count: i32) -> Result<()> {
        self.shared
            .run(|raw| raw.bench_floor_register_many(which, prefix.as_bytes(), count))
    }

    /// `luaw_new` + `luaw_close` with no Rust state around them (the floor of creating and
    /// closing a state).
    pub fn __bench_floor_new_close() -> Result<()> {
        ffi::bench_floor_new_close().map_err(Error::from_raw)
    }
}

#[doc(hidden)]
impl Function {
    /// Benchmark support, NOT part of the API: calls the function with one number straight
    /// through `lua_pcall` in C (`luaw_floor_call_ref`) and returns its number result.
    pub fn __bench_floor_call(&self, arg: f64) -> Result<f64> {
        self.0
            .live()?
            .run(|raw| raw.bench_floor_call_ref(self.0.reference(), arg))
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("key", &self.shared.key)
            .field("functions", &self.registered_len())
            .finish_non_exhaustive()
    }
}

impl Drop for State {
    fn drop(&mut self) {
        let status = self.shared.raw.close();
        if status == ffi::LUAW_OK {
            self.shared.closed.set(true);
        }
        if status != ffi::LUAW_OK {
            // Only possible while a call on this state is running, which safe code cannot
            // arrange (the call borrows the state). Leak rather than free memory C still uses.
            debug_assert!(false, "luaw_close failed with status {status}");
            std::mem::forget(Rc::clone(&self.shared));
            return;
        }
        let mut ids: Vec<u64> = self
            .shared
            .names
            .borrow_mut()
            .drain()
            .map(|(_, id)| id)
            .collect();
        ids.append(&mut self.shared.hidden_ids.borrow_mut());
        registry::remove(&self.shared.functions, self.shared.key, ids);
        // Every userdata value still held is dropped now (Luau queues nothing at close):
        // each under its own guard, then the first panic is resumed (unless the thread is
        // unwinding already: then it is dropped, as a second panic would abort).
        let values = self.shared.userdata.borrow_mut().take_all();
        if let Some(payload) = drop_all_guarded(values) {
            if std::thread::panicking() {
                drop_payload(payload);
            } else {
                resume_unwind(payload);
            }
        }
    }
}

/// Drops a panic payload whose own `Drop` may panic: that second panic is caught and its
/// payload leaked (`mem::forget`), so nothing unwinds into C or out of another unwind.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)))
    {
        std::mem::forget(again);
    }
}

/// Drops `values` one at a time, each under its own guard, so every `Drop` runs even when
/// some panic (dropping the whole `Vec` would abort on the second panic). Returns the first
/// panic; later ones are dropped with [`drop_payload`].
pub(crate) fn drop_all_guarded(values: Vec<Rc<dyn Any>>) -> Option<Box<dyn Any + Send>> {
    let mut first = None;
    for value in values {
        if let Err(payload) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(value)))
        {
            if first.is_none() {
                first = Some(payload);
            } else {
                drop_payload(payload);
            }
        }
    }
    first
}

/// A Luau function held by the host (from [`State::load`], [`State::get_function`], or any
/// result or table field): an owned registry reference, tied to its state like a
/// [`Table`](crate::Table) (another state's or a closed state's handle is a clean error). It
/// keeps the function alive until the last clone drops; pass it back to Luau as
/// [`Value::Function`].
#[derive(Clone, PartialEq)]
pub struct Function(pub(crate) Handle);

impl Function {
    /// Calls the function with `args`; returns its results (tables and functions among them
    /// as handles).
    pub fn call(&self, args: &[Value]) -> Result<Vec<Value>> {
        let shared = self.0.live()?;
        check_handles(shared, args)?;
        shared.run(|raw| match stage(shared, raw, args)? {
            None => {
                let base = raw.gettop();
                check_by_value(args)?;
                raw.call_ref(self.0.reference(), args)?;
                read_results(shared, raw, base)
            }
            Some(staged) => {
                let base = raw.gettop();
                raw.call_ref(self.0.reference(), &staged)?;
                read_results(shared, raw, base)
            }
        })
    }

    pub(crate) fn reference(&self) -> i32 {
        self.0.reference()
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Function")
            .field(&self.0.reference())
            .finish()
    }
}

impl From<Function> for Value {
    fn from(f: Function) -> Self {
        Value::Function(f)
    }
}

/// The error of a registration past the registry's capacity (16M live functions per state).
#[cold]
pub(crate) fn too_many() -> Error {
    Error::new(ErrorKind::Memory, "too many host functions registered")
}

fn n_i32(n: usize) -> std::result::Result<i32, RawError> {
    i32::try_from(n).map_err(|_| RawError::new(ffi::LUAW_ERRARG, "too many values"))
}

/// What a nested call calls.
#[derive(Clone, Copy)]
pub(crate) enum Callee<'n> {
    /// A global function by name.
    Global(&'n [u8]),
    /// The function at this stack index (a host function's argument).
    Stack(i32),
}

/// Pushes owned values (handles by reference, checked to be of `shared`), refusing
/// [`Value::Other`] (it has no value to push).
pub(crate) fn push_owned(
    shared: &Shared,
    raw: &RawState,
    args: &[Value],
) -> std::result::Result<(), RawError> {
    check_by_value(args)?;
    push_mixed(shared, raw, args)
}

/// Values held by the host cross by value: a table or function (`Value::Other`) cannot.
fn check_by_value(args: &[Value]) -> std::result::Result<(), RawError> {
    match args.iter().find(|v| matches!(v, Value::Other(_))) {
        Some(bad) => Err(RawError::new(
            ffi::LUAW_ERRARG,
            format!("cannot pass a {} value by value", bad.type_of()),
        )),
        None => Ok(()),
    }
}

/// Reads everything above `base` and pops it; tables and functions become handles.
pub(crate) fn read_results(
    shared: &Shared,
    raw: &RawState,
    base: i32,
) -> std::result::Result<Vec<Value>, RawError> {
    let n = raw.gettop() - base;
    let values = read_values(shared, raw, base + 1, n)?;
    raw.settop(base)?;
    Ok(values)
}

/// Reads the `n` values at `first..` (leaving them); tables and functions become handles.
pub(crate) fn read_values(
    shared: &Shared,
    raw: &RawState,
    first: i32,
    n: i32,
) -> std::result::Result<Vec<Value>, RawError> {
    let mut values: Vec<Value> = raw.read_owned(first, n)?;
    for (i, v) in values.iter_mut().enumerate() {
        if let Value::Other(ty @ (Type::Table | Type::Function | Type::Userdata | Type::Thread)) =
            *v
        {
            let h = Handle::make(shared, raw, first + i as i32)?;
            *v = match ty {
                Type::Table => Value::Table(Table(h)),
                Type::Userdata => Value::UserData(crate::userdata_handle::AnyUserData(h)),
                Type::Thread => Value::Thread(crate::thread_value::ThreadRef(h)),
                _ => Value::Function(Function(h)),
            };
        }
    }
    Ok(values)
}

/// The raw layer's callbacks land here: a Luau -> Rust call goes to the dispatcher of
/// function.rs, a `print` line to the state's sink (containment.rs).
impl ffi::Host for Shared {
    fn raw(&self) -> &RawState {
        &self.raw
    }

    #[inline]
    fn dispatch(&self, frame: ffi::CallFrame<'_>) -> i32 {
        crate::function::dispatch(self, frame)
    }

    fn print(&self, line: &[u8]) {
        crate::containment::print_line(self, line);
    }
}

impl Shared {
    /// This state's `Rc` (for a handle).
    pub(crate) fn rc(&self) -> Rc<Shared> {
        // The Shared is alive (we are in one of its methods), so its Rc is.
        self.me.upgrade().expect("a live Shared has a live Rc")
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Releases registry reference `r` of a dropped handle: at once when no call runs on the
    /// state, else queued for the next outermost call; nothing once the state is closed.
    pub(crate) fn release_ref(&self, r: i32) {
        if self.closed.get() {
            return;
        }
        if self.raw.host_depth() == 0 {
            self.raw.unref(r);
        } else if let Ok(mut q) = self.pending_unrefs.try_borrow_mut() {
            q.push(r);
        }
    }

    #[inline]
    fn release_pending_refs(&self) {
        if self
            .pending_unrefs
            .try_borrow()
            .map_or(true, |q| q.is_empty())
        {
            return;
        }
        let refs = std::mem::take(&mut *self.pending_unrefs.borrow_mut());
        for r in refs {
            self.raw.unref(r);
        }
    }

    /// Runs one operation: restores the stack height afterwards, converts the error, and at
    /// the outermost level forgets the call's host errors and resumes a host panic.
    pub(crate) fn run<T>(
        &self,
        op: impl FnOnce(&RawState) -> std::result::Result<T, RawError>,
    ) -> Result<T> {
        let outermost = self.raw.host_depth() == 0;
        let top = self.raw.gettop();
        let result = op(&self.raw);
        if self.raw.gettop() != top {
            let _ = self.raw.settop(top);
        }
        let result = result.map_err(|raw| self.convert_error(raw));
        if outermost {
            if !self.host_errors.borrow().is_empty() {
                self.host_errors.borrow_mut().clear();
            }
            self.release_pending_refs();
            if self.may_have_released() {
                self.drain_released();
            }
            let panic = self.panic.borrow_mut().take();
            if let Some(payload) = panic {
                resume_unwind(payload);
            }
        }
        result
    }

    fn convert_error(&self, raw: RawError) -> Error {
        if raw.status != ffi::LUAW_ERRHOST {
            return Error::from_raw(raw);
        }
        let (source, traceback) = match (raw.host_token != 0)
            .then(|| {
                self.host_errors
                    .borrow()
                    .iter()
                    .find(|(token, _, _)| *token == raw.host_token)
                    .map(|(_, err, nested)| {
                        (
                            Arc::clone(err),
                            crate::error::join_tracebacks(nested, &raw.traceback),
                        )
                    })
            })
            .flatten()
        {
            Some((err, traceback)) => (Some(err), traceback),
            None => (None, raw.traceback),
        };
        // The message is the host error's own text: what the script saw may carry more (a
        // coroutine.wrap in between prefixes its position, as Luau's auxwrap does).
        let message = match &source {
            Some(err) => err.to_string(),
            None => raw.message,
        };
        Error::Host {
            message,
            traceback,
            source,
        }
    }

    /// Remembers a host error for the rest of the outermost call, with the traceback of the
    /// nested call's error it came from (`""` when none); returns its token.
    pub(crate) fn remember_host_error(
        &self,
        err: Arc<dyn StdError + Send + Sync>,
        nested_traceback: String,
    ) -> u64 {
        let token = self.next_token.get();
        self.next_token.set(token.wrapping_add(1).max(1));
        let mut errors = self.host_errors.borrow_mut();
        if errors.len() >= MAX_PENDING_HOST_ERRORS {
            errors.pop_front();
        }
        errors.push_back((token, err, nested_traceback));
        token
    }

    /// False when Luau's release queue is certainly empty: the store holds no value, so
    /// there is no handle Luau could have released (then draining needs no call into C).
    #[inline]
    pub(crate) fn may_have_released(&self) -> bool {
        self.userdata.try_borrow().map_or(true, |u| u.len() != 0)
    }

    /// Drops the userdata values Luau has collected (outside the GC and outside any borrow).
    pub(crate) fn drain_released(&self) {
        let handles = self.raw.drain_released();
        if handles.is_empty() {
            return;
        }
        let removed = self.userdata.borrow_mut().remove(&handles);
        if let Some(payload) = drop_all_guarded(removed) {
            self.store_panic(payload);
        }
    }

    /// Pushes `registry[r][key]` (the table stays below it); returns the value's index.
    pub(crate) fn push_ref_field(&self, r: i32, key: &[u8]) -> Result<i32> {
        let pushed = self
            .raw
            .push_ref(r)
            .and_then(|()| self.raw.getfield(-1, key));
        pushed.map_err(|raw| self.convert_error(raw))?;
        Ok(self.raw.gettop())
    }

    pub(crate) fn register_type<T: crate::userdata::UserData>(&self) -> Result<()> {
        use crate::userdata::UserDataRegistry;
        let mut reg = UserDataRegistry::<T>::new();
        T::register(&mut reg);
        let type_id = self.userdata.borrow_mut().add_type::<T>();
        let (getters, setters) = reg.take_fields();
        let readable: Vec<String> = getters.keys().cloned().collect();
        let hidden = |f: Rc<HostFn>| -> Result<u64> {
            let id = registry::insert(&self.functions, self.key, f).ok_or_else(too_many)?;
            self.hidden_ids.borrow_mut().push(id);
            Ok(id)
        };
        let methods: Vec<(String, u64)> = reg
            .methods
            .iter()
            .map(|(name, f)| Ok((name.clone(), hidden(Rc::clone(f))?)))
            .collect::<Result<_>>()?;
        let functions: Vec<(String, u64)> = reg
            .functions
            .iter()
            .map(|(name, f)| Ok((name.clone(), hidden(Rc::clone(f))?)))
            .collect::<Result<_>>()?;
        let metas: Vec<(String, u64)> = reg
            .metas
            .iter()
            .filter(|(name, _)| name != "__index" && name != "__newindex")
            .map(|(name, f)| Ok((name.clone(), hidden(Rc::clone(f))?)))
            .collect::<Result<_>>()?;
        let fill = |raw: &RawState, members: &[(String, u64)]| {
            for (name, id) in members {
                raw.push_function(*id, name.as_bytes())?;
                raw.setfield(-2, name.as_bytes())?;
            }
            Ok(())
        };
        // The methods table, kept by reference for the __index handler.
        let methods_ref = self.run(|raw| {
            raw.newtable(0, i32::try_from(methods.len()).unwrap_or(0))?;
            fill(raw, &methods)?;
            raw.make_ref(-1)
        })?;
        let index_id = hidden(UserDataRegistry::<T>::index_handler(getters, methods_ref))?;
        let newindex_id = hidden(UserDataRegistry::<T>::newindex_handler(setters, readable))?;
        self.run(|raw| {
            raw.newtable(0, i32::try_from(metas.len() + 2).unwrap_or(0))?;
            fill(
                raw,
                &[
                    ("__index".to_owned(), index_id),
                    ("__newindex".to_owned(), newindex_id),
                ],
            )?;
            fill(raw, &metas)?;
            raw.set_userdata_type(type_id, T::NAME.as_bytes())?;
            raw.newtable(0, i32::try_from(functions.len()).unwrap_or(0))?;
            fill(raw, &functions)?;
            raw.setglobal(T::NAME.as_bytes())
        })
    }

    pub(crate) fn panic_pending(&self) -> bool {
        self.panic.borrow().is_some()
    }

    /// Keeps the first panic of the outermost call (later ones are dropped, through
    /// [`drop_payload`]: this runs inside the C callback, where no unwind may escape).
    pub(crate) fn store_panic(&self, payload: Box<dyn Any + Send>) {
        let mut slot = self.panic.borrow_mut();
        if slot.is_none() {
            *slot = Some(payload);
            return;
        }
        drop(slot);
        drop_payload(payload);
    }

    pub(crate) fn do_string(&self, src: &[u8], chunkname: &[u8]) -> Result<Vec<Value>> {
        self.seal_if_pending()?;
        self.run(|raw| {
            let base = raw.gettop();
            raw.dostring(src, chunkname)?;
            read_results(self, raw, base)
        })
    }

    pub(crate) fn do_bytecode(&self, chunkname: &str, bytecode: &Bytecode) -> Result<Vec<Value>> {
        self.seal_if_pending()?;
        self.run(|raw| {
            let base = raw.gettop();
            raw.load(chunkname.as_bytes(), bytecode.as_bytes())?;
            raw.run_main(0)?;
            read_results(self, raw, base)
        })
    }

    pub(crate) fn load(&self, chunkname: &str, bytecode: &Bytecode) -> Result<Function> {
        self.seal_if_pending()?;
        self.run(|raw| {
            raw.load(chunkname.as_bytes(), bytecode.as_bytes())?;
            Handle::make(self, raw, raw.gettop()).map(Function)
        })
    }

    pub(crate) fn call_global(&self, name: &[u8], args: &[Value]) -> Result<Vec<Value>> {
        self.seal_if_pending()?;
        check_handles(self, args)?;
        self.run(|raw| match stage(self, raw, args)? {
            None => {
                let base = raw.gettop();
                check_by_value(args)?;
                raw.call_global(name, args)?;
                read_results(self, raw, base)
            }
            Some(staged) => {
                let base = raw.gettop();
                raw.call_global(name, &staged)?;
                read_results(self, raw, base)
            }
        })
    }

    /// Calls the value at stack `index` (a host function's argument) with `args`.
    pub(crate) fn call_stack_value(&self, index: i32, args: &[Value]) -> Result<Vec<Value>> {
        check_handles(self, args)?;
        self.run(|raw| {
            let base = raw.gettop();
            raw.push_values(&[ValueRef::Stack(StackSlot {
                ty: crate::value::Type::Function,
                index,
            })])?;
            push_owned(self, raw, args)?;
            raw.pcall(n_i32(args.len())?)?;
            read_results(self, raw, base)
        })
    }

    /// Calls `callee` with `args` and leaves the results on the stack (for the rest of the
    /// host call that asked); returns (first result index, count).
    pub(crate) fn call_keep(
        &self,
        callee: Callee<'_>,
        args: &[ValueRef<'_>],
    ) -> Result<(i32, i32)> {
        let base = self.raw.gettop();
        let call = || -> std::result::Result<(i32, i32), RawError> {
            match callee {
                Callee::Global(name) => {
                    self.raw.getglobal(name)?;
                }
                Callee::Stack(index) => self.raw.push_values(&[ValueRef::Stack(StackSlot {
                    ty: crate::value::Type::Function,
                    index,
                })])?,
            }
            self.raw.push_values(args)?;
            self.raw.pcall(n_i32(args.len())?)?;
            Ok((base + 1, self.raw.gettop() - base))
        };
        call().map_err(|raw| {
            if self.raw.gettop() != base {
                let _ = self.raw.settop(base);
            }
            self.convert_error(raw)
        })
    }

    /// Pushes a new table and leaves it on the stack (for the rest of the host call that asked
    /// for it); returns its absolute index.
    pub(crate) fn push_new_table(&self, narr: i32, nrec: i32) -> Result<i32> {
        self.raw
            .newtable(narr, nrec)
            .map_err(|raw| self.convert_error(raw))?;
        Ok(self.raw.gettop())
    }

    pub(crate) fn get_global(&self, name: &[u8]) -> Result<Value> {
        self.run(|raw| {
            let base = raw.gettop();
            raw.getglobal(name)?;
            let v = read_results(self, raw, base)?;
            Ok(v.into_iter().next().unwrap_or(Value::Nil))
        })
    }

    pub(crate) fn set_global(&self, name: &[u8], value: &Value) -> Result<()> {
        check_handles(self, std::slice::from_ref(value))?;
        self.run(|raw| {
            push_owned(self, raw, std::slice::from_ref(value))?;
            raw.setglobal(name)
        })
    }

    pub(crate) fn get_function(&self, name: &[u8]) -> Result<Function> {
        self.seal_if_pending()?;
        self.run(|raw| {
            let t = raw.getglobal(name)?;
            if t != ffi::LUAW_TFUNCTION {
                return Err(RawError::new(
                    ffi::LUAW_ERRARG,
                    format!(
                        "global '{}' is a {}, not a function",
                        String::from_utf8_lossy(name),
                        crate::value::Type::from_raw(t)
                    ),
                ));
            }
            Handle::make(self, raw, raw.gettop()).map(Function)
        })
    }

    pub(crate) fn gc_collect(&self) -> Result<()> {
        self.run(|raw| match raw.gc_collect() {
            ffi::LUAW_OK => Ok(()),
            status => Err(RawError::new(status, "garbage collection failed")),
        })
    }

    pub(crate) fn register_func<F, R>(&self, name: &[u8], f: F) -> Result<()>
    where
        F: Fn(&mut CallContext<'_>) -> Result<R> + 'static,
        R: IntoResults,
    {
        let func: Rc<HostFn> = Rc::new(move |ctx: &mut CallContext<'_>| {
            let results = f(ctx)?;
            results.push_results(ctx)
        });
        let id = registry::insert(&self.functions, self.key, func).ok_or_else(too_many)?;
        if let Err(err) = self.run(|raw| raw.register_function(name, id)) {
            registry::remove_one(&self.functions, self.key, id);
            return Err(err);
        }
        // Replacing a name reuses its key (no allocation); a new name is copied once.
        let old = self
            .names
            .borrow_mut()
            .get_mut(name)
            .map(|slot| std::mem::replace(slot, id));
        if old.is_none() {
            self.names.borrow_mut().insert(name.to_vec(), id);
        }
        if let Some(old) = old {
            registry::remove_one(&self.functions, self.key, old);
        }
        Ok(())
    }

    pub(crate) fn unregister_func(&self, name: &[u8]) -> Result<()> {
        let id = self.names.borrow_mut().remove(name).ok_or_else(|| {
            Error::new(
                ErrorKind::Argument,
                format!(
                    "function '{}' is not registered",
                    String::from_utf8_lossy(name)
                ),
            )
        })?;
        registry::remove_one(&self.functions, self.key, id);
        // The global goes too (docs/bindings.md); closures a script kept become stale.
        self.run(|raw| {
            raw.push_values(&[Value::Nil])?;
            raw.setglobal(name)?;
            Ok(())
        })
    }
}
