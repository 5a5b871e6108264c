//! Native code generation (Luau's CodeGen), opt-in per state.
//!
//! With the `codegen` cargo feature (on by default) the crate builds Luau's code generator
//! in. A state created with [`StateOptions::native_codegen`]`(true)` then compiles every
//! chunk it loads ([`State::do_string`], [`State::load`], bytecode, `loadstring`, required
//! modules) to machine code right after loading it; results are the interpreter's. Where
//! [`native_codegen_supported`] is false (the feature is off, or the CPU is neither x64 with
//! SSE4.1 nor arm64) the option does nothing and the state interprets, as mlua's
//! `enable_jit` does; [`State::native_codegen`] tells which one a state got.
//!
//! ```
//! use luau::{State, StateOptions, Value};
//!
//! let state = State::with_options(StateOptions::default().native_codegen(true))?;
//! assert_eq!(state.native_codegen(), luau::native_codegen_supported());
//! let out = state.do_string(
//!     "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
//!      return fib(20)",
//! )?;
//! assert_eq!(out, [Value::Number(6765.0)]);
//! # Ok::<(), luau::Error>(())
//! ```

use crate::ffi::RawState;
use crate::state::{Function, State, StateOptions};

/// Whether [`StateOptions::native_codegen`] compiles to machine code here: the crate was
/// built with the `codegen` feature and this CPU is one Luau's code generator supports.
pub fn native_codegen_supported() -> bool {
    RawState::codegen_supported()
}

impl StateOptions {
    /// Compile every chunk the state loads to machine code (see the [module
    /// docs](crate::codegen)); where [`native_codegen_supported`] is false the state
    /// interprets.
    pub fn native_codegen(mut self, on: bool) -> Self {
        self.native_codegen = on;
        self
    }
}

impl State {
    /// Whether this state compiles the chunks it loads to machine code
    /// ([`StateOptions::native_codegen`] on a machine where [`native_codegen_supported`]).
    pub fn native_codegen(&self) -> bool {
        self.shared.raw.codegen_enabled()
    }

    /// Turns the code generator on where supported (from [`State::with_options`]).
    pub(crate) fn init_codegen(&self, options: &StateOptions) {
        if options.native_codegen && native_codegen_supported() {
            // Unsupported after all (no executable memory): the state interprets, as documented.
            let _ = self.shared.raw.enable_codegen();
        }
    }
}

impl Function {
    /// Whether this is a Luau function compiled to machine code (false for host functions,
    /// for functions of states without native code generation, and once the state is gone).
    pub fn is_native(&self) -> bool {
        let Ok(shared) = self.0.live() else {
            return false;
        };
        let raw = &shared.raw;
        let top = raw.gettop();
        if raw.push_ref(self.0.reference()).is_err() {
            return false;
        }
        let native = raw.is_native(-1);
        let _ = raw.settop(top);
        native
    }
}
