//! Host functions as values: a host function without a global, for a host module's
//! members, a table field, an argument or a result.

use std::rc::Rc;

use crate::error::Result;
use crate::function::{CallContext, HostFn, IntoResults};
use crate::handle::Handle;
use crate::registry;
use crate::state::{too_many, Function, Shared, State};

impl State {
    /// A typed host function (as [`register`](State::register) takes it) as a value,
    /// without a global; `name` is what Luau's messages call it. Like a registered function
    /// it lives as long as the state (dropping the [`Function`] drops the handle, not the
    /// function a script may still hold), so create it once, not per call.
    ///
    /// ```
    /// let state = luau::State::new()?;
    /// let shout = state.create_function("shout", |(s,): (String,)| format!("{s}!"))?;
    /// state.register_module("@host/strings", [("shout", luau::Value::Function(shout))])?;
    /// let v = state.do_string("return require('@host/strings').shout('hi'), type(shout)")?;
    /// assert_eq!(v, [luau::Value::from("hi!"), luau::Value::from("nil")]);
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn create_function<A, R, F>(&self, name: impl AsRef<[u8]>, f: F) -> Result<Function>
    where
        A: crate::typed::FromArgs,
        R: crate::typed::IntoReturn,
        F: Fn(A) -> R + 'static,
    {
        self.create_func(name, move |ctx| {
            let args = A::from_args(ctx, 0)?;
            f(args).into_return(ctx)
        })
    }

    /// A host function taking the call context (as [`register_func`](State::register_func)
    /// takes it) as a value, without a global.
    pub fn create_func<F, R>(&self, name: impl AsRef<[u8]>, f: F) -> Result<Function>
    where
        F: Fn(&mut CallContext<'_>) -> Result<R> + 'static,
        R: IntoResults,
    {
        let func: Rc<HostFn> = Rc::new(move |ctx: &mut CallContext<'_>| {
            let results = f(ctx)?;
            results.push_results(ctx)
        });
        create_value_func(&self.shared, name.as_ref(), func)
    }
}

fn create_value_func(shared: &Shared, name: &[u8], func: Rc<HostFn>) -> Result<Function> {
    let id = registry::insert(&shared.functions, shared.key, func).ok_or_else(too_many)?;
    let made = shared.run(|raw| {
        raw.push_function(id, name)?;
        Handle::make(shared, raw, raw.gettop()).map(Function)
    });
    match made {
        Ok(f) => {
            // Removed from the registry with the state's other functions when it closes.
            shared.hidden_ids.borrow_mut().push(id);
            Ok(f)
        }
        Err(err) => {
            registry::remove_one(&shared.functions, shared.key, id);
            Err(err)
        }
    }
}
