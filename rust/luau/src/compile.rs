//! Compiling Luau source to bytecode (no state needed; safe on any thread).

use crate::error::{Error, ErrorKind, Result};
use crate::ffi;

/// Options for [`compile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileOptions {
    /// 0 (none), 1 (default: baseline, no inlining) or 2 (aggressive).
    pub optimization_level: u8,
    /// 0 (none), 1 (default: line info and function names) or 2 (plus locals).
    pub debug_level: u8,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            optimization_level: 1,
            debug_level: 1,
        }
    }
}

impl CompileOptions {
    /// The defaults (levels 1 and 1).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the optimisation level (0..=2).
    pub fn optimization_level(mut self, level: u8) -> Self {
        self.optimization_level = level;
        self
    }

    /// Sets the debug level (0..=2).
    pub fn debug_level(mut self, level: u8) -> Self {
        self.debug_level = level;
        self
    }
}

/// Luau bytecode, as produced by [`compile`]. Load it with [`crate::State::load`].
///
/// There is deliberately no way to make one from arbitrary bytes: Luau's VM trusts the
/// bytecode it loads, so only the compiler's output is safe to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bytecode(Vec<u8>);

impl Bytecode {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Compiles `src`. A syntax error is [`ErrorKind::Syntax`] with a message of the form
/// `:<line>: <text>`.
///
/// ```
/// let err = luau::compile("local x = = 1", &luau::CompileOptions::default()).unwrap_err();
/// assert_eq!(err.kind(), luau::ErrorKind::Syntax);
/// assert!(err.message().starts_with(":1:"));
/// ```
pub fn compile(src: impl AsRef<[u8]>, options: &CompileOptions) -> Result<Bytecode> {
    if options.optimization_level > 2 || options.debug_level > 2 {
        return Err(Error::new(
            ErrorKind::Argument,
            "compile levels must be 0, 1 or 2",
        ));
    }
    ffi::compile(
        src.as_ref(),
        i32::from(options.optimization_level),
        i32::from(options.debug_level),
    )
    .map(Bytecode)
    .map_err(Error::from_raw)
}
