//! Luau userdata held by the host: [`AnyUserData`], the owned handle that results, fields and
//! globals holding a userdata come back as ([`Value::UserData`]).
//!
//! A host object (a [`UserData`] type pushed by a host function) is reachable from the handle
//! as the very value the script works on ([`AnyUserData::borrow`]), so the host reads what
//! the script changed; passed back to Luau (arguments, results, globals, table fields) the
//! handle is that userdata, not a copy. Like every handle it is tied to its state (see
//! [`crate::handle`]).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::Handle;
use crate::userdata::UserData;
use crate::value::Value;

/// A Luau userdata held by the host: an owned registry reference.
///
/// ```
/// use luau::{UserData, UserDataRegistry, Value};
///
/// struct Counter(f64);
/// impl UserData for Counter {
///     const NAME: &'static str = "Counter";
///     fn register(r: &mut UserDataRegistry<Self>) {
///         r.add_function("new", |()| Counter(0.0));
///         r.add_method_mut("bump", |c, ()| c.0 += 1.0);
///     }
/// }
///
/// let state = luau::State::new()?;
/// state.register_type::<Counter>()?;
/// // The script keeps using the counter it returned to the host...
/// let c = match state.do_string("c = Counter.new() c:bump() return c")?.remove(0) {
///     Value::UserData(c) => c,
///     other => panic!("{other:?}"),
/// };
/// state.do_string("c:bump()")?;
/// // ...and the host sees the same value.
/// assert_eq!(c.type_name(), Some("Counter"));
/// assert_eq!(c.borrow::<Counter>()?.borrow().0, 2.0);
/// // Passed back, it is that userdata.
/// state.set_global("same", &Value::UserData(c.clone()))?;
/// assert_eq!(state.do_string("return rawequal(same, c)")?, [Value::Boolean(true)]);
/// # Ok::<(), luau::Error>(())
/// ```
#[derive(Clone)]
pub struct AnyUserData(pub(crate) Handle);

impl AnyUserData {
    /// `(type_id, host handle)` of the userdata; type id 0 for a userdata the binding did
    /// not create (a library's own).
    fn host_ids(&self) -> Result<(u32, u64)> {
        let shared = self.0.live()?;
        shared.run(|raw| {
            raw.push_ref(self.0.reference())?;
            raw.userdata_ids(raw.gettop())
        })
    }

    /// The registered type's name ([`UserData::NAME`]), `None` for a userdata no host type
    /// made.
    pub fn type_name(&self) -> Option<&'static str> {
        let (type_id, _) = self.host_ids().ok()?;
        let shared = self.0.live().ok()?;
        let store = shared.userdata.borrow();
        store.type_name(type_id)
    }

    /// Whether it holds a `T`.
    pub fn is<T: UserData>(&self) -> bool {
        self.borrow::<T>().is_ok()
    }

    /// The `T` it holds, shared with the script (not copied): what the script changes, the
    /// host reads, and the other way round. A userdata of another type is
    /// [`ErrorKind::Conversion`] (`Vec3 expected, got Counter`).
    pub fn borrow<T: UserData>(&self) -> Result<Rc<RefCell<T>>> {
        let (type_id, handle) = self.host_ids()?;
        let shared = self.0.live()?;
        let store = shared.userdata.borrow();
        let found = match store.type_id_of::<T>() {
            Some(want) if want == type_id => store.get::<T>(handle),
            _ => None,
        };
        found.ok_or_else(|| {
            let got = store.type_name(type_id).unwrap_or("userdata");
            Error::new(
                ErrorKind::Conversion,
                format!("{} expected, got {got}", T::NAME),
            )
        })
    }
}

impl PartialEq for AnyUserData {
    /// The same Luau userdata (identity, as `rawequal`).
    fn eq(&self, other: &AnyUserData) -> bool {
        self.0 == other.0
    }
}

impl fmt::Debug for AnyUserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyUserData")
            .field(&self.type_name().unwrap_or("userdata"))
            .finish()
    }
}

impl From<AnyUserData> for Value {
    fn from(u: AnyUserData) -> Self {
        Value::UserData(u)
    }
}
