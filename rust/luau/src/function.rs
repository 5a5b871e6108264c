//! Host functions: the call context, results, and the dispatcher behind the trampoline.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::ffi::{self, CallFrame, RawError};
use crate::state::{push_owned, read_results, Callee, Shared};
use crate::value::{f64_to_i64, StackSlot, Type, Value, ValueRef};

/// A registered host function, as the registry stores it.
pub(crate) type HostFn = dyn Fn(&mut CallContext<'_>) -> Result<()>;

/// One call of a host function: its arguments, its results, and the state it runs in.
///
/// Arguments are borrowed for the call (`'a`): strings are Luau's own bytes, not copies.
/// Indices are 0-based (argument 0 is Luau's `#1`). Results are pushed with the `push_*`
/// methods and/or returned from the function (see [`IntoResults`]).
///
/// Nested calls ([`call`](Self::call), [`do_string`](Self::do_string), ...) run on the same
/// state while this call is in progress (host -> Luau -> host, to any depth the C stack limit
/// allows).
pub struct CallContext<'a> {
    shared: &'a Shared,
    frame: CallFrame<'a>,
}

impl<'a> CallContext<'a> {
    pub(crate) fn shared(&self) -> &'a Shared {
        self.shared
    }

    /// Drops the results pushed so far (a yield replaces them).
    pub(crate) fn clear_results(&mut self) {
        self.frame.truncate_results(0);
    }

    /// 0 for a call from Luau, else the token this call continues (see async_fn.rs).
    pub(crate) fn continuation(&self) -> u64 {
        self.frame.continuation()
    }

    /// With a yield: be called again on resume with `token` as the continuation.
    pub(crate) fn set_yield_continuation(&mut self, token: u64) {
        self.frame.set_yield_continuation(token);
    }

    pub(crate) fn frame_arg_userdata(&self, i: usize) -> Option<(u32, u64)> {
        self.frame.arg_userdata(i)
    }

    pub(crate) fn push_userdata_raw(&mut self, type_id: u32, handle: u64) -> Result<()> {
        let r = self.frame.push_userdata(type_id, handle);
        self.pushed(r)
    }

    /// Pushes `registry[r][key]` as a result (kept on the stack for the rest of the call).
    pub(crate) fn push_ref_field(&mut self, r: i32, key: &[u8]) -> Result<()> {
        let index = self.shared.push_ref_field(r, key)?;
        self.push(ValueRef::Stack(StackSlot {
            ty: Type::Function,
            index,
        }))
    }

    /// The name the function was registered under, as bytes.
    pub fn name_bytes(&self) -> &'a [u8] {
        self.frame.name()
    }

    /// The name the function was registered under (lossily decoded).
    pub fn name(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.frame.name())
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.frame.nargs()
    }

    /// True if there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Argument `i` (0-based); [`ValueRef::Nil`] past the end.
    pub fn arg(&self, i: usize) -> ValueRef<'a> {
        self.frame.arg(i).map_or(ValueRef::Nil, ValueRef::from)
    }

    /// All arguments.
    pub fn args(&self) -> impl ExactSizeIterator<Item = ValueRef<'a>> + '_ {
        (0..self.len()).map(move |i| self.arg(i))
    }

    /// An argument error for argument `i` (0-based) worded as Luau's `luaL_argerror`:
    /// `invalid argument #<i+1> to '<name>' (<detail>)`.
    pub fn bad_argument(&self, i: usize, detail: impl fmt::Display) -> Error {
        Error::bad_argument(i + 1, &self.name(), detail)
    }

    /// The error for argument `i` (0-based) not being an `expected`, worded as Luau's
    /// `luaL_typeerror`: `invalid argument #<i+1> to '<name>' (<expected> expected, got
    /// <type>)`, where `<type>` is what `typeof` says of the argument (a registered userdata
    /// type's name for its values, `nil` for a nil that is there), or, when the call has no
    /// argument `i` at all, `missing argument #<i+1> to '<name>' (<expected> expected)`.
    #[cold]
    #[inline(never)]
    pub fn type_error(&self, i: usize, expected: &str) -> Error {
        match self.arg_type_name(i) {
            Some(got) => Error::bad_argument(
                i + 1,
                &self.name(),
                format_args!("{expected} expected, got {got}"),
            ),
            None => Error::missing_argument(i + 1, &self.name(), expected),
        }
    }

    /// What `typeof` says of argument `i`; `None` if the call has no argument `i`.
    pub(crate) fn arg_type_name(&self, i: usize) -> Option<&'static str> {
        if let Some((type_id, _)) = self.frame.arg_userdata(i) {
            let name = self
                .shared
                .userdata
                .try_borrow()
                .ok()
                .and_then(|store| store.type_name(type_id));
            return Some(name.unwrap_or("userdata"));
        }
        self.frame.arg(i).map(ValueRef::from).map(|v| match v {
            ValueRef::Stack(StackSlot { ty, .. }) => ty.name(),
            v => v.type_of().name(),
        })
    }

    /// Argument `i` as a number (`number` or `integer`), else an argument error worded as
    /// Luau's: `invalid argument #1 to 'add' (number expected, got string)` (see
    /// [`type_error`](Self::type_error)).
    #[inline]
    pub fn number(&self, i: usize) -> Result<f64> {
        match self.frame.arg_number(i) {
            Some(n) => Ok(n),
            None => Err(self.type_error(i, "number")),
        }
    }

    /// Argument `i` as an integer: an `integer`, or a `number` with an exact integral value.
    #[inline]
    pub fn integer(&self, i: usize) -> Result<i64> {
        match self.arg(i) {
            ValueRef::Integer(n) => Ok(n),
            ValueRef::Number(n) => match f64_to_i64(n) {
                Some(n) => Ok(n),
                None => Err(self.no_integer(i)),
            },
            _ => Err(self.type_error(i, "number")),
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn no_integer(&self, i: usize) -> Error {
        Error::bad_argument(i + 1, &self.name(), "number has no integer representation")
    }

    /// Argument `i` as a boolean.
    pub fn boolean(&self, i: usize) -> Result<bool> {
        match self.arg(i) {
            ValueRef::Boolean(b) => Ok(b),
            _ => Err(self.type_error(i, "boolean")),
        }
    }

    /// Argument `i` as string bytes (borrowed from Luau for the call).
    #[inline]
    pub fn bytes(&self, i: usize) -> Result<&'a [u8]> {
        match self.frame.arg_bytes(i) {
            Some(b) => Ok(b),
            None => Err(self.type_error(i, "string")),
        }
    }

    /// Argument `i` as UTF-8 text (borrowed from Luau for the call).
    #[inline]
    pub fn str(&self, i: usize) -> Result<&'a str> {
        let bytes = self.bytes(i)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(_) => Err(self.not_utf8(i)),
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn not_utf8(&self, i: usize) -> Error {
        Error::bad_argument(i + 1, &self.name(), "string is not valid UTF-8")
    }

    /// Argument `i` as a vector.
    pub fn vector(&self, i: usize) -> Result<[f32; 3]> {
        match self.arg(i) {
            ValueRef::Vector(v) => Ok(v),
            _ => Err(self.type_error(i, "vector")),
        }
    }

    /// Argument `i` as a table, read through the wrapper's protected accessors.
    pub fn table(&self, i: usize) -> Result<StackTable<'a>> {
        match self.arg(i) {
            ValueRef::Stack(StackSlot {
                ty: Type::Table,
                index,
            }) => Ok(StackTable {
                shared: self.shared,
                index,
            }),
            _ => Err(self.type_error(i, "table")),
        }
    }

    /// Creates a table that lives for the rest of this call; return it with
    /// [`push`](Self::push) (`ctx.push(table)`).
    pub fn create_table(&self, narr: usize, nrec: usize) -> Result<StackTable<'a>> {
        let index = self.shared.push_new_table(
            i32::try_from(narr).unwrap_or(i32::MAX),
            i32::try_from(nrec).unwrap_or(i32::MAX),
        )?;
        Ok(StackTable {
            shared: self.shared,
            index,
        })
    }

    /// Calls argument `i` (a Luau function) with `args`; returns its results.
    pub fn call_arg(&self, i: usize, args: &[Value]) -> Result<Vec<Value>> {
        match self.arg(i) {
            ValueRef::Stack(StackSlot {
                ty: Type::Function,
                index,
            }) => self.shared.call_stack_value(index, args),
            _ => Err(self.type_error(i, "function")),
        }
    }

    /// Calls global function `name` with `args` (which may be this call's arguments, tables
    /// and functions included) and appends all its results to this call's results, tables
    /// and functions included: `return name(...)` from the host. Returns how many.
    pub fn forward_call(&mut self, name: impl AsRef<[u8]>, args: &[ValueRef<'_>]) -> Result<usize> {
        let (first, n) = self.shared.call_keep(Callee::Global(name.as_ref()), args)?;
        let r = self.frame.push_stack_results(&self.shared.raw, first, n);
        self.pushed(r)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Like [`forward_call`](Self::forward_call), calling argument `i` (a function).
    pub fn forward_call_arg(&mut self, i: usize, args: &[ValueRef<'_>]) -> Result<usize> {
        let index = match self.arg(i) {
            ValueRef::Stack(StackSlot {
                ty: Type::Function,
                index,
            }) => index,
            _ => return Err(self.type_error(i, "function")),
        };
        let (first, n) = self.shared.call_keep(Callee::Stack(index), args)?;
        let r = self.frame.push_stack_results(&self.shared.raw, first, n);
        self.pushed(r)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// `tostring(arg)` (with `__tostring`), as bytes.
    pub fn to_string_bytes(&self, i: usize) -> Result<Vec<u8>> {
        match self.arg(i) {
            ValueRef::Stack(StackSlot { index, .. }) => self.shared.run(|raw| raw.tostring(index)),
            ValueRef::String(s) => Ok(s.to_vec()),
            v => Ok(v.to_owned().to_string().into_bytes()),
        }
    }

    /// The number of results pushed so far.
    pub fn results_len(&self) -> usize {
        self.frame.nresults()
    }

    #[inline]
    fn pushed(&mut self, r: std::result::Result<(), RawError>) -> Result<()> {
        match r {
            Ok(()) => Ok(()),
            Err(raw) => Err(Error::from_raw(raw)),
        }
    }

    /// Pushes a result; a string is copied (into C memory the trampoline hands to Luau).
    pub fn push<'v>(&mut self, value: impl Into<ValueRef<'v>>) -> Result<()> {
        let value = value.into();
        if let ValueRef::Stack(StackSlot { index, .. }) = value {
            // Only values of this call's frame (arguments, tables it created) can be results.
            if index < 1 || index > self.shared.raw.gettop() {
                return Err(Error::new(
                    ErrorKind::Argument,
                    "a stack value result must be an argument or a table this call created",
                ));
            }
        }
        let r = self.frame.push_result(&ffi::AsRaw::as_raw(&value));
        self.pushed(r)
    }

    /// Pushes an owned value: a [`Table`](crate::Table) or [`Function`](crate::Function)
    /// handle of this state as itself ([`ErrorKind::Conversion`] for another state's);
    /// [`Value::Other`] cannot be pushed.
    pub fn push_value(&mut self, value: &Value) -> Result<()> {
        if let Value::Other(t) = value {
            return Err(Error::new(
                ErrorKind::Conversion,
                format!("cannot return a {t} value by value"),
            ));
        }
        if let Some(h) = value.handle() {
            crate::handle::check_handles(self.shared, std::slice::from_ref(value))?;
            // The handle's value goes on the stack of this call's frame, where it stays until
            // the trampoline has pushed the results.
            let index = self
                .shared
                .raw
                .push_ref(h.reference())
                .map(|()| self.shared.raw.gettop());
            let index = self
                .pushed(index.map(|_| ()))
                .map(|()| self.shared.raw.gettop())?;
            return self.push(ValueRef::Stack(StackSlot {
                ty: value.type_of(),
                index,
            }));
        }
        self.push(value)
    }

    /// Pushes `nil`.
    pub fn push_nil(&mut self) -> Result<()> {
        self.push(ValueRef::Nil)
    }

    /// Pushes a number.
    #[inline]
    pub fn push_number(&mut self, n: f64) -> Result<()> {
        let r = self.frame.push_number(n);
        self.pushed(r)
    }

    /// Pushes a boolean.
    pub fn push_bool(&mut self, b: bool) -> Result<()> {
        self.push(ValueRef::Boolean(b))
    }

    /// Pushes a string (copied).
    #[inline]
    pub fn push_string(&mut self, s: impl AsRef<[u8]>) -> Result<()> {
        let r = self.frame.push_string(s.as_ref());
        self.pushed(r)
    }

    /// Pushes argument `i` unchanged, without copying a string (any type, e.g. a table).
    pub fn push_arg(&mut self, i: usize) -> Result<()> {
        let r = self.frame.push_arg(i);
        self.pushed(r)
    }

    // --- nested operations on the same state -------------------------------------------------

    /// Calls global function `name` (host -> Luau, nested).
    pub fn call(&self, name: impl AsRef<[u8]>, args: &[Value]) -> Result<Vec<Value>> {
        self.shared.call_global(name.as_ref(), args)
    }

    /// Runs a chunk (nested).
    pub fn do_string(&self, src: impl AsRef<[u8]>) -> Result<Vec<Value>> {
        self.shared.do_string(src.as_ref(), b"")
    }

    /// The value of global `name`.
    pub fn get_global(&self, name: impl AsRef<[u8]>) -> Result<Value> {
        self.shared.get_global(name.as_ref())
    }

    /// Sets global `name`.
    pub fn set_global(&self, name: impl AsRef<[u8]>, value: &Value) -> Result<()> {
        self.shared.set_global(name.as_ref(), value)
    }

    /// Registers a host function on the calling state (see [`crate::State::register_func`]).
    pub fn register_func<F, R>(&self, name: impl AsRef<[u8]>, f: F) -> Result<()>
    where
        F: Fn(&mut CallContext<'_>) -> Result<R> + 'static,
        R: IntoResults,
    {
        self.shared.register_func(name.as_ref(), f)
    }

    /// Unregisters a host function of the calling state (the running one included: it
    /// finishes this call normally).
    pub fn unregister_func(&self, name: impl AsRef<[u8]>) -> Result<()> {
        self.shared.unregister_func(name.as_ref())
    }

    /// Bytes of Luau heap in use.
    pub fn memory_used(&self) -> usize {
        self.shared.raw.memory_used()
    }
}

impl fmt::Debug for CallContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("name", &self.name())
            .field("args", &self.args().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A table argument of a host function. Reads go through the wrapper's protected accessors,
/// so `__index` metamethods run and their errors come back as [`Error`]s.
#[derive(Clone, Copy)]
pub struct StackTable<'c> {
    shared: &'c Shared,
    index: i32,
}

/// A table key for [`StackTable::get`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Key<'k> {
    /// A string key (`t.name`, `t["name"]`).
    Str(&'k [u8]),
    /// An integer key (`t[1]`).
    Int(i64),
}

impl<'k> From<&'k str> for Key<'k> {
    fn from(s: &'k str) -> Self {
        Key::Str(s.as_bytes())
    }
}

impl<'k> From<&'k [u8]> for Key<'k> {
    fn from(s: &'k [u8]) -> Self {
        Key::Str(s)
    }
}

impl From<i64> for Key<'_> {
    fn from(i: i64) -> Self {
        Key::Int(i)
    }
}

impl From<i32> for Key<'_> {
    fn from(i: i32) -> Self {
        Key::Int(i64::from(i))
    }
}

impl StackTable<'_> {
    /// `t[key]` (metamethods run); tables and functions come back as [`Value::Other`].
    pub fn get<'k>(&self, key: impl Into<Key<'k>>) -> Result<Value> {
        let key = key.into();
        self.shared.run(|raw| {
            let base = raw.gettop();
            match key {
                Key::Str(s) => raw.getfield(self.index, s)?,
                Key::Int(i) => raw.geti(self.index, i)?,
            };
            read_results(self.shared, raw, base).map(|mut v| v.pop().unwrap_or(Value::Nil))
        })
    }

    /// `t[key] = value` (metamethods run).
    pub fn set<'k>(&self, key: impl Into<Key<'k>>, value: &Value) -> Result<()> {
        let key = key.into();
        self.shared.run(|raw| {
            push_owned(self.shared, raw, std::slice::from_ref(value))?;
            match key {
                Key::Str(s) => raw.setfield(self.index, s),
                Key::Int(i) => raw.seti(self.index, i),
            }
        })
    }

    /// `t[key]` converted to `T` (a struct's field, say); the error detail names the key:
    /// `field 'x': number expected, got string`.
    pub fn get_as<'k, T: crate::typed::FromValue>(&self, key: impl Into<Key<'k>>) -> Result<T> {
        let key = key.into();
        let v = self.get(key)?;
        T::from_value(&v).map_err(|detail| {
            let key = match key {
                Key::Str(s) => format!("field '{}'", String::from_utf8_lossy(s)),
                Key::Int(i) => format!("element {i}"),
            };
            Error::new(ErrorKind::Conversion, format!("{key}: {detail}"))
        })
    }

    /// The raw length (`#t` without `__len`).
    pub fn raw_len(&self) -> Result<usize> {
        self.shared.run(|raw| raw.rawlen(self.index))
    }

    /// All key/value pairs in `pairs` (`next`) order; nested tables and functions are
    /// handles.
    pub fn pairs(&self) -> Result<Vec<(Value, Value)>> {
        self.shared
            .run(|raw| crate::handle::pairs_at(self.shared, raw, self.index))
    }

    /// The array part `t[1] .. t[#t]` (raw length, metamethods run on reads).
    pub fn sequence(&self) -> Result<Vec<Value>> {
        let n = self.raw_len()?;
        (1..=n as i64).map(|i| self.get(i)).collect()
    }
}

// The value lives on the call's stack: it must not outlive the call (hence one lifetime).
impl<'c> From<StackTable<'c>> for ValueRef<'c> {
    fn from(t: StackTable<'c>) -> Self {
        ValueRef::Stack(StackSlot {
            ty: Type::Table,
            index: t.index,
        })
    }
}

impl fmt::Debug for StackTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackTable")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// What a host function may return besides pushing through the context: the returned
/// values are appended to the results already pushed.
pub trait IntoResults {
    /// Appends the values to the call's results.
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()>;
}

impl IntoResults for () {
    #[inline]
    fn push_results(self, _ctx: &mut CallContext<'_>) -> Result<()> {
        Ok(())
    }
}

macro_rules! into_results_via_push {
    ($($t:ty),*) => {$(
        impl IntoResults for $t {
            fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
                ctx.push(self)
            }
        }
    )*};
}
into_results_via_push!(bool);

impl IntoResults for f64 {
    #[inline]
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_number(self)
    }
}

impl IntoResults for &str {
    #[inline]
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_string(self)
    }
}

impl IntoResults for &[u8] {
    #[inline]
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_string(self)
    }
}

impl IntoResults for i64 {
    /// As a Luau number (exact up to 2^53), as scripts expect.
    #[inline]
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_number(self as f64)
    }
}

impl IntoResults for i32 {
    #[inline]
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_number(f64::from(self))
    }
}

impl IntoResults for String {
    #[inline]
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_string(self)
    }
}

impl IntoResults for Vec<u8> {
    /// A string.
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_string(self)
    }
}

impl IntoResults for Value {
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_value(&self)
    }
}

impl IntoResults for Vec<Value> {
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        self.iter().try_for_each(|v| ctx.push_value(v))
    }
}

impl<T: IntoResults> IntoResults for Option<T> {
    /// `None` is one `nil`.
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        match self {
            Some(v) => v.push_results(ctx),
            None => ctx.push_nil(),
        }
    }
}

macro_rules! into_results_tuple {
    ($($name:ident),+) => {
        impl<$($name: IntoResults),+> IntoResults for ($($name,)+) {
            #[allow(non_snake_case)]
            fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
                let ($($name,)+) = self;
                $($name.push_results(ctx)?;)+
                Ok(())
            }
        }
    };
}
into_results_tuple!(A);
into_results_tuple!(A, B);
into_results_tuple!(A, B, C);
into_results_tuple!(A, B, C, D);
into_results_tuple!(A, B, C, D, E);
into_results_tuple!(A, B, C, D, E, G);

/// The text of a panic payload.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// One Luau -> Rust call: look the function up, run it with panics caught, and report
/// OK / ERROR / PANIC to the trampoline, which raises (if at all) after we returned.
///
/// The common path makes no call into C: the release queue is drained only when the state
/// holds userdata values (otherwise Luau cannot have released any), and the function's
/// error and panic handling is out of line.
#[inline]
pub(crate) fn dispatch(shared: &Shared, frame: CallFrame<'_>) -> i32 {
    let mut ctx = CallContext { shared, frame };
    if shared.panic_pending() {
        return refuse_after_panic(&mut ctx);
    }
    // A host function that yielded with `yield_then` continues in its continuation.
    let token = ctx.frame.continuation();
    if token & crate::thread::CONTINUATION_BIT != 0 {
        return dispatch_continuation(&mut ctx, token);
    }
    let func = crate::registry::lookup(&shared.functions, ctx.frame.function_id());
    // Values Luau collected since the last call are dropped now, outside the GC (their Drop
    // may run any code: it is guarded like the function).
    if shared.may_have_released() {
        if let Err(code) = drain_guarded(&mut ctx) {
            return code;
        }
    }
    let Some(func) = func else {
        return not_registered(&mut ctx);
    };
    // The function (possibly the last reference, if it unregistered itself) is dropped inside
    // the guard too: a panicking destructor is caught like any other panic. The one guard
    // returns the code; errors are converted inside it, out of line.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let result = func(&mut ctx);
        drop(func);
        match result {
            Ok(()) => ffi::LUAW_CB_OK,
            Err(err) => host_error(&mut ctx, err),
        }
    }));
    match outcome {
        Ok(code) => code,
        Err(payload) => host_panic(&mut ctx, payload),
    }
}

/// The resume of a host function that yielded with `CallContext::yield_then`: its
/// continuation runs under the same guard as a host function, and its answer is the host
/// function's.
#[cold]
#[inline(never)]
fn dispatch_continuation(ctx: &mut CallContext<'_>, token: u64) -> i32 {
    if ctx.shared.may_have_released() {
        if let Err(code) = drain_guarded(ctx) {
            return code;
        }
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let result = match ctx.shared.continuations.take(token) {
            Some(then) => then(ctx),
            None => Err(Error::new(
                ErrorKind::Runtime,
                format!("the continuation of host function '{}' is gone", ctx.name()),
            )),
        };
        match result {
            Ok(()) => ffi::LUAW_CB_OK,
            Err(err) => host_error(ctx, err),
        }
    }));
    match outcome {
        Ok(code) => code,
        Err(payload) => host_panic(ctx, payload),
    }
}

#[cold]
#[inline(never)]
fn refuse_after_panic(ctx: &mut CallContext<'_>) -> i32 {
    // A host function already panicked in this outermost call: run no more host code;
    // the trampoline re-raises the first panic.
    ctx.frame
        .set_error(b"a host function panicked earlier in this call", 0);
    ffi::LUAW_CB_PANIC
}

#[cold]
#[inline(never)]
fn drain_guarded(ctx: &mut CallContext<'_>) -> std::result::Result<(), i32> {
    let shared = ctx.shared;
    // drain_released drops each value under its own guard and stores the first panic.
    let released = catch_unwind(AssertUnwindSafe(|| shared.drain_released()));
    if let Err(payload) = released {
        shared.store_panic(payload);
    }
    if shared.panic_pending() {
        ctx.frame.set_error(b"a userdata destructor panicked", 0);
        return Err(ffi::LUAW_CB_PANIC);
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn not_registered(ctx: &mut CallContext<'_>) -> i32 {
    let message = format!("function '{}' is not registered", ctx.name());
    ctx.frame.set_error(message.as_bytes(), 0);
    ffi::LUAW_CB_ERROR
}

/// The host function returned an error.
#[cold]
#[inline(never)]
fn host_error(ctx: &mut CallContext<'_>, err: Error) -> i32 {
    // CallContext::yield_values: the results are the yielded values (thread.rs).
    if crate::thread::is_yield_request(&err) {
        return ffi::LUAW_CB_YIELD;
    }
    ctx.frame.truncate_results(0);
    // Every error a host function returns is a host error: raised with exactly its
    // message and, if it escapes, returned as `Error::Host` whose source is the
    // original (an escaped host error passing through keeps its own original).
    let message = err.message().to_owned();
    let nested_traceback = crate::error::nested_traceback(&err).to_owned();
    let source: Arc<dyn std::error::Error + Send + Sync> = match err {
        Error::Host {
            source: Some(source),
            ..
        } => source,
        other => Arc::new(other),
    };
    let token = ctx.shared.remember_host_error(source, nested_traceback);
    ctx.frame.set_error(message.as_bytes(), token);
    ffi::LUAW_CB_ERROR
}

/// The host function (or its error's conversion, or its destructor) panicked.
#[cold]
#[inline(never)]
fn host_panic(ctx: &mut CallContext<'_>, payload: Box<dyn Any + Send>) -> i32 {
    ctx.frame.truncate_results(0);
    let text = panic_text(&*payload);
    ctx.shared.store_panic(payload);
    ctx.frame.set_error(text.as_bytes(), 0);
    ffi::LUAW_CB_PANIC
}
