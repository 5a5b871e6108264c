//! Owned handles: Luau tables and functions held by the host as registry references.
//!
//! A handle keeps its value alive until the last clone drops, and is usable anywhere on the
//! state's thread (outside host calls too). It is tied to its state by identity: used on
//! another state is [`ErrorKind::Conversion`], after its state was dropped
//! [`ErrorKind::Argument`] (`the handle's state is closed`): clean errors, never another
//! state's value. Dropping one never calls into Luau at a bad time:
//! inside a host call the reference is queued and released at the next outermost call;
//! after the state closed there is nothing to release.

use std::fmt;
use std::rc::Rc;

use crate::error::{Error, ErrorKind, Result};
use crate::ffi::{self, RawError, RawState};
pub use crate::state::Function;
use crate::state::{read_results, Shared};
use crate::value::{StackSlot, Type, Value, ValueRef};

/// One registry reference on one state.
pub(crate) struct HandleInner {
    pub(crate) shared: Rc<Shared>,
    pub(crate) reference: i32,
    /// `lua_topointer` of the value: its identity while it lives (the handle keeps it alive).
    ptr: usize,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.shared.release_ref(self.reference);
    }
}

/// The shared part of every owned handle (cheap to clone: one reference per value taken).
#[derive(Clone)]
pub(crate) struct Handle(Rc<HandleInner>);

impl Handle {
    /// A new reference to the value at `idx` of `shared`'s stack.
    pub(crate) fn make(
        shared: &Shared,
        raw: &RawState,
        idx: i32,
    ) -> std::result::Result<Handle, RawError> {
        let reference = raw.make_ref(idx)?;
        let ptr = raw.topointer(idx);
        Ok(Handle(Rc::new(HandleInner {
            shared: shared.rc(),
            reference,
            ptr,
        })))
    }

    /// The state, if it is still open.
    pub(crate) fn live(&self) -> Result<&Shared> {
        let shared = &*self.0.shared;
        if shared.is_closed() {
            return Err(Error::new(
                ErrorKind::Argument,
                "the handle's state is closed (dropped)",
            ));
        }
        Ok(shared)
    }

    /// Checks that the handle belongs to `target` (and that it is open).
    pub(crate) fn check_state(&self, target: &Shared) -> std::result::Result<(), RawError> {
        if !std::ptr::eq(&*self.0.shared, target) {
            return Err(RawError::new(
                ffi::LUAW_ERRARG,
                "a handle of another state cannot be used on this one",
            ));
        }
        Ok(())
    }

    pub(crate) fn reference(&self) -> i32 {
        self.0.reference
    }

    pub(crate) fn shared(&self) -> &Rc<Shared> {
        &self.0.shared
    }

    fn same(&self, other: &Handle) -> bool {
        Rc::ptr_eq(&self.0.shared, &other.0.shared) && self.0.ptr == other.0.ptr
    }
}

/// Fails with [`ErrorKind::Conversion`] when a handle among `values` belongs to another
/// state than `target` (before anything is pushed or run).
pub(crate) fn check_handles(target: &Shared, values: &[Value]) -> Result<()> {
    for v in values {
        if let Some(h) = v.handle() {
            if !std::ptr::eq(&**h.shared(), target) {
                return Err(Error::new(
                    ErrorKind::Conversion,
                    format!(
                        "cannot pass a {} handle of another state to this one",
                        v.type_of()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Pushes `values` in order: values by value, handles by their reference (checked to be of
/// `shared`). The stack grows by exactly `values.len()`.
pub(crate) fn push_mixed(
    shared: &Shared,
    raw: &RawState,
    values: &[Value],
) -> std::result::Result<(), RawError> {
    let mut start = 0;
    for (i, v) in values.iter().enumerate() {
        if let Some(h) = v.handle() {
            raw.push_values(&values[start..i])?;
            h.check_state(shared)?;
            raw.push_ref(h.reference())?;
            start = i + 1;
        }
    }
    raw.push_values(&values[start..])
}

/// `values` as the raw layer passes them in one crossing: `None` when they hold no handle
/// (use them as they are); else handles pushed now (checked to be of `shared`) and passed
/// by stack index. The pushed values stay on the stack: take the call's base after this.
pub(crate) fn stage<'v>(
    shared: &Shared,
    raw: &RawState,
    values: &'v [Value],
) -> std::result::Result<Option<Vec<ValueRef<'v>>>, RawError> {
    if !values.iter().any(|v| v.handle().is_some()) {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v.handle() {
            Some(h) => {
                h.check_state(shared)?;
                raw.push_ref(h.reference())?;
                out.push(ValueRef::Stack(StackSlot {
                    ty: v.type_of(),
                    index: raw.gettop(),
                }));
            }
            None => out.push(v.as_ref()),
        }
    }
    Ok(Some(out))
}

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

/// A Luau table held by the host: an owned registry reference (see the module docs).
///
/// ```
/// use luau::{State, Value};
/// let state = State::new()?;
/// let config = state.create_table()?;
/// config.set("name", "luau")?;
/// config.set(1, 10)?;
/// state.set_global("config", &Value::Table(config.clone()))?;
/// state.do_string("config.seen = true; config[2] = #config.name")?;
/// assert_eq!(config.get("seen")?, Value::Boolean(true));
/// assert_eq!(config.sequence_values()?, [Value::Number(10.0), Value::Number(4.0)]);
/// // A table the script returns is a handle too, nested ones as well.
/// let t = match state.do_string("return {inner = {x = 1}}")?.remove(0) {
///     Value::Table(t) => t,
///     other => panic!("{other:?}"),
/// };
/// let inner = t.get("inner")?;
/// assert_eq!(inner.as_table().unwrap().get("x")?, Value::Number(1.0));
/// # Ok::<(), luau::Error>(())
/// ```
#[derive(Clone)]
pub struct Table(pub(crate) Handle);

impl Table {
    /// Runs `op` with the table pushed (at the returned index).
    fn with<T>(
        &self,
        op: impl FnOnce(&Shared, &RawState, i32) -> std::result::Result<T, RawError>,
    ) -> Result<T> {
        let shared = self.0.live()?;
        shared.run(|raw| {
            raw.push_ref(self.0.reference())?;
            let idx = raw.gettop();
            op(shared, raw, idx)
        })
    }

    fn get_impl(&self, key: &Value, raw_access: bool) -> Result<Value> {
        self.with(|shared, raw, idx| {
            push_mixed(shared, raw, std::slice::from_ref(key))?;
            raw.table_get(idx, raw_access)?;
            read_results(shared, raw, idx).map(|mut v| v.pop().unwrap_or(Value::Nil))
        })
    }

    fn set_impl(&self, key: &Value, value: &Value, raw_access: bool) -> Result<()> {
        self.with(|shared, raw, idx| {
            push_mixed(shared, raw, &[key.clone(), value.clone()])?;
            raw.table_set(idx, raw_access)
        })
    }

    /// `t[key]` (metamethods run; their errors come back as [`Error`]s).
    pub fn get(&self, key: impl Into<Value>) -> Result<Value> {
        self.get_impl(&key.into(), false)
    }

    /// `t[key] = value` (metamethods run). A nil or NaN key is a runtime error.
    pub fn set(&self, key: impl Into<Value>, value: impl Into<Value>) -> Result<()> {
        self.set_impl(&key.into(), &value.into(), false)
    }

    /// `rawget(t, key)`.
    pub fn raw_get(&self, key: impl Into<Value>) -> Result<Value> {
        self.get_impl(&key.into(), true)
    }

    /// `rawset(t, key, value)`; a read-only (sandboxed) table is [`ErrorKind::Argument`].
    pub fn raw_set(&self, key: impl Into<Value>, value: impl Into<Value>) -> Result<()> {
        self.set_impl(&key.into(), &value.into(), true)
    }

    /// The raw length (`#t` without `__len`).
    pub fn len(&self) -> Result<usize> {
        self.with(|_, raw, idx| raw.rawlen(idx))
    }

    /// Whether the raw length is 0.
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|n| n == 0)
    }

    /// All key/value pairs in `pairs` (`next`) order; nested tables and functions are
    /// handles.
    pub fn pairs(&self) -> Result<Vec<(Value, Value)>> {
        self.with(pairs_at)
    }

    /// The sequence `t[1] .. t[#t]` (raw length and raw reads), as `ipairs` up to the
    /// length.
    pub fn sequence_values(&self) -> Result<Vec<Value>> {
        self.with(|shared, raw, idx| {
            let n = raw.rawlen(idx)?;
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            let base = raw.gettop();
            let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(1 << 16));
            for i in 1..=n {
                // Sequence keys are numbers (Luau's `integer` type is another key).
                raw.push_values(&[Value::Number(i as f64)])?;
                raw.table_get(idx, true)?;
                out.extend(read_results(shared, raw, base)?);
            }
            Ok(out)
        })
    }
}

impl PartialEq for Handle {
    fn eq(&self, other: &Handle) -> bool {
        self.same(other)
    }
}

impl PartialEq for Table {
    /// The same Luau table (identity, as `rawequal`).
    fn eq(&self, other: &Table) -> bool {
        self.0.same(&other.0)
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Table({:#x})", self.0 .0.ptr)
    }
}

impl From<Table> for Value {
    fn from(t: Table) -> Self {
        Value::Table(t)
    }
}

impl crate::State {
    /// A new empty table on this state.
    pub fn create_table(&self) -> Result<Table> {
        let shared: &Shared = &self.shared;
        shared.run(|raw| {
            raw.newtable(0, 0)?;
            Handle::make(shared, raw, raw.gettop()).map(Table)
        })
    }
}

/// The key/value pairs of the table at `idx`, in `next` order, read as values (nested tables
/// and functions as handles). Shared by [`Table::pairs`] and the call-scoped
/// [`StackTable::pairs`](crate::function::StackTable::pairs).
pub(crate) fn pairs_at(
    shared: &Shared,
    raw: &RawState,
    idx: i32,
) -> std::result::Result<Vec<(Value, Value)>, RawError> {
    let mut out = Vec::new();
    raw.push_values(&[Value::Nil])?;
    while raw.next(idx)? {
        let top = raw.gettop();
        // Copies of key and value above them, read (and popped) as handles.
        raw.push_values(&[
            ValueRef::Stack(StackSlot {
                ty: Type::Nil,
                index: top - 1,
            }),
            ValueRef::Stack(StackSlot {
                ty: Type::Nil,
                index: top,
            }),
        ])?;
        let mut kv = read_results(shared, raw, top)?;
        let v = kv.pop().unwrap_or(Value::Nil);
        let k = kv.pop().unwrap_or(Value::Nil);
        out.push((k, v));
        raw.settop(-2)?; // pop the value, keep the key for the next step
    }
    Ok(out)
}
