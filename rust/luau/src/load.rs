//! Loading source from inside a host function: the host side of a `loadstring`.

use std::fmt;

use crate::compile::CompileOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::function::CallContext;
use crate::state::Shared;
use crate::value::{StackSlot, Type, Value, ValueRef};

/// A Luau function on the stack of a running host call, made by [`CallContext::load`]. It
/// lives until the host function returns: return it to Luau with
/// [`CallContext::push`] (`ctx.push(f)`) or call it with [`call`](Self::call).
#[derive(Clone, Copy)]
pub struct StackFunction<'c> {
    shared: &'c Shared,
    index: i32,
}

impl StackFunction<'_> {
    /// Calls the function with `args` (a nested call); returns its results.
    pub fn call(&self, args: &[Value]) -> Result<Vec<Value>> {
        self.shared.call_stack_value(self.index, args)
    }
}

// The function lives on the call's stack: it must not outlive the call (hence one lifetime).
impl<'c> From<StackFunction<'c>> for ValueRef<'c> {
    fn from(f: StackFunction<'c>) -> Self {
        ValueRef::Stack(StackSlot {
            ty: Type::Function,
            index: f.index,
        })
    }
}

impl fmt::Debug for StackFunction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackFunction")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl<'a> CallContext<'a> {
    /// Compiles `src` with the default options and loads it as a function named `chunkname`
    /// (empty: `chunk`), without running it: the host side of a `loadstring`.
    ///
    /// The function is loaded on the thread that called this host function, so its
    /// environment is that thread's current globals (a coroutine's after `setfenv(0, t)`).
    /// A syntax error is [`ErrorKind::Syntax`] whose message Luau's loader formats, naming
    /// the chunk (`[string "name"]:1: ...`); nothing is loaded then.
    ///
    /// ```
    /// let state = luau::State::new()?;
    /// state.register_func("loadstring", |ctx| {
    ///     let src = ctx.bytes(0)?;
    ///     match ctx.load(src, "=loaded") {
    ///         Ok(f) => ctx.push(f),
    ///         Err(e) if e.kind() == luau::ErrorKind::Syntax => {
    ///             ctx.push_nil()?;
    ///             ctx.push_string(e.message())
    ///         }
    ///         Err(e) => Err(e),
    ///     }
    /// })?;
    /// let v = state.do_string("return loadstring('return 1 + 1')(), select(2, loadstring('x ='))")?;
    /// assert_eq!(v[0], luau::Value::Number(2.0));
    /// assert!(v[1].as_str().unwrap().starts_with("loaded:1:"));
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn load(
        &self,
        src: impl AsRef<[u8]>,
        chunkname: impl AsRef<[u8]>,
    ) -> Result<StackFunction<'a>> {
        self.load_with(src, chunkname, &CompileOptions::default())
    }

    /// [`load`](Self::load) with compile options.
    pub fn load_with(
        &self,
        src: impl AsRef<[u8]>,
        chunkname: impl AsRef<[u8]>,
        options: &CompileOptions,
    ) -> Result<StackFunction<'a>> {
        if options.optimization_level > 2 || options.debug_level > 2 {
            return Err(Error::new(
                ErrorKind::Argument,
                "compile levels must be 0, 1 or 2",
            ));
        }
        let shared = self.shared();
        shared
            .raw
            .load_source(
                src.as_ref(),
                chunkname.as_ref(),
                i32::from(options.optimization_level),
                i32::from(options.debug_level),
            )
            .map_err(Error::from_raw)?;
        Ok(StackFunction {
            shared,
            index: shared.raw.gettop(),
        })
    }
}
