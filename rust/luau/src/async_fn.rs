//! Async host functions and the futures that drive scripts calling them.
//!
//! [`State::register_async`] registers a host function whose body is a future. A script calls
//! it like any function; when the future is pending, the Luau thread running the script is
//! suspended (a yielding host function with a continuation: no Luau frame waits on the Rust
//! stack), and the future that drives the script ([`Function::call_async`],
//! [`State::do_string_async`]) returns `Poll::Pending`. When the executor wakes it, the driver
//! resumes the thread, the host function's future is polled again, and once it is ready its
//! values become the call's results in the script (its error, with `source()` kept, is raised
//! there as any host error). Any executor works: the driver only uses the `Waker` it is given.
//!
//! ```
//! use std::future::Future;
//! use std::pin::Pin;
//! use std::task::{Context, Poll, Wake, Waker};
//! use std::sync::Arc;
//! use luau::{State, Value};
//!
//! /// A future that is pending once, then ready (a stand-in for I/O).
//! struct Later(bool);
//! impl Future for Later {
//!     type Output = f64;
//!     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<f64> {
//!         if self.0 {
//!             return Poll::Ready(42.0);
//!         }
//!         self.0 = true;
//!         cx.waker().wake_by_ref();
//!         Poll::Pending
//!     }
//! }
//!
//! /// The smallest executor: polls until ready (the waker does nothing).
//! fn block_on<F: Future>(f: F) -> F::Output {
//!     struct Noop;
//!     impl Wake for Noop { fn wake(self: Arc<Self>) {} }
//!     let waker = Waker::from(Arc::new(Noop));
//!     let mut cx = Context::from_waker(&waker);
//!     let mut f = std::pin::pin!(f);
//!     loop {
//!         if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
//!             return v;
//!         }
//!     }
//! }
//!
//! let state = State::new()?;
//! state.register_async("fetch", |(key,): (String,)| async move {
//!     let v = Later(false).await; // pending once: the script is suspended meanwhile
//!     Ok(vec![Value::from(format!("{key}={v}"))])
//! })?;
//! let out = block_on(state.do_string_async("return fetch('answer') .. '!'"))?;
//! assert_eq!(out, [Value::from("answer=42!")]);
//! # Ok::<(), luau::Error>(())
//! ```
//!
//! Calling an async host function from a plain (non-async) call is a Luau error saying so.
//! Inside a script's own coroutine, a pending async function suspends that coroutine (its
//! `coroutine.resume` returns without values; resuming it again polls the future again).
//! Dropping the driving future drops the pending host futures and the thread. `State` stays
//! `!Send`, and so are these futures: with tokio, drive them on a current-thread runtime or in
//! a `LocalSet` (`spawn_local`); `tokio::time::timeout` cancels a call by dropping it
//! (tests/async_tokio.rs runs all three).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::error::{Error, ErrorKind, Result};
use crate::function::CallContext;
use crate::state::{Function, Shared, State};
use crate::thread::{Thread, ThreadResult};
use crate::typed::FromArgs;
use crate::value::Value;

type HostFuture = Pin<Box<dyn Future<Output = Result<Vec<Value>>>>>;

/// Per state: the pending futures of async host functions, and the driver being polled.
#[derive(Default)]
pub(crate) struct AsyncSlot {
    /// The driver being polled now: (its id, its waker).
    current: RefCell<Option<(u64, Waker)>>,
    /// Set when an async host function went pending during the current driver's resume.
    went_pending: Cell<bool>,
    next_token: Cell<u64>,
    /// Continuation token -> (driver id, future).
    pending: RefCell<HashMap<u64, (u64, HostFuture)>>,
}

impl AsyncSlot {
    fn token(&self) -> u64 {
        let t = self.next_token.get().wrapping_add(1).max(1);
        self.next_token.set(t);
        t
    }

    /// Drops every pending future of driver `id`.
    fn cancel(&self, id: u64) {
        let dropped: Vec<HostFuture> = match self.pending.try_borrow_mut() {
            Ok(mut p) => {
                let keys: Vec<u64> = p
                    .iter()
                    .filter(|(_, (d, _))| *d == id)
                    .map(|(k, _)| *k)
                    .collect();
                keys.into_iter()
                    .filter_map(|k| p.remove(&k).map(|(_, f)| f))
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        drop(dropped); // outside the borrow: a future's Drop may run any code
    }
}

impl fmt::Debug for AsyncSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSlot").finish_non_exhaustive()
    }
}

/// One step of an async host function: a new call (token 0) or a continuation.
fn step(
    ctx: &mut CallContext<'_>,
    start: impl FnOnce(&CallContext<'_>) -> Result<HostFuture>,
) -> Result<()> {
    let shared = ctx.shared();
    let slot = &shared.asyncs;
    let Some((driver, waker)) = slot.current.borrow().clone() else {
        return Err(Error::new(
            ErrorKind::Runtime,
            format!(
                "async function '{}' called outside an async call (use Function::call_async or State::do_string_async)",
                ctx.name()
            ),
        ));
    };
    let token = ctx.continuation();
    let mut fut = if token == 0 {
        start(ctx)?
    } else {
        let parked = slot.pending.borrow_mut().remove(&token);
        match parked {
            Some((_, fut)) => fut,
            None => {
                return Err(Error::new(
                    ErrorKind::Runtime,
                    format!("async function '{}': its call was cancelled", ctx.name()),
                ))
            }
        }
    };
    match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(Ok(values)) => {
            drop(fut);
            values.iter().try_for_each(|v| ctx.push_value(v))
        }
        Poll::Ready(Err(err)) => Err(err),
        Poll::Pending => {
            let t = slot.token();
            slot.pending.borrow_mut().insert(t, (driver, fut));
            slot.went_pending.set(true);
            ctx.set_yield_continuation(t);
            ctx.yield_results()
        }
    }
}

impl State {
    /// Registers an async host function as global `name`: `f` gets the converted arguments
    /// (one tuple of owned [`FromArg`](crate::FromArg) types, as [`State::register`]) and
    /// returns a future of the results. Scripts calling it must be driven by
    /// [`Function::call_async`] or [`State::do_string_async`] (see [`crate::async_fn`]).
    pub fn register_async<A, F, Fut>(&self, name: impl AsRef<[u8]>, f: F) -> Result<()>
    where
        A: FromArgs + 'static,
        F: Fn(A) -> Fut + 'static,
        Fut: Future<Output = Result<Vec<Value>>> + 'static,
    {
        self.register_func(name, move |ctx: &mut CallContext<'_>| {
            step(ctx, |ctx| {
                let args = A::from_args(ctx, 0)?;
                Ok(Box::pin(f(args)) as HostFuture)
            })
        })
    }

    /// Runs `src` as a future: async host functions it calls suspend it instead of blocking
    /// (see [`crate::async_fn`]). Compile errors come out of the future.
    pub fn do_string_async(&self, src: impl AsRef<[u8]>) -> AsyncCall<'_> {
        let shared: &Shared = &self.shared;
        let thread = self
            .compile(src)
            .and_then(|bytecode| shared.load("chunk", &bytecode))
            .and_then(|f| self.create_thread(&f));
        AsyncCall::new(shared, thread, Vec::new())
    }
}

impl Function {
    /// Calls the function as a future (on a new thread): async host functions it calls
    /// suspend it instead of blocking (see [`crate::async_fn`]).
    pub fn call_async(&self, args: &[Value]) -> AsyncCall<'_> {
        let shared: &Shared = self.0.shared();
        let thread = shared
            .seal_if_pending()
            .and_then(|()| Thread::create(shared, self));
        AsyncCall::new(shared, thread, args.to_vec())
    }
}

/// The future of [`Function::call_async`] / [`State::do_string_async`]: resolves to the
/// results of the call. Dropping it cancels the call (its pending host futures are dropped,
/// and its thread is released).
#[must_use = "futures do nothing unless polled"]
pub struct AsyncCall<'s> {
    shared: &'s Shared,
    thread: Option<Thread<'s>>,
    error: Option<Error>,
    args: Option<Vec<Value>>,
    id: u64,
}

impl<'s> AsyncCall<'s> {
    fn new(shared: &'s Shared, thread: Result<Thread<'s>>, args: Vec<Value>) -> AsyncCall<'s> {
        let id = shared.asyncs.token();
        let (thread, error) = match thread {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e)),
        };
        AsyncCall {
            shared,
            thread,
            error,
            args: Some(args),
            id,
        }
    }
}

/// Restores the previous driver when a poll ends (a panic resumed through it included).
struct Polling<'a> {
    slot: &'a AsyncSlot,
    previous: Option<(u64, Waker)>,
    went_pending: bool,
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        *self.slot.current.borrow_mut() = self.previous.take();
        self.slot.went_pending.set(self.went_pending);
    }
}

impl Future for AsyncCall<'_> {
    type Output = Result<Vec<Value>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(err) = this.error.take() {
            return Poll::Ready(Err(err));
        }
        let Some(thread) = this.thread.as_ref() else {
            return Poll::Ready(Err(Error::new(
                ErrorKind::Argument,
                "AsyncCall polled after it completed",
            )));
        };
        let slot = &this.shared.asyncs;
        let previous = slot
            .current
            .borrow_mut()
            .replace((this.id, cx.waker().clone()));
        let guard = Polling {
            slot,
            previous,
            went_pending: slot.went_pending.replace(false),
        };
        let args = this.args.take().unwrap_or_default();
        let result = thread.resume(&args);
        let went_pending = slot.went_pending.get();
        drop(guard);
        let done = match result {
            Ok(ThreadResult::Yielded(_)) if went_pending => return Poll::Pending,
            Ok(ThreadResult::Yielded(_)) => Err(Error::new(
                ErrorKind::Runtime,
                "the script yielded to the host during an async call (only async host functions may suspend it)",
            )),
            Ok(r) => Ok(r.into_values()),
            Err(e) => Err(e),
        };
        this.thread = None;
        slot.cancel(this.id);
        Poll::Ready(done)
    }
}

impl Drop for AsyncCall<'_> {
    fn drop(&mut self) {
        self.shared.asyncs.cancel(self.id);
    }
}

impl fmt::Debug for AsyncCall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncCall")
            .field("done", &self.thread.is_none())
            .finish_non_exhaustive()
    }
}
