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

/// Luau bytecode, as produced by [`compile`], with the library's integrity trailer (Luau
/// version, length, checksum). Load it with [`crate::State::load`].
///
/// It may be stored ([`Bytecode::as_bytes`]) and loaded again, in another process of the
/// same library build, through [`Bytecode::from_bytes`]. Loading checks the trailer before
/// Luau's VM (which trusts its bytecode) sees a byte: corrupted, truncated or foreign bytes,
/// or bytecode of another Luau version, give [`ErrorKind::Argument`] ("bytecode rejected:
/// ..."), never a crash. The checksum detects corruption, not forgery: do not load bytecode
/// from an untrusted source.
///
/// ```
/// let stored = luau::compile("return 6 * 7", &luau::CompileOptions::default())?.into_bytes();
/// let state = luau::State::new()?;
/// let f = state.load("=stored", &luau::Bytecode::from_bytes(stored.clone()))?;
/// assert_eq!(f.call(&[])?, vec![luau::Value::Number(42.0)]);
///
/// let mut corrupted = stored;
/// corrupted[3] ^= 0x10;
/// let err = state.load("=bad", &luau::Bytecode::from_bytes(corrupted)).unwrap_err();
/// assert_eq!(err.kind(), luau::ErrorKind::Argument);
/// # Ok::<(), luau::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bytecode(Vec<u8>);

impl Bytecode {
    /// Bytes stored from [`Bytecode::as_bytes`] / [`Bytecode::into_bytes`]. Nothing is trusted
    /// here: the integrity trailer is checked when the bytecode is loaded.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Bytecode {
        Bytecode(bytes.into())
    }

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
