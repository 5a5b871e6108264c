//! Garbage-collector controls: Luau's `lua_gc`, on the state and from inside host functions.

use crate::error::{Error, ErrorKind, Result};
use crate::ffi;
use crate::function::CallContext;
use crate::state::{Shared, State};

/// An operation of Luau's garbage collector, for [`State::gc`] and [`CallContext::gc`].
/// Sizes are in KB unless stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GcOp {
    /// Stops automatic collection; result 0.
    Stop,
    /// Restarts it; result 0.
    Restart,
    /// A full collection (it re-arms a stopped collector, as Luau does); result 0.
    Collect,
    /// Result: the heap size in KB, rounded down.
    Count,
    /// Result: the heap size modulo 1024, in bytes.
    CountBytes,
    /// Result: 1 if automatic collection runs, else 0.
    IsRunning,
    /// A step of `arg` KB of work; result 1 if it finished a cycle, else 0.
    Step,
    /// Sets the goal (percent: heap size after a cycle); result: the old goal.
    SetGoal,
    /// Sets the step multiplier (percent); result: the old value.
    SetStepMul,
    /// Sets the step size (KB); result: the old value.
    SetStepSize,
}

impl GcOp {
    /// The wrapper's (and Luau's) number of the operation.
    fn raw(self) -> i32 {
        match self {
            GcOp::Stop => 0,
            GcOp::Restart => 1,
            GcOp::Collect => 2,
            GcOp::Count => 3,
            GcOp::CountBytes => 4,
            GcOp::IsRunning => 5,
            GcOp::Step => 6,
            GcOp::SetGoal => 7,
            GcOp::SetStepMul => 8,
            GcOp::SetStepSize => 9,
        }
    }
}

impl Shared {
    pub(crate) fn gc(&self, op: GcOp, arg: i32) -> Result<i32> {
        self.raw.gc(op.raw(), arg).map_err(|status| match status {
            ffi::LUAW_ERRARG => Error::new(
                ErrorKind::Argument,
                format!("bad argument {arg} for garbage-collector operation {op:?}"),
            ),
            status => Error::new(
                ErrorKind::from_status(status),
                format!("garbage collector failed (status {status})"),
            ),
        })
    }
}

impl State {
    /// Runs a garbage-collector operation (Luau's `lua_gc`) and returns its result.
    /// A negative `arg` to [`GcOp::Step`] or [`GcOp::SetStepSize`] is
    /// [`ErrorKind::Argument`].
    ///
    /// ```
    /// use luau::GcOp;
    /// let state = luau::State::new()?;
    /// state.gc(GcOp::Stop, 0)?;
    /// assert_eq!(state.gc(GcOp::IsRunning, 0)?, 0);
    /// state.gc(GcOp::Restart, 0)?;
    /// assert!(state.gc(GcOp::Count, 0)? > 0); // KB
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn gc(&self, op: GcOp, arg: i32) -> Result<i32> {
        self.shared.gc(op, arg)
    }
}

impl CallContext<'_> {
    /// [`State::gc`] from inside a host function: it acts on the thread that called the
    /// function (what a script's `collectgarbage` needs).
    pub fn gc(&self, op: GcOp, arg: i32) -> Result<i32> {
        self.shared().gc(op, arg)
    }
}
