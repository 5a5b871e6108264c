//! The unsafe raw layer: safe wrappers over the C declarations of [`crate::sys`], and with it
//! the only module of this crate with raw pointers or `unsafe`.
//!
//! It imports nothing from the crate but `sys` (`crate::layering_tests` checks it). The safe
//! API above sees:
//! - [`RawState`]: an owned `luaw_State*` whose methods are safe because the wrapper validates
//!   every index and never raises (bad input gives a status, not undefined behaviour);
//! - [`CallFrame`]: one host call in progress (the trampoline's `luaw_Call`), with its
//!   arguments borrowed from Luau for the call's lifetime;
//! - [`RawValue`]: a `luaw_Value` read or written without `unsafe`; the safe layer converts
//!   its own values through [`AsRaw`] and [`FromRaw`];
//! - [`Host`]: what the two `extern "C"` callbacks (the dispatcher and the print sink) call,
//!   implemented by the state above.
//!
//! Strings the wrapper returns "state-owned, valid until the next call" are copied out before
//! any other call on the state is made.
#![allow(non_camel_case_types, unsafe_code)]

use std::ffi::{c_char, CStr};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::rc::Rc;

use crate::sys::*;
// The wrapper's status, type and callback constants, for the safe layer.
pub(crate) use crate::sys::{
    EXPECTED_MAX_CSTACK, EXPECTED_VECTOR_SIZE, LUAW_ABI_VERSION, LUAW_CB_ERROR, LUAW_CB_OK,
    LUAW_CB_PANIC, LUAW_CB_YIELD, LUAW_ERRABI, LUAW_ERRARG, LUAW_ERRBUSY, LUAW_ERRERR,
    LUAW_ERRHOST, LUAW_ERRINTERRUPT, LUAW_ERRMEM, LUAW_ERRPANIC, LUAW_ERRRUN, LUAW_ERRSYNTAX,
    LUAW_OK, LUAW_RESOLVE_CONFIG, LUAW_STOP_CANCEL, LUAW_STOP_DEADLINE, LUAW_TBOOLEAN,
    LUAW_TBUFFER, LUAW_TFUNCTION, LUAW_THREAD_FINISHED, LUAW_THREAD_RUNNING, LUAW_THREAD_SUSPENDED,
    LUAW_TINTEGER, LUAW_TLIGHTUSERDATA, LUAW_TNIL, LUAW_TNONE, LUAW_TNUMBER, LUAW_TSTRING,
    LUAW_TTABLE, LUAW_TTHREAD, LUAW_TUSERDATA, LUAW_TVECTOR, LUAW_YIELD,
};

/// A value as the wrapper carries it (a `luaw_Value`), without `unsafe`: scalars by value,
/// strings borrowed (from the Luau stack or the caller), any other type by its type
/// (`LUAW_T*`) and absolute stack index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RawValue<'a> {
    Nil,
    Boolean(bool),
    Number(f64),
    Integer(i64),
    Vector([f32; 3]),
    String(&'a [u8]),
    Stack { type_: i32, index: i32 },
}

/// A value of the safe layer as a [`RawValue`] (borrowing its strings).
pub(crate) trait AsRaw {
    fn as_raw(&self) -> RawValue<'_>;
}

impl AsRaw for RawValue<'_> {
    #[inline]
    fn as_raw(&self) -> RawValue<'_> {
        *self
    }
}

/// A value of the safe layer made from a [`RawValue`] (copying its strings).
pub(crate) trait FromRaw: Sized {
    fn from_raw(v: RawValue<'_>) -> Self;
}

/// What the wrapper's callbacks call: implemented by the state's shared part, which owns the
/// [`RawState`] and sits in an `Rc` (a fixed address) for as long as the C state lives.
pub(crate) trait Host {
    fn raw(&self) -> &RawState;
    /// One Luau -> host call; returns a `LUAW_CB_*` code and must never unwind.
    fn dispatch(&self, frame: CallFrame<'_>) -> i32;
    /// One line of `print` (while a print sink is set); must never unwind.
    fn print(&self, line: &[u8]);
}

// ---------------------------------------------------------------------------------------------
// Build facts
// ---------------------------------------------------------------------------------------------

/// Build facts of the linked wrapper (`luaw_build_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildInfo {
    /// The wrapper's ABI version.
    pub abi_version: u32,
    /// `LUAI_MAXCSTACK`.
    pub max_cstack: i32,
    /// `LUA_VECTOR_SIZE`.
    pub vector_size: i32,
    /// Luau errors are `longjmp` (true) or C++ exceptions (false).
    pub uses_longjmp: bool,
    /// Luau's internal asserts are compiled in.
    pub asserts_enabled: bool,
    /// The Luau release, e.g. `"0.745"`.
    pub luau_version: String,
}

/// The linked wrapper's build facts.
pub fn build_info() -> BuildInfo {
    let mut raw = luaw_BuildInfo {
        abi_version: 0,
        max_cstack: 0,
        vector_size: 0,
        uses_longjmp: 0,
        asserts_enabled: 0,
        luau_version: ptr::null(),
    };
    // SAFETY: `raw` is a valid, writable luaw_BuildInfo; the call only fills it in.
    unsafe { luaw_build_info(&mut raw) };
    let luau_version = if raw.luau_version.is_null() {
        String::new()
    } else {
        // SAFETY: the wrapper documents luau_version as a static NUL-terminated string.
        unsafe { CStr::from_ptr(raw.luau_version) }
            .to_string_lossy()
            .into_owned()
    };
    BuildInfo {
        abi_version: raw.abi_version,
        max_cstack: raw.max_cstack,
        vector_size: raw.vector_size,
        uses_longjmp: raw.uses_longjmp != 0,
        asserts_enabled: raw.asserts_enabled != 0,
        luau_version,
    }
}

/// `luaw_abi_version()` of the linked library.
pub(crate) fn library_abi_version() -> u32 {
    // SAFETY: a pure getter without arguments.
    unsafe { luaw_abi_version() }
}

// ---------------------------------------------------------------------------------------------
// Errors as the wrapper reports them, copied out at once
// ---------------------------------------------------------------------------------------------

/// A failed wrapper call: status, message, traceback and host token, owned.
#[derive(Debug, Clone)]
pub(crate) struct RawError {
    pub status: i32,
    pub message: String,
    pub traceback: String,
    pub host_token: u64,
}

impl RawError {
    pub(crate) fn new(status: i32, message: impl Into<String>) -> Self {
        RawError {
            status,
            message: message.into(),
            traceback: String::new(),
            host_token: 0,
        }
    }
}

fn empty_error() -> luaw_Error {
    luaw_Error {
        status: LUAW_OK,
        message: ptr::null(),
        message_len: 0,
        traceback: ptr::null(),
        traceback_len: 0,
        host_token: 0,
    }
}

/// Copies `len` bytes at `ptr` (NULL allowed when `len` is 0).
///
/// # Safety
/// `ptr` must be NULL or valid for reads of `len` bytes for the duration of the call.
unsafe fn copy_bytes(ptr: *const c_char, len: usize) -> Vec<u8> {
    if ptr.is_null() || len == 0 {
        return Vec::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) }.to_vec()
}

/// Turns `status` + the filled `err` into `Result`, copying the state-owned strings.
fn check(status: i32, err: &luaw_Error) -> Result<(), RawError> {
    if status == LUAW_OK {
        return Ok(());
    }
    // SAFETY: on failure the wrapper points message/traceback at buffers valid until the next
    // call on the state (or static text); no other call happens before these copies. A wrapper
    // that failed without filling `err` leaves the NULL/0 pair of `empty_error`.
    let (message, traceback) = unsafe {
        (
            copy_bytes(err.message, err.message_len),
            copy_bytes(err.traceback, err.traceback_len),
        )
    };
    let mut message = String::from_utf8_lossy(&message).into_owned();
    if message.is_empty() {
        message = format!("luau wrapper call failed with status {status}");
    }
    Err(RawError {
        status,
        message,
        traceback: String::from_utf8_lossy(&traceback).into_owned(),
        host_token: err.host_token,
    })
}

/// A status-only failure (calls without a luaw_Error).
fn check_status(status: i32, what: &str) -> Result<(), RawError> {
    if status == LUAW_OK {
        Ok(())
    } else {
        Err(RawError::new(status, format!("{what} failed")))
    }
}

// ---------------------------------------------------------------------------------------------
// Compile (no state needed)
// ---------------------------------------------------------------------------------------------

/// Memory handed over by the wrapper, freed with `luaw_free`.
struct WrapperBuf {
    ptr: *mut c_char,
    len: usize,
}

impl WrapperBuf {
    fn to_vec(&self) -> Vec<u8> {
        // SAFETY: ptr/len describe the buffer luaw_compile returned (or NULL/0).
        unsafe { copy_bytes(self.ptr, self.len) }
    }
}

impl Drop for WrapperBuf {
    fn drop(&mut self) {
        // SAFETY: the buffer came from luaw_compile ("caller frees with luaw_free"); NULL is ok.
        unsafe { luaw_free(self.ptr.cast()) }
    }
}

/// `luaw_compile`: Ok(bytecode) or Err(status, message bytes).
pub(crate) fn compile(
    src: &[u8],
    optimization_level: i32,
    debug_level: i32,
) -> Result<Vec<u8>, RawError> {
    let opts = luaw_CompileOptions {
        optimization_level,
        debug_level,
    };
    let mut buf = WrapperBuf {
        ptr: ptr::null_mut(),
        len: 0,
    };
    // SAFETY: src is a valid slice; opts and the out pointers point at live locals.
    let status = unsafe {
        luaw_compile(
            src.as_ptr().cast(),
            src.len(),
            &opts,
            &mut buf.ptr,
            &mut buf.len,
        )
    };
    match status {
        LUAW_OK => Ok(buf.to_vec()),
        LUAW_ERRSYNTAX => Err(RawError::new(
            status,
            String::from_utf8_lossy(&buf.to_vec()).into_owned(),
        )),
        LUAW_ERRMEM => Err(RawError::new(status, "not enough memory")),
        _ => Err(RawError::new(status, "luaw_compile rejected its arguments")),
    }
}

// ---------------------------------------------------------------------------------------------
// The state
// ---------------------------------------------------------------------------------------------

/// How many values calls convert on the stack rather than in a Vec.
const SMALL: usize = 8;

/// Runs `f` on `values` converted to C values: the common few on the stack, no allocation.
fn with_raw_values<V: AsRaw, T>(
    values: &[V],
    f: impl FnOnce(&[luaw_Value]) -> Result<T, RawError>,
) -> Result<T, RawError> {
    if values.len() <= SMALL {
        let mut raw = [raw_nil(); SMALL];
        for (slot, v) in raw.iter_mut().zip(values) {
            *slot = to_raw_value(&v.as_raw());
        }
        return f(&raw[..values.len()]);
    }
    let raw: Vec<luaw_Value> = values.iter().map(|v| to_raw_value(&v.as_raw())).collect();
    f(&raw)
}

fn count_i32(n: usize) -> Result<i32, RawError> {
    i32::try_from(n).map_err(|_| RawError::new(LUAW_ERRARG, "too many values"))
}

/// An owned `luaw_State*`. Not Send and not Sync (the pointer makes sure of that).
///
/// Every method is safe: the wrapper accepts any index (a bad one gives `LUAW_ERRARG`), never
/// raises, and every pointer passed comes from a live Rust slice or local.
pub(crate) struct RawState {
    ptr: NonNull<luaw_State>,
    /// Bytes a conversion of values to Rust may produce (see `read_owned`).
    result_budget: std::cell::Cell<usize>,
}

impl RawState {
    /// `luaw_new`; the status on failure.
    pub(crate) fn new(memory_limit: usize, open_libs: bool) -> Result<RawState, i32> {
        let opts = luaw_Options {
            abi_version: LUAW_ABI_VERSION,
            memory_limit,
            open_libs: i32::from(open_libs),
        };
        let mut status = LUAW_OK;
        // SAFETY: opts and status are live locals.
        let ptr = unsafe { luaw_new(&opts, &mut status) };
        match NonNull::new(ptr) {
            Some(ptr) => Ok(RawState {
                ptr,
                result_budget: std::cell::Cell::new(result_budget(memory_limit)),
            }),
            None => Err(if status == LUAW_OK {
                LUAW_ERRMEM
            } else {
                status
            }),
        }
    }

    fn s(&self) -> *mut luaw_State {
        self.ptr.as_ptr()
    }

    /// `luaw_close`. On `LUAW_ERRBUSY` nothing was closed.
    pub(crate) fn close(&self) -> i32 {
        // SAFETY: the pointer is live; after LUAW_OK the owner (State's Drop) never uses it
        // again.
        unsafe { luaw_close(self.s()) }
    }

    /// Installs [`dispatch`] for the state `host` owns, with `host` as its context. The `Rc`
    /// keeps the host at a fixed address; any call that can dispatch goes through
    /// `host.raw()`, so the host is alive whenever the dispatcher runs.
    pub(crate) fn install_dispatch<H: Host>(host: &Rc<H>) {
        let raw = host.raw();
        let host_ctx = Rc::as_ptr(host) as usize;
        // SAFETY: live state; dispatch is a plain extern "C" fn that never unwinds, and
        // host_ctx is valid whenever it runs (see above).
        unsafe { luaw_set_dispatch(raw.s(), Some(dispatch::<H>), host_ctx) }
    }

    pub(crate) fn memory_used(&self) -> usize {
        // SAFETY: live state.
        unsafe { luaw_memory_used(self.s()) }
    }

    pub(crate) fn gc_collect(&self) -> i32 {
        // SAFETY: live state.
        unsafe { luaw_gc_collect(self.s()) }
    }

    pub(crate) fn set_memory_limit(&self, bytes: usize) {
        self.result_budget.set(result_budget(bytes));
        // SAFETY: live state.
        unsafe { luaw_set_memory_limit(self.s(), bytes) }
    }

    pub(crate) fn host_depth(&self) -> i32 {
        // SAFETY: live state.
        unsafe { luaw_host_depth(self.s()) }
    }

    pub(crate) fn gettop(&self) -> i32 {
        // SAFETY: live state.
        unsafe { luaw_gettop(self.s()) }
    }

    pub(crate) fn settop(&self, idx: i32) -> Result<(), RawError> {
        // SAFETY: live state; any idx is validated by the wrapper.
        check_status(unsafe { luaw_settop(self.s(), idx) }, "luaw_settop")
    }

    /// `luaw_load`: pushes the chunk as a function.
    pub(crate) fn load(&self, chunkname: &[u8], bytecode: &[u8]) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; both slices are valid for the call; err is a live local.
        let status = unsafe {
            luaw_load(
                self.s(),
                chunkname.as_ptr().cast(),
                chunkname.len(),
                bytecode.as_ptr().cast(),
                bytecode.len(),
                &mut err,
            )
        };
        check(status, &err)
    }

    /// `luaw_pcall` keeping all results.
    pub(crate) fn pcall(&self, nargs: i32) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local.
        let status = unsafe { luaw_pcall(self.s(), nargs, LUAW_MULTRET, &mut err) };
        check(status, &err)
    }

    /// `luaw_run`: the function below `nargs` values runs as a main chunk; the results stay
    /// on the stack; returns how many.
    pub(crate) fn run_main(&self, nargs: i32) -> Result<i32, RawError> {
        let mut err = empty_error();
        let mut nresults = 0;
        // SAFETY: live state; the out pointers are live locals.
        let status = unsafe { luaw_run(self.s(), nargs, &mut nresults, &mut err) };
        check(status, &err).map(|()| nresults)
    }

    /// `luaw_dostring`: the results stay on the stack; returns how many.
    pub(crate) fn dostring(&self, src: &[u8], chunkname: &[u8]) -> Result<i32, RawError> {
        let mut err = empty_error();
        let mut nresults = 0;
        // SAFETY: live state; slices valid for the call; out pointers are live locals.
        let status = unsafe {
            luaw_dostring(
                self.s(),
                src.as_ptr().cast(),
                src.len(),
                chunkname.as_ptr().cast(),
                chunkname.len(),
                &mut nresults,
                &mut err,
            )
        };
        check(status, &err).map(|()| nresults)
    }

    /// Reads n values at first.. as the wrapper reports them (strings borrowed from Luau).
    fn read_raw(&self, first: i32, n: i32) -> Result<Vec<luaw_Value>, RawError> {
        let count = usize::try_from(n).unwrap_or(0);
        let mut raw: Vec<luaw_Value> = Vec::with_capacity(count);
        // SAFETY: live state; raw has room for n values; the wrapper writes exactly n on
        // success (it validates first/n against the stack).
        let status = unsafe { luaw_read_values(self.s(), first, n, raw.as_mut_ptr()) };
        check_status(status, "luaw_read_values")?;
        // SAFETY: on LUAW_OK the wrapper initialised all n entries.
        unsafe { raw.set_len(count) };
        Ok(raw)
    }

    /// `(type_id, handle)` of the host userdata at `idx` (type_id 0 for a userdata the
    /// wrapper did not create); an argument error for a value that is not a userdata.
    pub(crate) fn userdata_ids(&self, idx: i32) -> Result<(u32, u64), RawError> {
        let v = self.read_raw(idx, 1)?[0];
        if v.type_ != LUAW_TUSERDATA {
            return Err(RawError::new(LUAW_ERRARG, "the value is not a userdata"));
        }
        // SAFETY: the wrapper sets `u.userdata` for LUAW_TUSERDATA values it reads.
        let ud = unsafe { v.u.userdata };
        Ok((ud.type_id, ud.handle))
    }

    /// Reads the values at `first .. first + n` as owned values.
    pub(crate) fn read_owned<T: FromRaw>(&self, first: i32, n: i32) -> Result<Vec<T>, RawError> {
        if let Ok(count @ 0..=SMALL) = usize::try_from(n) {
            // The common few results: read into the stack, one allocation (the Vec returned).
            let mut raw = [raw_nil(); SMALL];
            // SAFETY: live state; raw has room for n <= SMALL values; the wrapper writes
            // exactly n on success (it validates first/n against the stack).
            let status = unsafe { luaw_read_values(self.s(), first, n, raw.as_mut_ptr()) };
            check_status(status, "luaw_read_values")?;
            self.check_small_budget::<T>(&raw[..count])?;
            // SAFETY: the values were just read and stay on the stack while we copy them.
            return Ok(raw[..count]
                .iter()
                .map(|v| unsafe { owned_value(v) })
                .collect());
        }
        self.check_count::<T>(n)?;
        let raw = self.read_raw(first, n)?;
        self.check_budget::<T>(&raw)?;
        // SAFETY: the values were just read and stay on the stack while we copy them.
        Ok(raw.iter().map(|v| unsafe { owned_value(v) }).collect())
    }

    /// Pushes values (strings copied by Luau).
    pub(crate) fn push_values<V: AsRaw>(&self, values: &[V]) -> Result<(), RawError> {
        with_raw_values(values, |raw| self.push_raw(raw))
    }

    /// `luaw_call_ref`: calls the function held by `r` with `args` in one wrapper call; all
    /// results stay on the stack (on failure the stack is as before).
    pub(crate) fn call_ref<V: AsRaw>(&self, r: i32, args: &[V]) -> Result<(), RawError> {
        with_raw_values(args, |raw| {
            let n = count_i32(raw.len())?;
            let mut err = empty_error();
            let mut nres = 0;
            // SAFETY: live state; raw's strings borrow from `args` (alive for the call) and
            // Luau copies them while pushing; out pointers are live locals.
            let status = unsafe {
                luaw_call_ref(
                    self.s(),
                    r,
                    raw.as_ptr(),
                    n,
                    LUAW_MULTRET,
                    &mut nres,
                    &mut err,
                )
            };
            check(status, &err)
        })
    }

    /// `luaw_call_ref` with the results decoded in place: calls the function held by `r`
    /// with `args` for exactly `count` (<= `N`) results (Luau pads with nil and drops the
    /// rest), hands `decode` those (strings borrowed from the stack for the duration of
    /// `decode`; entries past `count` nil) and pops them. No allocation for up to [`SMALL`]
    /// arguments.
    #[inline]
    pub(crate) fn call_ref_decode<V: AsRaw, T, const N: usize>(
        &self,
        r: i32,
        args: &[V],
        count: usize,
        decode: impl FnOnce(&[RawValue<'_>; N]) -> Result<T, RawError>,
    ) -> Result<T, RawError> {
        let count = count.min(N);
        let mut raw = [raw_nil(); N];
        let mut out = luaw_CallResult::default();
        with_raw_values(args, |args| {
            let n = count_i32(args.len())?;
            let mut err = empty_error();
            // SAFETY: live state; args' strings borrow from the caller (alive for the call)
            // and Luau copies them; raw has room for count <= N values; out pointers are
            // live locals.
            let status = unsafe {
                luaw_call_ref_read(
                    self.s(),
                    r,
                    args.as_ptr(),
                    n,
                    count as i32,
                    raw.as_mut_ptr(),
                    count as i32,
                    &mut out,
                    &mut err,
                )
            };
            check(status, &err)
        })?;
        let mut views = [RawValue::Nil; N];
        for (view, v) in views.iter_mut().zip(&raw[..out.nread as usize]) {
            // SAFETY: the values stay on the stack (unless popped: then they are all
            // carried by value) until the settop below, after decode.
            *view = unsafe { borrowed_value(v) };
        }
        let decoded = decode(&views);
        if out.popped == 0 {
            self.settop(out.base)?;
        }
        decoded
    }

    /// Reads the `n` values at `first..` (at most `N`; entries past them nil) and hands
    /// `decode` views of them (strings borrowed from the stack, which the values stay on).
    /// Nothing allocated.
    #[inline]
    pub(crate) fn read_decode<T, const N: usize>(
        &self,
        first: i32,
        n: i32,
        decode: impl FnOnce(&[RawValue<'_>; N]) -> Result<T, RawError>,
    ) -> Result<T, RawError> {
        let count = usize::try_from(n).unwrap_or(0).min(N);
        let mut raw = [raw_nil(); N];
        // SAFETY: live state; raw has room for count <= N values; the wrapper validates
        // first/count against the stack and writes exactly count on success.
        let status = unsafe { luaw_read_values(self.s(), first, count as i32, raw.as_mut_ptr()) };
        check_status(status, "luaw_read_values")?;
        let mut views = [RawValue::Nil; N];
        for (view, v) in views.iter_mut().zip(&raw[..count]) {
            // SAFETY: the values stay on the stack while decode runs (the caller pops them).
            *view = unsafe { borrowed_value(v) };
        }
        decode(&views)
    }

    /// `luaw_call_global`: the same for the global function `name`.
    pub(crate) fn call_global<V: AsRaw>(&self, name: &[u8], args: &[V]) -> Result<(), RawError> {
        with_raw_values(args, |raw| {
            let n = count_i32(raw.len())?;
            let mut err = empty_error();
            let mut nres = 0;
            // SAFETY: live state; name and raw's strings borrow from the caller (alive for the
            // call) and Luau copies them; out pointers are live locals.
            let status = unsafe {
                luaw_call_global(
                    self.s(),
                    name.as_ptr().cast(),
                    name.len(),
                    raw.as_ptr(),
                    n,
                    LUAW_MULTRET,
                    &mut nres,
                    &mut err,
                )
            };
            check(status, &err)
        })
    }

    fn push_raw(&self, raw: &[luaw_Value]) -> Result<(), RawError> {
        let n = count_i32(raw.len())?;
        let mut err = empty_error();
        // SAFETY: live state; raw's strings borrow from `values` (alive for the call), and
        // Luau copies them while pushing.
        let status = unsafe { luaw_push_values(self.s(), raw.as_ptr(), n, &mut err) };
        check(status, &err)
    }

    /// `tostring()` of the value at idx (with `__tostring`); the pushed string is popped again.
    pub(crate) fn tostring(&self, idx: i32) -> Result<Vec<u8>, RawError> {
        let mut err = empty_error();
        let mut p: *const c_char = ptr::null();
        let mut len = 0usize;
        // SAFETY: live state; out pointers are live locals.
        let status = unsafe { luaw_tostring(self.s(), idx, &mut p, &mut len, &mut err) };
        check(status, &err)?;
        // SAFETY: the string is on top of the stack until the settop below.
        let bytes = unsafe { copy_bytes(p, len) };
        self.settop(-2)?;
        Ok(bytes)
    }

    /// Pushes global `name`; returns its type.
    pub(crate) fn getglobal(&self, name: &[u8]) -> Result<i32, RawError> {
        let mut err = empty_error();
        let mut t = LUAW_TNIL;
        // SAFETY: live state; name valid for the call; out pointers are live locals.
        let status =
            unsafe { luaw_getglobal(self.s(), name.as_ptr().cast(), name.len(), &mut t, &mut err) };
        check(status, &err).map(|()| t)
    }

    /// Pops the top value into global `name`.
    pub(crate) fn setglobal(&self, name: &[u8]) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; name valid for the call; err is a live local.
        let status =
            unsafe { luaw_setglobal(self.s(), name.as_ptr().cast(), name.len(), &mut err) };
        check(status, &err)
    }

    /// Pushes a new table.
    pub(crate) fn newtable(&self, narr: i32, nrec: i32) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local.
        let status = unsafe { luaw_newtable(self.s(), narr, nrec, &mut err) };
        check(status, &err)
    }

    /// Pushes `t[key]` for the table at idx (metamethods run, protected); returns its type.
    pub(crate) fn getfield(&self, idx: i32, key: &[u8]) -> Result<i32, RawError> {
        let mut err = empty_error();
        let mut t = LUAW_TNIL;
        // SAFETY: live state; key valid for the call; out pointers are live locals.
        let status = unsafe {
            luaw_getfield(
                self.s(),
                idx,
                key.as_ptr().cast(),
                key.len(),
                &mut t,
                &mut err,
            )
        };
        check(status, &err).map(|()| t)
    }

    /// Pops the top value into `t[key]` for the table at idx.
    pub(crate) fn setfield(&self, idx: i32, key: &[u8]) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; key valid for the call; err is a live local.
        let status =
            unsafe { luaw_setfield(self.s(), idx, key.as_ptr().cast(), key.len(), &mut err) };
        check(status, &err)
    }

    /// Pushes `t[i]`; returns its type.
    pub(crate) fn geti(&self, idx: i32, i: i64) -> Result<i32, RawError> {
        let mut err = empty_error();
        let mut t = LUAW_TNIL;
        // SAFETY: live state; out pointers are live locals.
        let status = unsafe { luaw_geti(self.s(), idx, i, &mut t, &mut err) };
        check(status, &err).map(|()| t)
    }

    /// Pops the top value into `t[i]`.
    pub(crate) fn seti(&self, idx: i32, i: i64) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local.
        let status = unsafe { luaw_seti(self.s(), idx, i, &mut err) };
        check(status, &err)
    }

    pub(crate) fn rawlen(&self, idx: i32) -> Result<usize, RawError> {
        let mut len = 0usize;
        // SAFETY: live state; len is a live local.
        let status = unsafe { luaw_rawlen(self.s(), idx, &mut len) };
        check_status(status, "luaw_rawlen").map(|()| len)
    }

    /// `lua_next`: pops the key; pushes the next key and value and returns true, or false.
    pub(crate) fn next(&self, idx: i32) -> Result<bool, RawError> {
        let mut err = empty_error();
        let mut more = 0;
        // SAFETY: live state; out pointers are live locals.
        let status = unsafe { luaw_next(self.s(), idx, &mut more, &mut err) };
        check(status, &err).map(|()| more != 0)
    }

    /// Stores global `name` = a host function with `function_id`.
    pub(crate) fn register_function(&self, name: &[u8], function_id: u64) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; name valid for the call (the wrapper copies it).
        let status = unsafe {
            luaw_register_function(
                self.s(),
                name.as_ptr().cast(),
                name.len(),
                function_id,
                &mut err,
            )
        };
        check(status, &err)
    }

    /// Pushes a host function with `function_id`, named `name` in messages.
    pub(crate) fn push_function(&self, function_id: u64, name: &[u8]) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; name valid for the call (the wrapper copies it).
        let status = unsafe {
            luaw_push_function(
                self.s(),
                function_id,
                name.as_ptr().cast(),
                name.len(),
                &mut err,
            )
        };
        check(status, &err)
    }

    /// Pops a table and installs it as the metatable of userdata `type_id`, named `name`.
    pub(crate) fn set_userdata_type(&self, type_id: u32, name: &[u8]) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; name valid for the call (the wrapper copies it).
        let status = unsafe {
            luaw_set_userdata_type(
                self.s(),
                type_id,
                name.as_ptr().cast(),
                name.len(),
                &mut err,
            )
        };
        check(status, &err)
    }

    /// Takes the handles of host userdata Luau has collected since the last call.
    pub(crate) fn drain_released(&self) -> Vec<u64> {
        // SAFETY: live state.
        let n = unsafe { luaw_released_count(self.s()) };
        if n == 0 {
            return Vec::new();
        }
        let mut out: Vec<u64> = Vec::with_capacity(n);
        // SAFETY: out has room for n handles; the wrapper writes at most cap = n.
        let got = unsafe { luaw_drain_released(self.s(), out.as_mut_ptr(), n) };
        // SAFETY: the wrapper initialised `got` <= n entries.
        unsafe { out.set_len(got.min(n)) };
        out
    }

    /// A registry reference to the value at idx.
    pub(crate) fn make_ref(&self, idx: i32) -> Result<i32, RawError> {
        let mut err = empty_error();
        let mut r = 0;
        // SAFETY: live state; out pointers are live locals.
        let status = unsafe { luaw_ref(self.s(), idx, &mut r, &mut err) };
        check(status, &err).map(|()| r)
    }

    pub(crate) fn push_ref(&self, r: i32) -> Result<(), RawError> {
        // SAFETY: live state; the wrapper rejects refs <= 0.
        check_status(unsafe { luaw_push_ref(self.s(), r) }, "luaw_push_ref")
    }

    /// `luaw_table_get`: the key on top is replaced by `t[key]` of the table at `idx`
    /// (`raw`: no metamethods); returns the value's type. On failure the key is popped.
    pub(crate) fn table_get(&self, idx: i32, raw: bool) -> Result<i32, RawError> {
        let mut err = empty_error();
        let mut t = LUAW_TNIL;
        // SAFETY: live state; out pointers are live locals; the wrapper validates idx.
        let status = unsafe { luaw_table_get(self.s(), idx, i32::from(raw), &mut t, &mut err) };
        check(status, &err).map(|()| t)
    }

    /// `luaw_table_set`: pops key and value (value on top) into the table at `idx`.
    pub(crate) fn table_set(&self, idx: i32, raw: bool) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local; the wrapper validates idx.
        let status = unsafe { luaw_table_set(self.s(), idx, i32::from(raw), &mut err) };
        check(status, &err)
    }

    /// `luaw_topointer`: the identity of the reference value at `idx` (0 for others).
    pub(crate) fn topointer(&self, idx: i32) -> usize {
        // SAFETY: live state; the wrapper validates idx and never dereferences.
        unsafe { luaw_topointer(self.s(), idx) }
    }

    pub(crate) fn unref(&self, r: i32) {
        // SAFETY: live state; the wrapper ignores refs <= 0.
        unsafe { luaw_unref(self.s(), r) }
    }
}

// ---------------------------------------------------------------------------------------------
// Modules: require-by-string (luau_wrapper.h "Modules"), used by require.rs
// ---------------------------------------------------------------------------------------------

impl RawState {
    /// `luaw_set_require`: installs require resolving through host function `resolver_id`.
    pub(crate) fn set_require(&self, resolver_id: u64) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local.
        let status = unsafe { luaw_set_require(self.s(), resolver_id, &mut err) };
        check(status, &err)
    }

    /// `luaw_register_module`: pops the top value and registers it as module `name`.
    pub(crate) fn register_module(&self, name: &[u8]) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; name valid for the call (the wrapper copies it).
        let status =
            unsafe { luaw_register_module(self.s(), name.as_ptr().cast(), name.len(), &mut err) };
        check(status, &err)
    }
}

// ---------------------------------------------------------------------------------------------
// Benchmark support (NOT part of the API): the raw C floor of luau/c/luau_bench_floor.h
// ---------------------------------------------------------------------------------------------

/// Benchmark-only entry points to the floor functions compiled into the wrapper (raw
/// `lua_CFunction`s: no trampoline, no Rust). Used by `rust/bench`; hidden from the docs,
/// not covered by semver, never needed by an embedder.
impl RawState {
    /// `luaw_floor_register`: global `name` = raw C floor function `which`.
    pub(crate) fn bench_floor_register(&self, which: i32, name: &[u8]) -> Result<(), RawError> {
        // SAFETY: live state; name is valid for the call (the wrapper copies it into Luau).
        let status =
            unsafe { luaw_floor_register(self.s(), which, name.as_ptr().cast(), name.len()) };
        check_status(status, "luaw_floor_register")
    }

    /// `luaw_floor_register_many`: globals `<prefix>1 .. <prefix>count` in one C call.
    pub(crate) fn bench_floor_register_many(
        &self,
        which: i32,
        prefix: &[u8],
        count: i32,
    ) -> Result<(), RawError> {
        // SAFETY: live state; prefix is valid for the call (the wrapper copies it).
        let status = unsafe {
            luaw_floor_register_many(self.s(), which, prefix.as_ptr().cast(), prefix.len(), count)
        };
        check_status(status, "luaw_floor_register_many")
    }

    /// `luaw_floor_call_ref`: calls the function held by registry ref `r` with one number
    /// straight through `lua_pcall`; returns its number result.
    pub(crate) fn bench_floor_call_ref(&self, r: i32, arg: f64) -> Result<f64, RawError> {
        let mut result = 0.0;
        // SAFETY: live state; the wrapper rejects refs <= 0; result is a live local.
        let status = unsafe { luaw_floor_call_ref(self.s(), r, arg, &mut result) };
        check_status(status, "luaw_floor_call_ref").map(|()| result)
    }

    /// `luaw_floor_resume_ref`: resumes the thread held by registry ref `r` with one number
    /// straight through `lua_resume`; returns the number it yielded.
    pub(crate) fn bench_floor_resume_ref(&self, r: i32, arg: f64) -> Result<f64, RawError> {
        let mut yielded = 0.0;
        // SAFETY: live state; the wrapper rejects refs <= 0; yielded is a live local.
        let status = unsafe { luaw_floor_resume_ref(self.s(), r, arg, &mut yielded) };
        check_status(status, "luaw_floor_resume_ref").map(|()| yielded)
    }
}

/// The floor of `new_state_close`: `luaw_new` (standard libraries) then `luaw_close`, with
/// no Rust state around it. Benchmark support only.
pub(crate) fn bench_floor_new_close() -> Result<(), RawError> {
    let raw = RawState::new(0, true).map_err(|status| RawError::new(status, "luaw_new failed"))?;
    check_status(raw.close(), "luaw_close")
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// Copies a value read from the stack into an owned value of the safe layer.
///
/// # Safety
/// A string's pointer must be valid for its length (it is while the value is on the stack).
unsafe fn owned_value<T: FromRaw>(v: &luaw_Value) -> T {
    // SAFETY: guaranteed by the caller, for as long as this call (the copy is made at once).
    T::from_raw(unsafe { borrowed_value(v) })
}

/// Borrows a value the wrapper read from the stack.
///
/// # Safety
/// A string's pointer must be valid for its length for `'a`.
#[inline]
unsafe fn borrowed_value<'a>(v: &luaw_Value) -> RawValue<'a> {
    match v.type_ {
        LUAW_TNIL | LUAW_TNONE => RawValue::Nil,
        // SAFETY: the wrapper sets `u.boolean` for LUAW_TBOOLEAN.
        LUAW_TBOOLEAN => RawValue::Boolean(unsafe { v.u.boolean } != 0),
        // SAFETY: the wrapper sets `u.number` for LUAW_TNUMBER.
        LUAW_TNUMBER => RawValue::Number(unsafe { v.u.number }),
        // SAFETY: the wrapper sets `u.integer` for LUAW_TINTEGER.
        LUAW_TINTEGER => RawValue::Integer(unsafe { v.u.integer }),
        LUAW_TVECTOR => {
            // SAFETY: the wrapper sets `u.vector` for LUAW_TVECTOR.
            let f = unsafe { v.u.vector };
            RawValue::Vector([f[0], f[1], f[2]])
        }
        LUAW_TSTRING => {
            // SAFETY: the wrapper sets `u.string` for LUAW_TSTRING.
            let s = unsafe { v.u.string };
            if s.ptr.is_null() || s.len == 0 {
                RawValue::String(&[])
            } else {
                // SAFETY: valid for s.len bytes for 'a, guaranteed by the caller.
                RawValue::String(unsafe { std::slice::from_raw_parts(s.ptr.cast::<u8>(), s.len) })
            }
        }
        other => RawValue::Stack {
            type_: other,
            index: v.stack_index,
        },
    }
}

#[inline]
fn raw_scalar(type_: i32, u: luaw_ValueUnion) -> luaw_Value {
    luaw_Value {
        type_,
        stack_index: 0,
        u,
    }
}

#[inline]
fn raw_nil() -> luaw_Value {
    raw_scalar(LUAW_TNIL, luaw_ValueUnion { integer: 0 })
}

fn raw_str(bytes: &[u8]) -> luaw_Value {
    raw_scalar(
        LUAW_TSTRING,
        luaw_ValueUnion {
            string: luaw_Str {
                ptr: bytes.as_ptr().cast(),
                len: bytes.len(),
            },
        },
    )
}

fn raw_vector(v: [f32; 3]) -> luaw_Value {
    raw_scalar(
        LUAW_TVECTOR,
        luaw_ValueUnion {
            vector: [v[0], v[1], v[2], 0.0],
        },
    )
}

/// The luaw_Value of `v`; strings point where `v`'s do (keep them alive while it is used).
#[inline]
fn to_raw_value(v: &RawValue<'_>) -> luaw_Value {
    match *v {
        RawValue::Nil => raw_nil(),
        RawValue::Boolean(b) => raw_scalar(
            LUAW_TBOOLEAN,
            luaw_ValueUnion {
                boolean: i32::from(b),
            },
        ),
        RawValue::Number(n) => raw_scalar(LUAW_TNUMBER, luaw_ValueUnion { number: n }),
        RawValue::Integer(i) => raw_scalar(LUAW_TINTEGER, luaw_ValueUnion { integer: i }),
        RawValue::Vector(f) => raw_vector(f),
        RawValue::String(s) => raw_str(s),
        RawValue::Stack { index, .. } => luaw_Value {
            type_: LUAW_TSTACK,
            stack_index: index,
            u: luaw_ValueUnion { integer: 0 },
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Host calls
// ---------------------------------------------------------------------------------------------

/// One host call in progress: the trampoline's `luaw_Call`, exclusively ours until the
/// dispatcher returns. `'a` is the duration of that call.
pub(crate) struct CallFrame<'a> {
    call: NonNull<luaw_Call>,
    _call: PhantomData<&'a mut luaw_Call>,
}

impl<'a> CallFrame<'a> {
    #[inline]
    fn raw(&self) -> &luaw_Call {
        // SAFETY: the trampoline's luaw_Call outlives the dispatcher call ('a), and only this
        // frame touches it meanwhile.
        unsafe { self.call.as_ref() }
    }

    #[inline]
    fn raw_mut(&mut self) -> &mut luaw_Call {
        // SAFETY: as in raw(); &mut self makes the access exclusive.
        unsafe { self.call.as_mut() }
    }

    pub(crate) fn function_id(&self) -> u64 {
        self.raw().function_id
    }

    /// The registered name (borrowed from the closure's upvalue for the call).
    pub(crate) fn name(&self) -> &'a [u8] {
        let c = self.raw();
        if c.name.is_null() || c.name_len == 0 {
            return &[];
        }
        // SAFETY: the name is a Luau string held by the running closure's upvalue: it lives at
        // least as long as this call.
        unsafe { std::slice::from_raw_parts(c.name.cast::<u8>(), c.name_len) }
    }

    #[inline]
    pub(crate) fn nargs(&self) -> usize {
        usize::try_from(self.raw().nargs).unwrap_or(0)
    }

    /// The raw argument `i` (0-based); `None` past the end.
    #[inline]
    fn raw_arg(&self, i: usize) -> Option<&'a luaw_Value> {
        let c = self.raw();
        if i >= self.nargs() || c.args.is_null() {
            return None;
        }
        // SAFETY: args holds nargs values (the trampoline's per-depth buffer, untouched by
        // nested calls, which use deeper frames) for the duration of the call ('a).
        Some(unsafe { &*c.args.add(i) })
    }

    /// Argument `i` (0-based); `None` past the end.
    #[inline]
    pub(crate) fn arg(&self, i: usize) -> Option<RawValue<'a>> {
        let v = self.raw_arg(i)?;
        // SAFETY: strings are borrowed from arguments that stay on the Luau stack until the
        // trampoline returns, after 'a.
        Some(unsafe { borrowed_value(v) })
    }

    /// Argument `i` as a number (`number` or `integer`), read straight from the call's
    /// buffer; `None` for any other type and past the end (as `arg(i)?.as_f64()`).
    #[inline]
    pub(crate) fn arg_number(&self, i: usize) -> Option<f64> {
        let v = self.raw_arg(i)?;
        if v.type_ == LUAW_TNUMBER {
            // SAFETY: the wrapper sets `u.number` for LUAW_TNUMBER.
            Some(unsafe { v.u.number })
        } else if v.type_ == LUAW_TINTEGER {
            // SAFETY: the wrapper sets `u.integer` for LUAW_TINTEGER.
            Some(unsafe { v.u.integer } as f64)
        } else {
            None
        }
    }

    /// Argument `i` as string bytes, read straight from the call's buffer; `None` for any
    /// other type and past the end (as `arg(i)?.as_bytes()`).
    #[inline]
    pub(crate) fn arg_bytes(&self, i: usize) -> Option<&'a [u8]> {
        let v = self.raw_arg(i)?;
        if v.type_ != LUAW_TSTRING {
            return None;
        }
        // SAFETY: the wrapper sets `u.string` for LUAW_TSTRING.
        let s = unsafe { v.u.string };
        if s.ptr.is_null() || s.len == 0 {
            return Some(&[]);
        }
        // SAFETY: the string stays on the Luau stack until the trampoline returns (after 'a).
        Some(unsafe { std::slice::from_raw_parts(s.ptr.cast::<u8>(), s.len) })
    }

    /// Argument `i` as host userdata: (type_id, handle), if it is one (type_id 0 for a
    /// userdata the wrapper did not create).
    pub(crate) fn arg_userdata(&self, i: usize) -> Option<(u32, u64)> {
        let c = self.raw();
        if i >= self.nargs() || c.args.is_null() {
            return None;
        }
        // SAFETY: i < nargs (see arg()).
        let v = unsafe { *c.args.add(i) };
        if v.type_ != LUAW_TUSERDATA {
            return None;
        }
        // SAFETY: the wrapper sets `u.userdata` for LUAW_TUSERDATA arguments.
        let ud = unsafe { v.u.userdata };
        Some((ud.type_id, ud.handle))
    }

    /// Appends a new host userdata of `type_id` with `handle` as a result.
    pub(crate) fn push_userdata(&mut self, type_id: u32, handle: u64) -> Result<(), RawError> {
        self.push_raw(raw_scalar(
            LUAW_TUSERDATA,
            luaw_ValueUnion {
                userdata: luaw_Userdata { handle, type_id },
            },
        ))
    }

    pub(crate) fn nresults(&self) -> usize {
        usize::try_from(self.raw().nresults).unwrap_or(0)
    }

    /// Drops results past `n`.
    pub(crate) fn truncate_results(&mut self, n: usize) {
        let c = self.raw_mut();
        if (n as u64) < c.nresults as u64 {
            c.nresults = n as i32;
        }
    }

    #[inline]
    fn push_raw(&mut self, v: luaw_Value) -> Result<(), RawError> {
        let c = self.raw_mut();
        if c.nresults >= c.results_cap {
            self.grow_results()?;
        }
        let c = self.raw_mut();
        // SAFETY: nresults < results_cap, so the slot is inside the results buffer.
        unsafe { c.results.add(c.nresults as usize).write(v) };
        c.nresults += 1;
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn grow_results(&mut self) -> Result<(), RawError> {
        let c = self.raw_mut();
        let want = c.results_cap.max(4).saturating_mul(2);
        // SAFETY: c is the live luaw_Call of this dispatch.
        let status = unsafe { luaw_call_reserve_results(c, want) };
        check_status(status, "growing the host function's results")
    }

    #[cold]
    #[inline(never)]
    fn grow_scratch(&mut self, n: usize) -> Result<(), RawError> {
        let c = self.raw_mut();
        // SAFETY: c is the live luaw_Call of this dispatch.
        let status = unsafe { luaw_call_reserve_scratch(c, n) };
        check_status(status, "growing the host function's scratch memory")
    }

    /// Appends a number result.
    #[inline]
    pub(crate) fn push_number(&mut self, n: f64) -> Result<(), RawError> {
        self.push_raw(raw_scalar(LUAW_TNUMBER, luaw_ValueUnion { number: n }))
    }

    /// Appends a string result (copied into the call's scratch memory).
    #[inline]
    pub(crate) fn push_string(&mut self, bytes: &[u8]) -> Result<(), RawError> {
        let copied = self.copy_to_scratch(bytes)?;
        self.push_raw(raw_scalar(LUAW_TSTRING, luaw_ValueUnion { string: copied }))
    }

    /// Copies bytes into the call's scratch memory; returns (offset pointer, len).
    #[inline]
    fn copy_to_scratch(&mut self, bytes: &[u8]) -> Result<luaw_Str, RawError> {
        let c = self.raw_mut();
        // The wrapper's reserve is only needed when the scratch is too small (it is the same
        // test, made here without the call).
        if c.scratch_cap - c.scratch_len < bytes.len() {
            self.grow_scratch(bytes.len())?;
        }
        let c = self.raw_mut();
        // SAFETY: scratch_cap - scratch_len >= len (checked or reserved); the source is a live
        // slice that cannot overlap the wrapper's buffer.
        let dst = unsafe { c.scratch.add(c.scratch_len) };
        // SAFETY: see above.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), dst.cast::<u8>(), bytes.len()) };
        c.scratch_len += bytes.len();
        Ok(luaw_Str {
            ptr: dst,
            len: bytes.len(),
        })
    }

    /// Appends a result; strings are copied into the call's scratch memory.
    #[inline]
    pub(crate) fn push_result(&mut self, v: &RawValue<'_>) -> Result<(), RawError> {
        let raw = match *v {
            RawValue::String(s) => {
                let copied = self.copy_to_scratch(s)?;
                raw_scalar(LUAW_TSTRING, luaw_ValueUnion { string: copied })
            }
            ref other => to_raw_value(other),
        };
        self.push_raw(raw)
    }

    /// Appends argument `i` unchanged: a string result borrows the argument's bytes, which
    /// stay on the Luau stack until the trampoline has pushed the results.
    pub(crate) fn push_arg(&mut self, i: usize) -> Result<(), RawError> {
        let c = self.raw();
        let v = if i < self.nargs() && !c.args.is_null() {
            // SAFETY: i < nargs (see arg()).
            let a = unsafe { *c.args.add(i) };
            match a.type_ {
                LUAW_TNIL | LUAW_TBOOLEAN | LUAW_TNUMBER | LUAW_TINTEGER | LUAW_TVECTOR
                | LUAW_TSTRING => luaw_Value {
                    stack_index: 0,
                    ..a
                },
                _ => luaw_Value {
                    type_: LUAW_TSTACK,
                    stack_index: a.stack_index,
                    u: luaw_ValueUnion { integer: 0 },
                },
            }
        } else {
            raw_nil()
        };
        self.push_raw(v)
    }

    /// Appends the values at stack `first .. first + n` as results: scalars by value (strings
    /// copied into scratch now), other values by stack index (they must stay on the stack,
    /// in this call's frame, until the call returns).
    pub(crate) fn push_stack_results(
        &mut self,
        raw: &RawState,
        first: i32,
        n: i32,
    ) -> Result<(), RawError> {
        for v in raw.read_raw(first, n)? {
            let result = match v.type_ {
                LUAW_TSTRING => {
                    // SAFETY: the string is on the stack right now; it is copied at once.
                    let bytes = match unsafe { borrowed_value(&v) } {
                        RawValue::String(b) => b,
                        _ => &[],
                    };
                    let copied = self.copy_to_scratch(bytes)?;
                    raw_scalar(LUAW_TSTRING, luaw_ValueUnion { string: copied })
                }
                LUAW_TNIL | LUAW_TBOOLEAN | LUAW_TNUMBER | LUAW_TINTEGER | LUAW_TVECTOR => {
                    luaw_Value {
                        stack_index: 0,
                        ..v
                    }
                }
                _ => luaw_Value {
                    type_: LUAW_TSTACK,
                    stack_index: v.stack_index,
                    u: luaw_ValueUnion { integer: 0 },
                },
            };
            self.push_raw(result)?;
        }
        Ok(())
    }

    /// Sets the error message (copied into scratch) and token for LUAW_CB_ERROR / PANIC.
    pub(crate) fn set_error(&mut self, message: &[u8], token: u64) {
        let msg = match self.copy_to_scratch(message) {
            Ok(s) => s,
            Err(_) => {
                const OOM: &[u8] = b"not enough memory";
                luaw_Str {
                    ptr: OOM.as_ptr().cast(),
                    len: OOM.len(),
                }
            }
        };
        let c = self.raw_mut();
        c.error_message = msg.ptr;
        c.error_message_len = msg.len;
        c.error_token = token;
    }
}

/// The dispatcher the wrapper's trampoline calls once per Luau -> Rust call.
///
/// Never unwinds: [`Host::dispatch`] catches panics; should anything still escape,
/// the `extern "C"` ABI aborts the process rather than unwinding into C++.
extern "C" fn dispatch<H: Host>(host_ctx: usize, call: *mut luaw_Call) -> i32 {
    let (Some(call), false) = (NonNull::new(call), host_ctx == 0) else {
        return LUAW_CB_PANIC;
    };
    // SAFETY: host_ctx is the address given to RawState::set_dispatch: the state's Shared,
    // which lives until after luaw_close, and the trampoline only runs during calls on it.
    // Only shared references to it are ever made (its mutable parts are Cells).
    let host = unsafe { &*(host_ctx as *const H) };
    let frame = CallFrame {
        call,
        _call: PhantomData,
    };
    host.dispatch(frame)
}

impl RawState {
    /// `luaw_gc` on the current thread: the op's result, or the status.
    pub(crate) fn gc(&self, op: i32, arg: i32) -> Result<i32, i32> {
        let mut result = 0;
        // SAFETY: live state; result is a live local.
        match unsafe { luaw_gc(self.s(), op, arg, &mut result) } {
            LUAW_OK => Ok(result),
            status => Err(status),
        }
    }

    /// `luaw_load_source`: compiles and pushes the function on the current thread.
    pub(crate) fn load_source(
        &self,
        src: &[u8],
        chunkname: &[u8],
        optimization_level: i32,
        debug_level: i32,
    ) -> Result<(), RawError> {
        let opts = luaw_CompileOptions {
            optimization_level,
            debug_level,
        };
        let mut err = empty_error();
        // SAFETY: live state; the slices and opts are valid for the call; err is a live local.
        let status = unsafe {
            luaw_load_source(
                self.s(),
                src.as_ptr().cast(),
                src.len(),
                chunkname.as_ptr().cast(),
                chunkname.len(),
                &opts,
                &mut err,
            )
        };
        check(status, &err)
    }
}

// ---------------------------------------------------------------------------------------------
// Containment and threads (luau_wrapper.h "Containment: stop requests, deadlines, sandbox,
// print" and "Threads")
// ---------------------------------------------------------------------------------------------

/// The default budget of a conversion when the state has no memory limit (256 MiB).
pub(crate) const DEFAULT_RESULT_BUDGET: usize = 256 << 20;

/// The conversion budget for a memory limit (0 = none: the default).
fn result_budget(memory_limit: usize) -> usize {
    if memory_limit == 0 {
        DEFAULT_RESULT_BUDGET
    } else {
        memory_limit
    }
}

#[cold]
#[inline(never)]
fn over_budget(bytes: usize, budget: usize) -> RawError {
    RawError::new(
        LUAW_ERRMEM,
        format!(
            "results exceed the host conversion budget: {bytes} bytes or more, the budget is \
             {budget} bytes (the state's memory limit, or 256 MiB without one)"
        ),
    )
}

/// One owned reference to a state's stop handle (`luaw_StopHandle`), released on drop.
pub(crate) struct StopRef {
    ptr: NonNull<luaw_StopHandle>,
}

// SAFETY: luaw_StopHandle is reference-counted with atomics and documented as thread-safe:
// luaw_stop_request and luaw_stop_handle_release may be called from any thread, also after
// the state is closed (requests then do nothing).
unsafe impl Send for StopRef {}
// SAFETY: as above; every operation on the handle takes it by pointer and is atomic.
unsafe impl Sync for StopRef {}

impl StopRef {
    /// `luaw_stop_request` with `cause` (LUAW_STOP_*): true if a run was going on.
    pub(crate) fn request(&self, cause: i32) -> bool {
        // SAFETY: the pointer is a live reference owned by self (released only in Drop).
        unsafe { luaw_stop_request(self.ptr.as_ptr(), cause) != 0 }
    }
}

impl Drop for StopRef {
    fn drop(&mut self) {
        // SAFETY: self owns exactly one reference, released once here.
        unsafe { luaw_stop_handle_release(self.ptr.as_ptr()) }
    }
}

/// `luaw_clock_ns`: the monotonic clock deadlines are measured on.
pub(crate) fn clock_ns() -> u64 {
    // SAFETY: a pure getter without arguments.
    unsafe { luaw_clock_ns() }
}

/// The print sink the wrapper calls with each formatted line; `ctx` is the state's Shared.
extern "C" fn print_sink<H: Host>(ctx: usize, line: *const c_char, len: usize) {
    if ctx == 0 {
        return;
    }
    // SAFETY: the wrapper hands over `len` bytes at `line`, valid for this call.
    let bytes = unsafe { copy_slice(line, len) };
    // SAFETY: ctx is the address given to set_print_sink: the state's Shared, alive while any
    // call on the state runs (see install_dispatch); only shared references are made.
    let host = unsafe { &*(ctx as *const H) };
    host.print(bytes);
}

/// Borrows `len` bytes at `ptr` (NULL allowed when `len` is 0).
///
/// # Safety
/// `ptr` must be NULL or valid for reads of `len` bytes for `'a`.
unsafe fn copy_slice<'a>(ptr: *const c_char, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) }
}

impl RawState {
    /// Fails when converting `n` values would take more than the budget by count alone.
    fn check_count<T>(&self, n: i32) -> Result<(), RawError> {
        let budget = self.result_budget.get();
        let bytes = usize::try_from(n)
            .unwrap_or(0)
            .saturating_mul(std::mem::size_of::<T>());
        if bytes > budget {
            return Err(over_budget(bytes, budget));
        }
        Ok(())
    }

    /// Fails when converting `raw` to owned values would take more than the budget (string
    /// bytes plus one `Value` each).
    #[inline]
    fn check_budget<T>(&self, raw: &[luaw_Value]) -> Result<(), RawError> {
        let budget = self.result_budget.get();
        let mut bytes = raw.len().saturating_mul(std::mem::size_of::<T>());
        for v in raw {
            if v.type_ == LUAW_TSTRING {
                // SAFETY: the wrapper sets `u.string` for LUAW_TSTRING.
                bytes = bytes.saturating_add(unsafe { v.u.string.len });
            }
        }
        if bytes > budget {
            return Err(over_budget(bytes, budget));
        }
        Ok(())
    }

    /// `check_budget` for at most [`SMALL`] values: their fixed cost is at most
    /// `SMALL * size_of::<Value>()`, so only string bytes are summed (the hot path).
    #[inline]
    fn check_small_budget<T>(&self, raw: &[luaw_Value]) -> Result<(), RawError> {
        let strings: usize = raw
            .iter()
            .filter(|v| v.type_ == LUAW_TSTRING)
            // SAFETY: the wrapper sets `u.string` for LUAW_TSTRING.
            .map(|v| unsafe { v.u.string.len })
            .sum();
        let fixed = SMALL * std::mem::size_of::<T>();
        if strings > self.result_budget.get().saturating_sub(fixed) {
            return Err(over_budget(strings + fixed, self.result_budget.get()));
        }
        Ok(())
    }

    /// A new owned reference to the state's stop handle; None when out of memory.
    pub(crate) fn stop_handle(&self) -> Option<StopRef> {
        // SAFETY: live state; the returned reference is owned by the StopRef.
        NonNull::new(unsafe { luaw_stop_handle(self.s()) }).map(|ptr| StopRef { ptr })
    }

    pub(crate) fn set_deadline(&self, deadline_ns: u64) {
        // SAFETY: live state.
        unsafe { luaw_set_deadline(self.s(), deadline_ns) }
    }

    pub(crate) fn set_run_timeout(&self, timeout_ns: u64) {
        // SAFETY: live state.
        unsafe { luaw_set_run_timeout(self.s(), timeout_ns) }
    }

    /// `luaw_sandbox` (idempotent).
    pub(crate) fn sandbox(&self) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local.
        let status = unsafe { luaw_sandbox(self.s(), &mut err) };
        check(status, &err)
    }

    pub(crate) fn is_sandboxed(&self) -> bool {
        // SAFETY: live state.
        unsafe { luaw_is_sandboxed(self.s()) != 0 }
    }

    /// Routes print to [`print_sink`] with `shared` (which must own this RawState) as its
    /// context (`on`), or back to discarding (`!on`).
    pub(crate) fn set_print_sink<H: Host>(host: &H, on: bool) {
        let ctx = host as *const H as usize;
        // SAFETY: live state; print_sink never unwinds (the line goes to a guarded closure)
        // and ctx is valid whenever print runs: the Shared sits in an Rc that outlives the
        // C state, and print only runs during calls on it.
        unsafe {
            luaw_set_print(
                host.raw().s(),
                on.then_some(print_sink::<H> as luaw_PrintSink),
                if on { ctx } else { 0 },
            )
        }
    }

    /// `luaw_thread_new`: pops a function, pushes a thread running it.
    pub(crate) fn thread_new(&self) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local.
        let status = unsafe { luaw_thread_new(self.s(), &mut err) };
        check(status, &err)
    }

    /// `luaw_thread_resume` of the thread at `tidx` with the `nargs` values on top: Ok((true
    /// if it yielded, the number of values pushed)).
    pub(crate) fn thread_resume(&self, tidx: i32, nargs: i32) -> Result<(bool, i32), RawError> {
        let mut err = empty_error();
        let mut n = 0;
        // SAFETY: live state; out pointers are live locals; the wrapper validates tidx/nargs.
        let status = unsafe { luaw_thread_resume(self.s(), tidx, nargs, &mut n, &mut err) };
        match status {
            LUAW_YIELD => Ok((true, n)),
            _ => check(status, &err).map(|()| (false, n)),
        }
    }

    /// `luaw_thread_resume_error`: raises the value on top at the thread's yield point.
    pub(crate) fn thread_resume_error(&self, tidx: i32) -> Result<(bool, i32), RawError> {
        let mut err = empty_error();
        let mut n = 0;
        // SAFETY: live state; out pointers are live locals; the wrapper validates tidx.
        let status = unsafe { luaw_thread_resume_error(self.s(), tidx, &mut n, &mut err) };
        match status {
            LUAW_YIELD => Ok((true, n)),
            _ => check(status, &err).map(|()| (false, n)),
        }
    }

    /// A LUAW_THREAD_* value, or -1 if `tidx` is not a thread.
    pub(crate) fn thread_status(&self, tidx: i32) -> i32 {
        // SAFETY: live state; the wrapper validates tidx.
        unsafe { luaw_thread_status(self.s(), tidx) }
    }

    /// `luaw_thread_reset` (popping the new body when `with_function`).
    pub(crate) fn thread_reset(&self, tidx: i32, with_function: bool) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local; the wrapper validates tidx.
        let status =
            unsafe { luaw_thread_reset(self.s(), tidx, i32::from(with_function), &mut err) };
        check(status, &err)
    }
}

impl CallFrame<'_> {
    /// 0 for a call from Luau; the host's `yield_continuation` token when this call continues
    /// a yield (the resume values are the arguments).
    pub(crate) fn continuation(&self) -> u64 {
        self.raw().continuation
    }

    /// With `LUAW_CB_YIELD`: asks to be called again on resume with `continuation` = token.
    pub(crate) fn set_yield_continuation(&mut self, token: u64) {
        self.raw_mut().yield_continuation = token;
    }
}

/// Native code generation (codegen.rs).
impl RawState {
    /// `luaw_codegen_supported`.
    pub(crate) fn codegen_supported() -> bool {
        // SAFETY: no arguments; the wrapper only asks CodeGen about the CPU.
        unsafe { luaw_codegen_supported() != 0 }
    }

    /// `luaw_enable_codegen`: `LUAW_ERRUNSUPPORTED` where unsupported (state unchanged).
    pub(crate) fn enable_codegen(&self) -> Result<(), RawError> {
        let mut err = empty_error();
        // SAFETY: live state; err is a live local.
        let status = unsafe { luaw_enable_codegen(self.s(), &mut err) };
        check(status, &err)
    }

    /// `luaw_codegen_enabled`.
    pub(crate) fn codegen_enabled(&self) -> bool {
        // SAFETY: live state.
        unsafe { luaw_codegen_enabled(self.s()) != 0 }
    }

    /// `luaw_is_native`: the value at `idx` is a natively compiled Luau function.
    pub(crate) fn is_native(&self, idx: i32) -> bool {
        // SAFETY: live state; the wrapper accepts any index.
        unsafe { luaw_is_native(self.s(), idx) != 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_the_c_header() {
        // x86-64 / aarch64 LP64 layouts of the header's structs.
        assert_eq!(std::mem::size_of::<luaw_Value>(), 24);
        assert_eq!(std::mem::align_of::<luaw_Value>(), 8);
        assert_eq!(std::mem::size_of::<luaw_Error>(), 48);
        assert_eq!(std::mem::size_of::<luaw_Call>(), 128);
        assert_eq!(std::mem::size_of::<luaw_Options>(), 24);
        assert_eq!(std::mem::size_of::<luaw_BuildInfo>(), 32);
    }
}
