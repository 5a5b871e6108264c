//! Luau embedded in Rust through luau-embed's shared C++ wrapper.
//!
//! A [`State`] runs Luau scripts and calls Luau functions; host functions written in Rust are
//! registered by name with [`State::register_func`] and called from scripts.
//!
//! ```
//! use luau::{State, Value};
//!
//! let state = State::new()?;
//! state.register_func("greet", |ctx| Ok(format!("hello, {}", ctx.str(0)?)))?;
//! let out = state.do_string(r#"return greet("luau"), 6 * 7"#)?;
//! assert_eq!(out, [Value::from("hello, luau"), Value::Number(42.0)]);
//! # Ok::<(), luau::Error>(())
//! ```
//!
//! Host functions come in two forms: [`State::register_func`] takes a closure over the raw
//! [`CallContext`] (arguments borrowed from Luau, results written into C memory: one
//! crossing per call), and [`State::register`] takes a typed closure whose parameters and
//! results convert automatically (see [`typed`]). Rust types become Luau userdata with
//! methods, fields and operators through [`UserData`] (see [`userdata`]).
//!
//! # Macros
//!
//! `#[luau::function]` turns a Rust function into a host function without writing the
//! conversions: it keeps the function as written and adds a native wrapper (a companion
//! type of the same name, see [`HostFunction`]) that converts the arguments, calls it, and
//! converts the result.
//!
//! ```
//! /// Joins the parts with the separator.
//! #[luau::function]
//! fn join(sep: &str, parts: luau::Variadic<String>) -> String {
//!     parts.join(sep)
//! }
//!
//! assert_eq!(join("-", luau::Variadic(vec!["a".into(), "b".into()])), "a-b");
//! let state = luau::State::new()?;
//! state.register_function::<join>()?;
//! assert_eq!(state.do_string("return join(', ', 'x', 'y')")?, [luau::Value::from("x, y")]);
//! let err = state.do_string("return join(', ', 'x', 2)").unwrap_err();
//! assert!(err.message().contains("invalid argument #3 to 'join' (string expected, got number)"));
//! # Ok::<(), luau::Error>(())
//! ```
//!
//! `#[derive(luau::UserData)]` makes a struct a userdata type (its name, its fields);
//! `#[luau::methods]` on its impl block exposes the functions: `&self` / `&mut self` methods
//! (`v:len()`), the `#[luau(constructor)]` and other factories (`Vec3.new(1, 2, 3)`), and
//! operators (`#[luau(meta = "__add")]`: `__add`, `__sub`, `__mul`, `__div`, `__idiv`,
//! `__mod`, `__pow`, `__unm`, `__eq`, `__lt`, `__le`, `__len`, `__concat`, `__call`,
//! `__index`, `__newindex`, `__tostring`). The destructor is `Drop`: it runs exactly once,
//! when Luau collects the value or when the state closes. A value of another type passed
//! where a `Vec3` is expected is `invalid argument #1 to 'f' (Vec3 expected, got Player)`.
//!
//! ```
//! #[derive(luau::UserData)]
//! struct Vec3 {
//!     x: f64,
//!     y: f64,
//!     #[luau(readonly)]
//!     z: f64,
//! }
//!
//! #[luau::methods]
//! impl Vec3 {
//!     #[luau(constructor)]
//!     fn new(x: f64, y: f64, z: f64) -> Vec3 {
//!         Vec3 { x, y, z }
//!     }
//!
//!     fn len(&self) -> f64 {
//!         (self.x * self.x + self.y * self.y + self.z * self.z).sqrt()
//!     }
//!
//!     #[luau(meta = "__add")]
//!     fn add(&self, o: &Vec3) -> Vec3 {
//!         Vec3::new(self.x + o.x, self.y + o.y, self.z + o.z)
//!     }
//!
//!     #[luau(meta = "__tostring")]
//!     fn show(&self) -> String {
//!         format!("Vec3({}, {}, {})", self.x, self.y, self.z)
//!     }
//! }
//!
//! let state = luau::State::new()?;
//! state.register_type::<Vec3>()?;
//! let out = state.do_string(
//!     "local v = Vec3.new(0, 2, 2) + Vec3.new(0, 0, 0) v.x = 1 return v:len(), tostring(v), typeof(v)",
//! )?;
//! assert_eq!(out, [3.0.into(), "Vec3(1, 2, 2)".into(), "Vec3".into()]);
//! let err = state.do_string("Vec3.new(1, 2, 3).z = 0").unwrap_err();
//! assert!(err.message().contains("field 'z' of Vec3 is read-only"));
//! # Ok::<(), luau::Error>(())
//! ```
//!
//! Options the macros do not know, and signatures they cannot wrap (generic, `async`,
//! `self` by value, `impl Trait` parameters, ...) are compile errors, never ignored:
//!
//! ```compile_fail
//! #[derive(luau::UserData)]
//! struct Vec3 {
//!     #[luau(writeonly)] // error: unknown luau option `writeonly` on a userdata field
//!     x: f64,
//! }
//! ```
//!
//! ```compile_fail
//! #[derive(luau::UserData)]
//! struct Vec3 {
//!     x: f64,
//! }
//!
//! #[luau::methods]
//! impl Vec3 {
//!     #[luau(constructor)] // error: a `#[luau(constructor)]` must return `Self` or `Result<Self, E>`
//!     fn new(x: f64) -> f64 {
//!         x
//!     }
//! }
//! ```
//!
//! # The boundary
//!
//! No Luau error ever unwinds through a Rust frame. A script's call of a host function goes
//! through the wrapper's C++ trampoline, which hands the arguments over in C memory and calls
//! this crate's dispatcher once; the dispatcher runs the function (with panics caught) and
//! returns a status. Only after it returned does the trampoline push the results or raise the
//! Luau error.
//!
//! - A host function's error becomes a Luau error with exactly its text, which `pcall` can
//!   catch. If it escapes the script, the caller gets [`Error::Host`] whose
//!   [`source()`](std::error::Error::source) is the original error.
//! - A host function's panic becomes a Luau error `host function '<name>' panicked: <text>`
//!   (a script's `pcall` sees it, but the state keeps raising it), and the original panic is
//!   resumed with [`std::panic::resume_unwind`] on the calling thread when the outermost call
//!   returns. Nested calls made from inside host functions see [`ErrorKind::Panic`].
//! - Host functions live in one process-wide registry (id -> state, function); a script that
//!   kept a function whose registration is gone gets `function '<name>' is not registered`.
//!
//! # Untrusted scripts
//!
//! [`StateOptions::untrusted`] bundles the containment features (see [`containment`]): Luau's
//! sandbox (read-only libraries, host functions and types; each run its own globals), a memory
//! limit that also bounds converting results to Rust, a run timeout, and `print` discarded
//! unless [`State::set_print`] installs a sink. A stopped run is [`Error::Interrupted`].
//!
//! ```
//! use std::time::Duration;
//! use luau::{ErrorKind, InterruptCause, State, StateOptions};
//!
//! let state = State::with_options(StateOptions::untrusted().run_timeout(Duration::from_millis(50)))?;
//! let err = state.do_string("while true do pcall(function() while true do end end) end").unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Interrupted);
//! assert_eq!(err.interrupt_cause(), Some(InterruptCause::Deadline));
//! assert!(state.do_string("string.rep = nil").unwrap_err().message().contains("readonly"));
//! assert_eq!(state.do_string("return 'still usable'")?, ["still usable".into()]);
//! # Ok::<(), luau::Error>(())
//! ```
//!
//! Luau threads (coroutines) are host values too ([`State::create_thread`], [`Thread`]), and
//! host functions can yield ([`CallContext::yield_values`]); see [`thread`].
//!
//! # Threads
//!
//! A [`State`] is neither `Send` nor `Sync`; each thread creates its own. Host functions
//! therefore need not be `Send`. Calls on different states never contend on a write lock.
//!
//! ```compile_fail
//! fn send<T: Send>(_: T) {}
//! send(luau::State::new().unwrap()); // a State stays on its thread
//! ```
//!
//! ```compile_fail
//! fn sync<T: Sync>(_: &T) {}
//! sync(&luau::State::new().unwrap()); // and is never shared between threads
//! ```
//!
//! Handles ([`Table`], [`Function`]) are owned and may outlive their state; used then, they
//! give a clean error, never another state's value:
//!
//! ```
//! let f = {
//!     let state = luau::State::new().unwrap();
//!     state.do_string("function f() end").unwrap();
//!     state.get_function("f").unwrap()
//! };
//! assert!(f.call(&[]).unwrap_err().message().contains("closed"));
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

pub mod async_fn;
mod call;
pub mod codegen;
mod compile;
pub mod containment;
mod error;
mod ffi;
mod func_value;
mod function;
mod gc;
mod handle;
#[cfg(test)]
mod layering_tests;
mod load;
mod macros;
mod registry;
pub mod require;
#[cfg(feature = "serde")]
pub mod serde;
mod state;
mod sys;
pub mod thread;
mod thread_value;
pub mod typed;
pub mod userdata;
mod userdata_handle;
mod value;

#[cfg(feature = "serde")]
pub use self::serde::Serde;
pub use async_fn::AsyncCall;
pub use call::{FromResult, FromResults, IntoArg, IntoArgs};
pub use codegen::native_codegen_supported;
pub use compile::{compile, Bytecode, CompileOptions};
pub use containment::InterruptHandle;
pub use error::{BoxError, Error, ErrorKind, InterruptCause, Result};
pub use ffi::{build_info, BuildInfo};
pub use function::{CallContext, IntoResults, Key, StackTable};
pub use gc::GcOp;
pub use handle::Table;
pub use load::StackFunction;
#[doc(hidden)]
pub use macros::__private;
/// Derives [`UserData`](trait@UserData) (and [`UserDataType`]) for a struct or enum; see the
/// crate docs' *Macros* section.
pub use macros::UserData;
pub use macros::{
    function, methods, FieldInfo, FunctionInfo, HostFunction, MethodInfo, MethodKind, ParamInfo,
    TypeInfo, UserDataMethods, UserDataType,
};
pub use registry::{registry_len, registry_len_for};
pub use require::{DirResolver, MapResolver, Module, Resolver};
pub use state::{Function, RegistryKey, State, StateOptions};
pub use thread::{Resumed, Thread, ThreadResult, ThreadStatus};
pub use thread_value::ThreadRef;
pub use typed::{FromArg, FromArgs, FromLuau, FromValue, IntoReturn, Variadic};
pub use userdata::{UserData, UserDataRef, UserDataRegistry};
pub use userdata_handle::AnyUserData;
pub use value::{StackSlot, Type, Value, ValueRef};
