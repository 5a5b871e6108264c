//! Luau threads (coroutines) held by the host, and host functions that yield.
//!
//! A [`Thread`] runs a Luau function step by step: [`Thread::resume`] passes values in and
//! returns what the thread yielded ([`ThreadResult::Yielded`]) or, at the end, returned
//! ([`ThreadResult::Returned`]). A host function yields with
//! [`CallContext::yield_values`]: the thread suspends after the host function returned, and
//! the values of the next resume become the host function's results in the script.
//!
//! ```
//! use luau::{State, ThreadResult, Value};
//!
//! let state = State::new()?;
//! // A host function that hands its argument to the host and returns what the host sends.
//! state.register_func("ask", |ctx| {
//!     let question = ctx.str(0)?.to_owned();
//!     ctx.yield_values(&[Value::from(question)])
//! })?;
//! state.do_string("function greet() local name = ask('name?') return 'hello, ' .. name end")?;
//! let thread = state.create_thread(&state.get_function("greet")?)?;
//! assert_eq!(thread.resume(&[])?, ThreadResult::Yielded(vec!["name?".into()]));
//! assert_eq!(thread.resume(&["luau".into()])?, ThreadResult::Returned(vec!["hello, luau".into()]));
//! assert_eq!(thread.status(), luau::ThreadStatus::Finished);
//! # Ok::<(), luau::Error>(())
//! ```
//!
//! Top-level chunks ([`State::do_string`]) run as threads too, so `coroutine.*` works there
//! with Luau's own `pcall` depth; a chunk run to completion that yields to the host gets a
//! runtime error (run it as a thread to resume it). Where Luau cannot yield (a host function
//! called from a nested host -> Luau call), a yielding host function raises a clean Luau error
//! that says so.
//!
//! Every resume is a run: run timeouts, deadlines and interrupt handles
//! ([`crate::containment`]) apply to it, and a host panic is resumed when it returns.

use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::call::{decode_results, FromResults, IntoArgs, MAX_RESULTS};
use crate::error::{Error, ErrorKind, Result};
use crate::ffi::{self, RawError, RawState};
use crate::function::CallContext;
use crate::state::{push_owned, Function, Shared, State};
use crate::value::Value;

/// Where a thread is (see [`Thread::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ThreadStatus {
    /// Not started, or yielded: it can be resumed.
    Suspended,
    /// Running (it is the thread calling, or it resumed the one calling).
    Running,
    /// It returned: [`reset`](Thread::reset) it to reuse it.
    Finished,
    /// An error ended it: [`reset`](Thread::reset) it to reuse it.
    Error,
}

impl ThreadStatus {
    /// The shared name: `"suspended"`, `"running"`, `"finished"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadStatus::Suspended => "suspended",
            ThreadStatus::Running => "running",
            ThreadStatus::Finished => "finished",
            ThreadStatus::Error => "error",
        }
    }
}

impl fmt::Display for ThreadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one [`Thread::resume`] ended with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ThreadResult {
    /// The thread yielded these values (`coroutine.yield` or a yielding host function); it is
    /// suspended and can be resumed.
    Yielded(Vec<Value>),
    /// The thread's function returned these values; the thread is finished.
    Returned(Vec<Value>),
}

impl ThreadResult {
    /// The values, yielded or returned.
    pub fn values(&self) -> &[Value] {
        match self {
            ThreadResult::Yielded(v) | ThreadResult::Returned(v) => v,
        }
    }

    /// The values, yielded or returned.
    pub fn into_values(self) -> Vec<Value> {
        match self {
            ThreadResult::Yielded(v) | ThreadResult::Returned(v) => v,
        }
    }

    /// True for [`ThreadResult::Yielded`].
    pub fn is_yielded(&self) -> bool {
        matches!(self, ThreadResult::Yielded(_))
    }
}

/// What one [`Thread::resume_typed`] ended with: the values converted to `R`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed<R> {
    /// The thread yielded these; it is suspended and can be resumed.
    Yielded(R),
    /// The thread's function returned these; the thread is finished.
    Returned(R),
}

impl<R> Resumed<R> {
    /// The values, yielded or returned.
    pub fn into_inner(self) -> R {
        match self {
            Resumed::Yielded(r) | Resumed::Returned(r) => r,
        }
    }

    /// True for [`Resumed::Yielded`].
    pub fn is_yielded(&self) -> bool {
        matches!(self, Resumed::Yielded(_))
    }
}

/// A Luau thread held by the host (from [`State::create_thread`]). It keeps the thread alive
/// until dropped and cannot outlive its state (a borrow of it).
///
/// ```compile_fail
/// let t = {
///     let state = luau::State::new().unwrap();
///     state.do_string("function f() end").unwrap();
///     state.create_thread(&state.get_function("f").unwrap()).unwrap() // cannot outlive state
/// };
/// ```
pub struct Thread<'s> {
    shared: &'s Shared,
    reference: i32,
}

/// The error for a function of another state.
fn foreign_function(what: &str) -> Error {
    Error::new(
        ErrorKind::Argument,
        format!("{what}: the function belongs to another state"),
    )
}

impl State {
    /// A new thread that runs `f` when first resumed. On a sandboxed state the thread gets
    /// its own global table. `f` must belong to this state (else [`ErrorKind::Argument`]).
    pub fn create_thread(&self, f: &Function) -> Result<Thread<'_>> {
        if !std::ptr::eq(&**f.0.shared(), &*self.shared) {
            return Err(foreign_function("create_thread"));
        }
        let shared: &Shared = &self.shared;
        shared.seal_if_pending()?;
        Thread::create(shared, f)
    }
}

impl<'s> Thread<'s> {
    /// A new thread on `shared` running `f` (of the same state).
    pub(crate) fn create(shared: &'s Shared, f: &Function) -> Result<Thread<'s>> {
        let reference = shared.run(|raw| {
            raw.push_ref(f.reference())?;
            raw.thread_new()?;
            raw.make_ref(-1)
        })?;
        Ok(Thread { shared, reference })
    }
}

impl Thread<'_> {
    /// Resumes the thread with `args` (the function's arguments on the first resume, the
    /// results of the `coroutine.yield` or yielding host function it waits in afterwards).
    ///
    /// An error inside the thread comes back as that error (host errors keep their
    /// `source()`), and the thread is then in [`ThreadStatus::Error`]. Resuming a thread that
    /// is running or finished is [`ErrorKind::Argument`] (`cannot resume dead thread`, ...).
    pub fn resume(&self, args: &[Value]) -> Result<ThreadResult> {
        self.shared.run(|raw| {
            let tidx = self.push(raw)?;
            push_owned(self.shared, raw, args)?;
            let nargs = i32::try_from(args.len())
                .map_err(|_| RawError::new(ffi::LUAW_ERRARG, "too many values"))?;
            let outcome = raw.thread_resume(tidx, nargs)?;
            collect(self.shared, raw, tidx, outcome)
        })
    }

    /// Resumes the thread with typed arguments and typed results, as
    /// [`Function::call_typed`] calls: nothing is allocated per round trip (up to 4 results;
    /// missing ones are nil, extra ones dropped). What it yielded or returned, converted to
    /// `R` (a value that does not convert is [`ErrorKind::Conversion`]).
    ///
    /// ```
    /// use luau::{Resumed, State, Value};
    /// let state = State::new()?;
    /// state.register_func("tick", |ctx| ctx.yield_values(&[Value::Number(1.0)]))?;
    /// state.do_string("function loop(n) while true do n = n + tick(n) end end")?;
    /// let thread = state.create_thread(&state.get_function("loop")?)?;
    /// assert_eq!(thread.resume_typed::<_, f64>((41.0,))?, Resumed::Yielded(1.0));
    /// assert!(thread.resume_typed::<_, f64>((1.0,))?.is_yielded());
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn resume_typed<A: IntoArgs, R: FromResults>(&self, args: A) -> Result<Resumed<R>> {
        self.shared
            .run(|raw| {
                let tidx = self.push(raw)?;
                let nargs = args.with_args(|args| raw.push_values(args).map(|()| args.len()))?;
                let nargs = i32::try_from(nargs)
                    .map_err(|_| RawError::new(ffi::LUAW_ERRARG, "too many values"))?;
                let (yielded, n) = raw.thread_resume(tidx, nargs)?;
                raw.read_decode::<_, MAX_RESULTS>(tidx + 1, n, |results| {
                    Ok(decode_results::<R>(results).map(|r| {
                        if yielded {
                            Resumed::Yielded(r)
                        } else {
                            Resumed::Returned(r)
                        }
                    }))
                })
            })
            .and_then(|r| r)
    }

    /// Resumes a yielded thread by raising `error` where it waits (`lua_resumeerror`): a
    /// `pcall` around the yield point catches it. A thread that has not yielded is
    /// [`ErrorKind::Argument`].
    pub fn resume_error(&self, error: &Value) -> Result<ThreadResult> {
        self.shared.run(|raw| {
            let tidx = self.push(raw)?;
            push_owned(self.shared, raw, std::slice::from_ref(error))?;
            let outcome = raw.thread_resume_error(tidx)?;
            collect(self.shared, raw, tidx, outcome)
        })
    }

    /// The thread's status.
    pub fn status(&self) -> ThreadStatus {
        let status = self
            .shared
            .run(|raw| {
                let tidx = self.push(raw)?;
                Ok(raw.thread_status(tidx))
            })
            .unwrap_or(-1);
        match status {
            ffi::LUAW_THREAD_SUSPENDED => ThreadStatus::Suspended,
            ffi::LUAW_THREAD_RUNNING => ThreadStatus::Running,
            ffi::LUAW_THREAD_FINISHED => ThreadStatus::Finished,
            _ => ThreadStatus::Error, // LUAW_THREAD_ERROR
        }
    }

    /// Makes a finished or failed thread reusable with `f` as its new body, without a new
    /// allocation (`lua_resetthread`); on a sandboxed state it gets fresh globals. A running
    /// thread is [`ErrorKind::Busy`]; `f` of another state is [`ErrorKind::Argument`].
    pub fn reset(&self, f: &Function) -> Result<()> {
        if !std::ptr::eq(&**f.0.shared(), self.shared) || f.0.live().is_err() {
            return Err(foreign_function("Thread::reset"));
        }
        self.shared.run(|raw| {
            let tidx = self.push(raw)?;
            raw.push_ref(f.reference())?;
            raw.thread_reset(tidx, true)
        })
    }

    /// A `Thread` of the registry reference `reference` (which it now owns).
    pub(crate) fn from_reference(shared: &Shared, reference: i32) -> Thread<'_> {
        Thread { shared, reference }
    }

    pub(crate) fn shared(&self) -> &Shared {
        self.shared
    }

    pub(crate) fn reference(&self) -> i32 {
        self.reference
    }

    /// Pushes the thread; returns its index.
    fn push(&self, raw: &RawState) -> std::result::Result<i32, RawError> {
        raw.push_ref(self.reference)?;
        Ok(raw.gettop())
    }
}

/// Reads the `n` values above the thread at `tidx`.
fn collect(
    shared: &Shared,
    raw: &RawState,
    tidx: i32,
    (yielded, n): (bool, i32),
) -> std::result::Result<ThreadResult, RawError> {
    let values = crate::state::read_values(shared, raw, tidx + 1, n)?;
    Ok(if yielded {
        ThreadResult::Yielded(values)
    } else {
        ThreadResult::Returned(values)
    })
}

impl fmt::Debug for Thread<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

impl Drop for Thread<'_> {
    fn drop(&mut self) {
        self.shared.raw.unref(self.reference);
    }
}

// ------------------------------------------------------------------------------------------
// Host functions that yield
// ------------------------------------------------------------------------------------------

/// The marker a yielding host function returns (never seen outside the dispatcher unless a
/// host function wraps it into another error).
#[derive(Debug)]
struct YieldRequest;

impl fmt::Display for YieldRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("host function yield (return it from the host function unchanged)")
    }
}

impl StdError for YieldRequest {}

fn yield_request() -> Error {
    static MARKER: OnceLock<Arc<dyn StdError + Send + Sync>> = OnceLock::new();
    let source = Arc::clone(MARKER.get_or_init(|| Arc::new(YieldRequest)));
    // No message: yielding must not allocate; the request's text is its source's Display.
    Error::Host {
        message: String::new(),
        traceback: String::new(),
        source: Some(source),
    }
}

/// True for the error [`CallContext::yield_values`] returns: the dispatcher yields.
pub(crate) fn is_yield_request(err: &Error) -> bool {
    matches!(err, Error::Host { source: Some(s), .. } if s.is::<YieldRequest>())
}

impl CallContext<'_> {
    /// Yields `values` from the calling thread: return the result of this call from the host
    /// function (`return ctx.yield_values(&[...])`). The thread suspends after the host
    /// function returned; whoever resumes it ([`Thread::resume`] or `coroutine.resume` in the
    /// script) gets `values`, and the values of the next resume become this host function's
    /// results in the script. Results pushed before are discarded.
    ///
    /// Where Luau cannot yield (the host function was called from a nested host -> Luau call,
    /// or from a chunk run to completion), the script gets a Luau error saying so instead.
    /// The returned value is an `Err` only as a signal: wrapping it into another error makes
    /// it an ordinary error.
    pub fn yield_values(&mut self, values: &[Value]) -> Result<()> {
        self.clear_results();
        for v in values {
            self.push_value(v)?;
        }
        Err(yield_request())
    }

    /// Yields the results pushed so far ([`push`](Self::push), [`push_arg`](Self::push_arg),
    /// ...) as [`yield_values`](Self::yield_values) does: `return ctx.yield_results()`.
    pub fn yield_results(&mut self) -> Result<()> {
        Err(yield_request())
    }

    /// Yields `values` as [`yield_values`](Self::yield_values) does, and on resume calls
    /// `then` instead of handing the resume values to the script: `then`'s context has the
    /// resume values as its arguments, and what `then` does (push results and return
    /// `Ok`, return an error, yield again) is the host function's answer. Use it when the
    /// host function has work to do after the resume:
    ///
    /// ```
    /// use luau::{CallContext, State, ThreadResult, Value};
    /// # fn main() -> luau::Result<()> {
    /// let state = State::new()?;
    /// // ask(q) yields q to the host and returns the answer's length and the answer.
    /// state.register_func("ask", |ctx: &mut CallContext<'_>| {
    ///     let question = ctx.str(0)?.to_owned();
    ///     ctx.yield_then(&[Value::from(question)], |ctx: &mut CallContext<'_>| {
    ///         let answer = ctx.str(0)?.to_owned();
    ///         ctx.push_number(answer.len() as f64)?;
    ///         ctx.push_string(answer)
    ///     })
    /// })?;
    /// state.do_string("function main() local n, a = ask('name?') return a .. '/' .. n end")?;
    /// let thread = state.create_thread(&state.get_function("main")?)?;
    /// assert_eq!(thread.resume(&[])?, ThreadResult::Yielded(vec!["name?".into()]));
    /// assert_eq!(thread.resume(&["Ada".into()])?, ThreadResult::Returned(vec!["Ada/3".into()]));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// It works however the thread is resumed ([`Thread::resume`] or `coroutine.resume`).
    /// The state keeps `then` until the thread is resumed or the state is dropped: a thread
    /// that is never resumed (or cannot yield here, see `yield_values`) keeps it until then.
    pub fn yield_then<F>(&mut self, values: &[Value], then: F) -> Result<()>
    where
        F: FnOnce(&mut CallContext<'_>) -> Result<()> + 'static,
    {
        self.clear_results();
        for v in values {
            self.push_value(v)?;
        }
        let token = self.shared().continuations.park(Box::new(then));
        self.set_yield_continuation(token);
        Err(yield_request())
    }
}

impl<'a> CallContext<'a> {
    /// Argument `i` as a [`Thread`] the host can resume, inspect or keep for the rest of
    /// the call (a coroutine the script passed, e.g. to a host scheduler). Not a thread:
    /// [`ErrorKind::Argument`] in Luau's wording.
    pub fn thread(&self, i: usize) -> Result<Thread<'a>> {
        match self.arg(i) {
            crate::value::ValueRef::Stack(crate::value::StackSlot {
                ty: crate::value::Type::Thread,
                index,
            }) => {
                let shared = self.shared();
                let reference = shared.run(|raw| raw.make_ref(index))?;
                Ok(Thread { shared, reference })
            }
            _ => Err(self.type_error(i, "thread")),
        }
    }
}

#[doc(hidden)]
impl Thread<'_> {
    /// Benchmark support, NOT part of the API: resumes the thread with one number straight
    /// through `lua_resume` in C (`luaw_floor_resume_ref`) and returns what it yielded.
    pub fn __bench_floor_resume(&self, arg: f64) -> Result<f64> {
        self.shared
            .run(|raw| raw.bench_floor_resume_ref(self.reference, arg))
    }
}

// ---------------------------------------------------------------------------------------------
// Continuations (yield_then)
// ---------------------------------------------------------------------------------------------

/// The tokens of `yield_then` continuations have this bit set, so that they never meet the
/// async functions' tokens (async_fn.rs), which count up from 1.
pub(crate) const CONTINUATION_BIT: u64 = 1 << 63;

type Continuation = Box<dyn FnOnce(&mut CallContext<'_>) -> Result<()>>;

/// A state's parked continuations, by token.
#[derive(Default)]
pub(crate) struct ContinuationSlot {
    next: std::cell::Cell<u64>,
    parked: std::cell::RefCell<std::collections::HashMap<u64, Continuation>>,
}

impl ContinuationSlot {
    fn park(&self, then: Continuation) -> u64 {
        let n = self.next.get() + 1;
        self.next.set(n);
        let token = CONTINUATION_BIT | n;
        self.parked.borrow_mut().insert(token, then);
        token
    }

    pub(crate) fn take(&self, token: u64) -> Option<Continuation> {
        self.parked.borrow_mut().remove(&token)
    }
}

impl fmt::Debug for ContinuationSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContinuationSlot")
            .field("parked", &self.parked.try_borrow().map(|p| p.len()).ok())
            .finish()
    }
}
