//! Luau threads as values: [`ThreadRef`], the owned handle that results, globals and table
//! fields holding a thread (a coroutine a script made) come back as ([`Value::Thread`]).
//!
//! A `ThreadRef` is a value like a table handle: stored anywhere, passed back to Luau as that
//! thread. To resume, inspect or reset it, the host takes a [`Thread`] of it with
//! [`State::thread`]; a host-made [`Thread`] becomes a value with [`Thread::to_value`].

use std::fmt;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::Handle;
use crate::state::{Shared, State};
use crate::thread::Thread;
use crate::value::Value;

/// A Luau thread held as a value: an owned registry reference (see [`crate::handle`] for how
/// handles are tied to their state).
///
/// ```
/// use luau::{ThreadResult, Value};
///
/// let state = luau::State::new()?;
/// // A script hands the host a coroutine it made...
/// let co = match state.do_string("return coroutine.create(function(a) local b = coroutine.yield(a * 2) return a + b end)")?.remove(0) {
///     Value::Thread(t) => t,
///     other => panic!("{other:?}"),
/// };
/// // ...which the host resumes as a Thread.
/// let thread = state.thread(&co)?;
/// assert_eq!(thread.resume(&[Value::Number(20.0)])?, ThreadResult::Yielded(vec![Value::Number(40.0)]));
/// // Passed back to Luau it is that coroutine.
/// state.set_global("co", &Value::Thread(co))?;
/// assert_eq!(state.do_string("return coroutine.resume(co, 22)")?, [Value::Boolean(true), Value::Number(42.0)]);
/// # Ok::<(), luau::Error>(())
/// ```
#[derive(Clone)]
pub struct ThreadRef(pub(crate) Handle);

impl PartialEq for ThreadRef {
    /// The same Luau thread (identity, as `rawequal`).
    fn eq(&self, other: &ThreadRef) -> bool {
        self.0 == other.0
    }
}

impl fmt::Debug for ThreadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ThreadRef")
    }
}

impl From<ThreadRef> for Value {
    fn from(t: ThreadRef) -> Self {
        Value::Thread(t)
    }
}

impl State {
    /// The thread `t` holds, to resume, inspect or reset (a new reference to the same Luau
    /// thread). A thread of another state is [`ErrorKind::Conversion`]; one whose state was
    /// dropped cannot be passed here (that state is gone).
    pub fn thread(&self, t: &ThreadRef) -> Result<Thread<'_>> {
        let shared: &Shared = &self.shared;
        if !std::ptr::eq(&**t.0.shared(), shared) {
            return Err(Error::new(
                ErrorKind::Conversion,
                "cannot use a thread handle of another state on this one",
            ));
        }
        let reference = shared.run(|raw| {
            raw.push_ref(t.0.reference())?;
            raw.make_ref(-1)
        })?;
        Ok(Thread::from_reference(shared, reference))
    }
}

impl Thread<'_> {
    /// The thread as a value ([`Value::Thread`]), to pass to Luau or keep beyond this
    /// `Thread`'s borrow of the state.
    pub fn to_value(&self) -> Result<Value> {
        let shared = self.shared();
        shared.run(|raw| {
            raw.push_ref(self.reference())?;
            let h = Handle::make(shared, raw, raw.gettop())?;
            Ok(Value::Thread(ThreadRef(h)))
        })
    }
}
