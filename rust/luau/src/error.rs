//! Errors: one kind per C status code, message, traceback, and the host's original error.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::ffi;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed host error, as host functions raise them.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, one to one with the wrapper's status codes (see `docs/bindings.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `LUAW_ERRRUN`: a runtime error in a script.
    Runtime,
    /// `LUAW_ERRSYNTAX`: a compile error (the message has the line number).
    Syntax,
    /// `LUAW_ERRMEM`: out of memory, or over the state's memory limit.
    Memory,
    /// `LUAW_ERRHOST`: a host function's error escaped the script; [`Error::source`] is the
    /// host's original error.
    Host,
    /// `LUAW_ERRPANIC`: a host function panicked. Only nested calls see this kind: the
    /// outermost call resumes the panic instead of returning.
    Panic,
    /// `LUAW_ERRARG`: an argument was rejected (bad argument to a host function, unknown name
    /// to `unregister_func`, a value that cannot be pushed, ...).
    Argument,
    /// `LUAW_ERRBUSY`: not allowed while a call is running.
    Busy,
    /// `LUAW_ERRABI`: this crate and the linked wrapper disagree on the ABI.
    Abi,
    /// A value could not be converted (binding only).
    Conversion,
    /// `LUAW_ERRINTERRUPT`: a stop request or a deadline ended the run
    /// ([`Error::Interrupted`], whose `cause` says which).
    Interrupted,
}

impl ErrorKind {
    /// Maps a wrapper status (non-zero) to its kind. Unknown statuses map to `Runtime`.
    pub(crate) fn from_status(status: i32) -> ErrorKind {
        match status {
            ffi::LUAW_ERRRUN => ErrorKind::Runtime,
            ffi::LUAW_ERRSYNTAX => ErrorKind::Syntax,
            ffi::LUAW_ERRMEM => ErrorKind::Memory,
            // An error in the message handler (the wrapper's handler never raises one).
            ffi::LUAW_ERRERR => ErrorKind::Runtime,
            ffi::LUAW_ERRHOST => ErrorKind::Host,
            ffi::LUAW_ERRPANIC => ErrorKind::Panic,
            ffi::LUAW_ERRARG => ErrorKind::Argument,
            ffi::LUAW_ERRBUSY => ErrorKind::Busy,
            ffi::LUAW_ERRABI => ErrorKind::Abi,
            ffi::LUAW_ERRINTERRUPT => ErrorKind::Interrupted,
            // LUAW_YIELD is reserved: a yield across the boundary is reported as a runtime error.
            ffi::LUAW_YIELD => ErrorKind::Runtime,
            _ => ErrorKind::Runtime,
        }
    }

    /// The kind's shared name (the test matrix's `error.kind`): `"runtime"`, `"syntax"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Runtime => "runtime",
            ErrorKind::Syntax => "syntax",
            ErrorKind::Memory => "memory",
            ErrorKind::Host => "host",
            ErrorKind::Panic => "panic",
            ErrorKind::Argument => "argument",
            ErrorKind::Busy => "busy",
            ErrorKind::Abi => "abi",
            ErrorKind::Conversion => "conversion",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a run was interrupted ([`Error::Interrupted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InterruptCause {
    /// [`InterruptHandle::interrupt`](crate::InterruptHandle::interrupt) stopped it
    /// (message `script interrupted: cancelled`).
    Cancel,
    /// Its deadline or run timeout passed (message `script interrupted: deadline exceeded`).
    Deadline,
}

impl InterruptCause {
    /// The wrapper's cause (`luaw_Error.host_token` of `LUAW_ERRINTERRUPT`).
    pub(crate) fn from_raw(cause: u64) -> InterruptCause {
        if cause == ffi::LUAW_STOP_DEADLINE as u64 {
            InterruptCause::Deadline
        } else {
            InterruptCause::Cancel
        }
    }
}

impl fmt::Display for InterruptCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InterruptCause::Cancel => "cancelled",
            InterruptCause::Deadline => "deadline exceeded",
        })
    }
}

/// An error from Luau, the wrapper, or a host function.
///
/// Every variant has a [`kind`](Error::kind), a [`message`](Error::message) and a
/// [`traceback`](Error::traceback) (empty when there is none). A host function's error that
/// escaped a script is [`Error::Host`], whose [`source`](StdError::source) is the very error
/// the host function returned: downcast it to get it back.
///
/// Errors are `Send + Sync + Clone` (the host's error is shared through an `Arc`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// An error raised by Luau or the wrapper (every kind but `Host`).
    #[non_exhaustive]
    Luau {
        /// The kind (never `Host`).
        kind: ErrorKind,
        /// The message, e.g. `[string "chunk"]:3: attempt to call a nil value`.
        message: String,
        /// The Luau call stack at the error (`stack traceback:` ...), or empty.
        traceback: String,
    },
    /// A host function's error that escaped the script unhandled.
    #[non_exhaustive]
    Host {
        /// The host error's own text when the original is known (what the script saw may
        /// carry a position prefix, e.g. from `coroutine.wrap`), else the message the script
        /// saw.
        message: String,
        /// The Luau call stack at the error.
        traceback: String,
        /// The host's original error, when it is known.
        source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
    },
    /// A stop request or a deadline ended the run (kind [`ErrorKind::Interrupted`]). The stop
    /// is sticky: a script's `pcall` cannot swallow it. The state stays usable.
    #[non_exhaustive]
    Interrupted {
        /// What stopped the run.
        cause: InterruptCause,
        /// `script interrupted: cancelled` or `script interrupted: deadline exceeded`.
        message: String,
        /// The Luau call stack where the run was stopped.
        traceback: String,
    },
}

impl Error {
    /// A new error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        if kind == ErrorKind::Host {
            return Error::Host {
                message: message.into(),
                traceback: String::new(),
                source: None,
            };
        }
        if kind == ErrorKind::Interrupted {
            return Error::Interrupted {
                cause: InterruptCause::Cancel,
                message: message.into(),
                traceback: String::new(),
            };
        }
        Error::Luau {
            kind,
            message: message.into(),
            traceback: String::new(),
        }
    }

    /// Wraps a host error: a host function returning it raises a Luau error whose message is
    /// exactly `err`'s text, and when it escapes the script the caller gets an
    /// [`Error::Host`] whose `source()` is `err` itself.
    pub fn external(err: impl Into<BoxError>) -> Error {
        let err: Arc<dyn StdError + Send + Sync> = Arc::from(err.into());
        Error::Host {
            message: err.to_string(),
            traceback: String::new(),
            source: Some(err),
        }
    }

    /// An argument error worded as Luau 0.745's own `luaL_argerror`:
    /// `invalid argument #2 to 'add' (number expected, got string)`.
    pub fn bad_argument(position: usize, function: &str, detail: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::Argument,
            format!("invalid argument #{position} to '{function}' ({detail})"),
        )
    }

    /// The error for an argument the call does not have at all, worded as Luau 0.745's own
    /// `luaL_typeerror`: `missing argument #2 to 'add' (number expected)`.
    pub fn missing_argument(position: usize, function: &str, expected: &str) -> Error {
        Error::new(
            ErrorKind::Argument,
            format!("missing argument #{position} to '{function}' ({expected} expected)"),
        )
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Luau { kind, .. } => *kind,
            Error::Host { .. } => ErrorKind::Host,
            Error::Interrupted { .. } => ErrorKind::Interrupted,
        }
    }

    /// The message, without traceback.
    pub fn message(&self) -> &str {
        match self {
            Error::Luau { message, .. }
            | Error::Host { message, .. }
            | Error::Interrupted { message, .. } => message,
        }
    }

    /// The Luau traceback at the error (`""` when there is none).
    pub fn traceback(&self) -> &str {
        match self {
            Error::Luau { traceback, .. }
            | Error::Host { traceback, .. }
            | Error::Interrupted { traceback, .. } => traceback,
        }
    }

    /// The host's original error, shared (for `Host` errors whose origin is known).
    pub fn host_error(&self) -> Option<&Arc<dyn StdError + Send + Sync + 'static>> {
        match self {
            Error::Host { source, .. } => source.as_ref(),
            Error::Luau { .. } | Error::Interrupted { .. } => None,
        }
    }

    /// What stopped the run, for an [`Error::Interrupted`].
    pub fn interrupt_cause(&self) -> Option<InterruptCause> {
        match self {
            Error::Interrupted { cause, .. } => Some(*cause),
            _ => None,
        }
    }

    pub(crate) fn with_traceback(mut self, tb: String) -> Error {
        match &mut self {
            Error::Luau { traceback, .. }
            | Error::Host { traceback, .. }
            | Error::Interrupted { traceback, .. } => *traceback = tb,
        }
        self
    }

    pub(crate) fn from_raw(raw: ffi::RawError) -> Error {
        if raw.status == ffi::LUAW_ERRINTERRUPT {
            return Error::Interrupted {
                cause: InterruptCause::from_raw(raw.host_token),
                message: raw.message,
                traceback: raw.traceback,
            };
        }
        Error::new(ErrorKind::from_status(raw.status), raw.message).with_traceback(raw.traceback)
    }
}

const TRACEBACK_HEADER: &str = "stack traceback:";

/// The traceback of the nested call's error a host function's error came from: the error's
/// own traceback (an error of a nested call returned as it is), else that of the first
/// [`Error`] in its `source()` chain with one (a host error wrapping it); `""` when none.
pub(crate) fn nested_traceback(err: &Error) -> &str {
    if !err.traceback().is_empty() {
        return err.traceback();
    }
    let mut next = err.source();
    while let Some(e) = next {
        if let Some(luau) = e.downcast_ref::<Error>() {
            if !luau.traceback().is_empty() {
                return luau.traceback();
            }
        }
        next = e.source();
    }
    ""
}

/// The whole Luau call stack of a host error that came from a nested call's error, innermost
/// frame first: the nested error's frames (`inner`), then the outer frames (from the host
/// function's own frame outwards) unless `inner` already ends with them (a nested call on the
/// same thread does; a nested chunk runs on a thread of its own). Every frame appears once,
/// under one `stack traceback:` header. `outer` alone when there is no nested traceback.
pub(crate) fn join_tracebacks(inner: &str, outer: &str) -> String {
    if inner.is_empty() {
        return outer.to_owned();
    }
    let frames = match outer.strip_prefix(TRACEBACK_HEADER) {
        Some(frames) => frames.to_owned(),
        None if outer.is_empty() => String::new(),
        None => format!("\n{outer}"),
    };
    if frames.is_empty() || inner.ends_with(&frames) {
        return inner.to_owned();
    }
    format!("{inner}{frames}")
}

impl fmt::Display for Error {
    /// The message. The alternate form (`{:#}`) appends the traceback.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())?;
        if f.alternate() && !self.traceback().is_empty() {
            write!(f, "\n{}", self.traceback())?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Host {
                source: Some(err), ..
            } => Some(&**err as &(dyn StdError + 'static)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_one_to_one_from_status_codes() {
        let table = [
            (ffi::LUAW_ERRRUN, ErrorKind::Runtime, "runtime"),
            (ffi::LUAW_ERRSYNTAX, ErrorKind::Syntax, "syntax"),
            (ffi::LUAW_ERRMEM, ErrorKind::Memory, "memory"),
            (ffi::LUAW_ERRHOST, ErrorKind::Host, "host"),
            (ffi::LUAW_ERRPANIC, ErrorKind::Panic, "panic"),
            (ffi::LUAW_ERRARG, ErrorKind::Argument, "argument"),
            (ffi::LUAW_ERRBUSY, ErrorKind::Busy, "busy"),
            (ffi::LUAW_ERRABI, ErrorKind::Abi, "abi"),
            (
                ffi::LUAW_ERRINTERRUPT,
                ErrorKind::Interrupted,
                "interrupted",
            ),
        ];
        // No error_handler kind: the wrapper's message handler never raises.
        assert_eq!(ErrorKind::from_status(ffi::LUAW_ERRERR), ErrorKind::Runtime);
        let mut seen = std::collections::HashSet::new();
        for (status, kind, name) in table {
            assert_eq!(ErrorKind::from_status(status), kind, "status {status}");
            assert_eq!(kind.as_str(), name);
            assert!(seen.insert(kind), "{kind:?} mapped twice");
        }
        // The status values themselves are ABI: never renumbered.
        assert_eq!(
            [
                ffi::LUAW_OK,
                ffi::LUAW_YIELD,
                ffi::LUAW_ERRRUN,
                ffi::LUAW_ERRSYNTAX,
                ffi::LUAW_ERRMEM,
                ffi::LUAW_ERRERR
            ],
            [0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            [
                ffi::LUAW_ERRHOST,
                ffi::LUAW_ERRPANIC,
                ffi::LUAW_ERRARG,
                ffi::LUAW_ERRBUSY,
                ffi::LUAW_ERRABI
            ],
            [16, 17, 18, 19, 20]
        );
    }

    #[test]
    fn errors_are_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Error>();
    }

    #[test]
    fn external_keeps_the_original() {
        #[derive(Debug)]
        struct Mine(u32);
        impl fmt::Display for Mine {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "mine {}", self.0)
            }
        }
        impl StdError for Mine {}
        let e = Error::external(Mine(7));
        assert_eq!(e.kind(), ErrorKind::Host);
        assert_eq!(e.message(), "mine 7");
        let src = e.source().expect("source");
        assert_eq!(src.downcast_ref::<Mine>().map(|m| m.0), Some(7));
    }
}
