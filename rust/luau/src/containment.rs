//! Containment: stopping runs (interrupt handles, deadlines, run timeouts), Luau's sandbox,
//! `print` routed to a host sink, and the profile for untrusted scripts.
//!
//! Everything is checked in C, in the wrapper's own Luau interrupt callback: no Rust code runs
//! at a VM safepoint, and a state with no handle, no deadline and no timeout checks nothing.
//!
//! - **Stopping.** [`State::interrupt_handle`] gives a [`InterruptHandle`] (`Send + Sync +
//!   Clone`) whose [`interrupt`](InterruptHandle::interrupt) stops the state's current run from
//!   any thread; [`State::set_deadline`] and [`State::set_run_timeout`] (or
//!   [`StateOptions::run_timeout`]) stop runs by time. A stopped run returns
//!   [`Error::Interrupted`] (kind [`ErrorKind::Interrupted`], cause
//!   [`InterruptCause::Cancel`] or [`InterruptCause::Deadline`]). The stop is sticky: a script's
//!   `pcall` may catch the error, but the script is stopped again at its next safepoint. The
//!   state stays usable for the next run.
//! - **What cannot be interrupted.** A host function: the stop takes effect when it returns.
//!   A single long builtin call (`string.rep` of a huge count, a big `table.sort`): the memory
//!   limit bounds its memory, the stop takes effect after it.
//! - **Sandbox.** [`StateOptions::sandbox`] applies Luau's own sandbox (`luaL_sandbox`) right
//!   before the first run: libraries, builtin metatables (strings'), the global table and every
//!   table in it (host type tables too) become read-only, and every chunk (each `do_string`,
//!   each `load`, each thread) gets its own writable global table whose reads fall through to
//!   the shared read-only globals. Host userdata metatables are locked in every mode.
//! - **print** formats as Luau's does and hands each line (with its newline) to the sink of
//!   [`State::set_print`]; by default it discards the line. `print` is never `nil`.
//!
//! [`Error::Interrupted`]: crate::Error::Interrupted
//! [`ErrorKind::Interrupted`]: crate::ErrorKind::Interrupted
//! [`InterruptCause::Cancel`]: crate::InterruptCause::Cancel
//! [`InterruptCause::Deadline`]: crate::InterruptCause::Deadline

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::ffi;
use crate::state::{Shared, State, StateOptions};

/// The memory limit of [`StateOptions::untrusted`]: 64 MiB of Luau heap.
pub const UNTRUSTED_MEMORY_LIMIT: usize = 64 << 20;
/// The run timeout of [`StateOptions::untrusted`]: one second per run.
pub const UNTRUSTED_RUN_TIMEOUT: Duration = Duration::from_secs(1);

type PrintFn = Box<dyn FnMut(&[u8])>;

/// The state's print sink (None: discard).
#[derive(Default)]
pub(crate) struct PrintSlot(RefCell<Option<PrintFn>>);

/// Hands one printed line to the state's sink. Called by the wrapper's print (through
/// `ffi::print_sink`); a panicking sink is resumed when the outermost call returns, like a
/// host function's panic.
pub(crate) fn print_line(shared: &Shared, line: &[u8]) {
    // A sink that is running already (it printed through a state it reached somehow) or is
    // being replaced gets nothing: never a second borrow.
    let Ok(mut slot) = shared.print.0.try_borrow_mut() else {
        return;
    };
    let Some(sink) = slot.as_mut() else {
        return;
    };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| sink(line))) {
        drop(slot);
        shared.store_panic(payload);
    }
}

impl StateOptions {
    /// Applies Luau's sandbox right before the state's first run (its first `do_string`,
    /// `load`, `call`, `get_function` or `create_thread`), so the host functions, types and
    /// globals set up after creation land in the shared read-only globals (see the
    /// [module docs](crate::containment)). Sharing state between scripts on purpose: set
    /// globals (or register host functions that keep it) before the first run.
    ///
    /// After sealing, registering functions or types and setting globals fail (the globals are
    /// read-only), and [`State::get_global`] / [`State::call`] see only the shared globals,
    /// never a script's own.
    pub fn sandbox(mut self, on: bool) -> Self {
        self.sandbox = on;
        self
    }

    /// Every run (each outermost `do_string`, `call`, thread resume, ...) stops `timeout`
    /// after it began, with [`Error::Interrupted`](crate::Error::Interrupted) and cause
    /// [`Deadline`](crate::InterruptCause::Deadline). The same as
    /// [`State::set_run_timeout`].
    pub fn run_timeout(mut self, timeout: Duration) -> Self {
        self.run_timeout = Some(timeout);
        self
    }

    /// The profile for scripts you do not trust, in one call:
    ///
    /// - Luau's sandbox ([`sandbox`](Self::sandbox)): scripts cannot change libraries,
    ///   builtin metatables, host functions or host type tables, and one run's globals never
    ///   reach the next;
    /// - a memory limit of 64 MiB of Luau heap ([`UNTRUSTED_MEMORY_LIMIT`]), which also bounds
    ///   what converting results to Rust may produce;
    /// - a run timeout of 1 s ([`UNTRUSTED_RUN_TIMEOUT`]): runaway loops and recursion stop;
    /// - `print` discarded unless [`State::set_print`] installs a sink.
    ///
    /// What it does not block: the standard libraries stay open (Luau's own are already
    /// sandbox-safe: no `io`, no file or process access, no `loadstring` bytecode, `os` only
    /// reads the clock and formats dates); CPU time inside one long builtin call and inside a
    /// host function; and anything a host function you register does on the script's behalf.
    /// Each field can be changed after: `StateOptions::untrusted().memory_limit(16 << 20)`.
    pub fn untrusted() -> Self {
        StateOptions::default()
            .sandbox(true)
            .memory_limit(UNTRUSTED_MEMORY_LIMIT)
            .run_timeout(UNTRUSTED_RUN_TIMEOUT)
    }
}

impl State {
    /// Applies Luau's sandbox now (see [`StateOptions::sandbox`]). Irreversible; idempotent.
    /// [`ErrorKind::Busy`](crate::ErrorKind::Busy) from inside a host function (a run is going on).
    pub fn sandbox(&self) -> Result<()> {
        self.shared.seal()
    }

    /// Whether the sandbox has been applied.
    pub fn is_sandboxed(&self) -> bool {
        self.shared.raw.is_sandboxed()
    }

    /// Each run from now on stops `timeout` after it began (None: no timeout). With a deadline
    /// set too, the earlier wins. Deadlines are checked every few hundred VM safepoints.
    pub fn set_run_timeout(&self, timeout: Option<Duration>) {
        let ns = timeout.map_or(0, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
        });
        self.shared.raw.set_run_timeout(ns);
    }

    /// Runs stop once `deadline` has passed (None: no deadline), until it is changed. A
    /// deadline in the past stops the next run at its first safepoint.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let state = luau::State::new()?;
    /// state.set_deadline(Some(Instant::now() + Duration::from_millis(20)));
    /// let err = state.do_string("while true do end").unwrap_err();
    /// assert_eq!(err.interrupt_cause(), Some(luau::InterruptCause::Deadline));
    /// state.set_deadline(None);
    /// assert_eq!(state.do_string("return 1")?, [luau::Value::Number(1.0)]);
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        let ns = deadline.map_or(0, |d| {
            let remaining = d.saturating_duration_since(Instant::now());
            let remaining = u64::try_from(remaining.as_nanos()).unwrap_or(u64::MAX);
            ffi::clock_ns().saturating_add(remaining).max(1)
        });
        self.shared.raw.set_deadline(ns);
    }

    /// Routes the scripts' `print` to `sink`: it gets each line as Luau's `print` formats it
    /// (`tostring` of each argument, tab-separated, a final `\n`). The default discards the
    /// lines; `print` is never nil. The sink must not use this state (a line printed while
    /// the sink runs is dropped); a panic in it is resumed when the outermost call returns.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// let state = luau::State::new()?;
    /// let out = Rc::new(RefCell::new(Vec::new()));
    /// let sink = Rc::clone(&out);
    /// state.set_print(move |line| sink.borrow_mut().extend_from_slice(line));
    /// state.do_string("print('a', 1, true, nil)")?;
    /// assert_eq!(&out.borrow()[..], b"a\t1\ttrue\tnil\n");
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn set_print(&self, sink: impl FnMut(&[u8]) + 'static) {
        self.install_print(Some(Box::new(sink)));
    }

    /// Routes `print` to a writer (each line written with `write_all`; write errors are
    /// ignored, as a script cannot act on them).
    pub fn set_print_writer(&self, mut writer: impl Write + 'static) {
        self.set_print(move |line| {
            let _ = writer.write_all(line);
        });
    }

    /// Back to the default: `print` discards its output.
    pub fn discard_print(&self) {
        self.install_print(None);
    }

    fn install_print(&self, sink: Option<PrintFn>) {
        let on = sink.is_some();
        let old = match self.shared.print.0.try_borrow_mut() {
            Ok(mut slot) => std::mem::replace(&mut *slot, sink),
            Err(_) => return, // only while the sink itself runs: keep it
        };
        ffi::RawState::set_print_sink(&*self.shared, on);
        drop(old);
    }

    /// A handle that stops this state's current run from any thread (see
    /// [`InterruptHandle`]). From the first handle on, every run checks for stop requests at
    /// its safepoints (an atomic load in C, a few percent of a pure-Luau loop).
    ///
    /// ```
    /// use std::time::Duration;
    /// let state = luau::State::new()?;
    /// let handle = state.interrupt_handle();
    /// let stopper = std::thread::spawn(move || {
    ///     // interrupt() is false while nothing runs: retry until the script started.
    ///     while !handle.interrupt() {
    ///         std::thread::sleep(Duration::from_millis(1));
    ///     }
    /// });
    /// let err = state.do_string("while true do end").unwrap_err();
    /// stopper.join().unwrap();
    /// assert_eq!(err.kind(), luau::ErrorKind::Interrupted);
    /// assert_eq!(err.message(), "script interrupted: cancelled");
    /// assert_eq!(state.do_string("return 'usable'")?, [luau::Value::from("usable")]);
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn interrupt_handle(&self) -> InterruptHandle {
        match self.shared.raw.stop_handle() {
            Some(raw) => InterruptHandle { raw: Arc::new(raw) },
            None => std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u64; 4]>()),
        }
    }
}

impl Shared {
    /// Applies a sandbox [`StateOptions::sandbox`] asked for, before the first run.
    #[inline]
    pub(crate) fn seal_if_pending(&self) -> Result<()> {
        if self.seal_pending.get() && self.raw.host_depth() == 0 {
            return self.seal();
        }
        Ok(())
    }

    #[cold]
    pub(crate) fn seal(&self) -> Result<()> {
        self.run(|raw| raw.sandbox())?;
        self.seal_pending.set(false);
        Ok(())
    }
}

/// Stops a [`State`]'s current run from any thread: `Send + Sync + Clone`, and harmless
/// after the state is gone (then [`interrupt`](Self::interrupt) does nothing and returns
/// false). Obtained from [`State::interrupt_handle`]; `State` itself stays on its thread.
///
/// The stopped run returns [`Error::Interrupted`](crate::Error::Interrupted) with cause
/// [`InterruptCause::Cancel`](crate::InterruptCause::Cancel). A host function running when
/// the request arrives finishes first; the script stops at its next safepoint after it.
#[derive(Clone)]
pub struct InterruptHandle {
    raw: Arc<ffi::StopRef>,
}

impl InterruptHandle {
    /// Stops the run going on now. Returns true if a run was going on, false if the state
    /// was idle or is gone (then nothing happens: a later run is not affected).
    pub fn interrupt(&self) -> bool {
        self.raw.request(ffi::LUAW_STOP_CANCEL)
    }
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptHandle").finish_non_exhaustive()
    }
}
