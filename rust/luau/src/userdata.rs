//! Userdata types: Rust values living in Luau as `userdata` with methods, fields and
//! operators.
//!
//! A value crosses as `(type_id, handle)`: C memory never holds a Rust reference. The value
//! itself lives in the state's handle table (as `Rc<RefCell<T>>`); it is dropped when Luau
//! collects the userdata (the C destructor only queues the handle; this crate drains the
//! queue outside the GC, at the next host call or when the outermost call returns) or when
//! the state is dropped. Each value is dropped exactly once.
//!
//! ```
//! use luau::{UserData, UserDataRegistry};
//!
//! struct Counter { n: f64 }
//! impl UserData for Counter {
//!     const NAME: &'static str = "Counter";
//!     fn register(reg: &mut UserDataRegistry<Self>) {
//!         reg.add_function("new", |()| Counter { n: 0.0 });
//!         reg.add_method_mut("inc", |this, ()| { this.n += 1.0; this.n });
//!         reg.add_field_get("n", |this| this.n);
//!     }
//! }
//!
//! let state = luau::State::new()?;
//! state.register_type::<Counter>()?;
//! let v = state.do_string("local c = Counter.new() c:inc() return c:inc(), typeof(c)")?;
//! assert_eq!(v, [luau::Value::Number(2.0), luau::Value::from("Counter")]);
//! # Ok::<(), luau::Error>(())
//! ```

use std::any::{Any, TypeId};
use std::cell::{Ref, RefCell, RefMut};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use crate::error::{Error, ErrorKind, Result};
use crate::function::{CallContext, IntoResults};
use crate::typed::{FromArgs, FromLuau, FromValue, IntoReturn};

/// A Rust type usable as Luau userdata. [`register`](UserData::register) declares its
/// functions, methods, fields and operators once per state
/// ([`crate::State::register_type`]).
pub trait UserData: Sized + 'static {
    /// The type's name: `typeof(v)`, its global table, and argument errors
    /// (`Vec3 expected, got Counter`).
    const NAME: &'static str;

    /// Declares the type's members.
    fn register(registry: &mut UserDataRegistry<Self>);

    /// List construction: builds a value from a table literal such as `{1, 2, 3}` passed
    /// where a `T` is expected (a [`UserDataRef<T>`] parameter). Called only for a table
    /// argument `i`; read it with the typed conversions (`Vec::<f64>::from_arg(ctx, i)?`, whose
    /// element errors are Luau-worded) and reject a wrong shape with
    /// [`Error::bad_argument`]. The default, `None`, declares no list construction: only
    /// userdata of the type are accepted. A value built this way lives for the call.
    fn from_list(ctx: &CallContext<'_>, i: usize) -> Option<Result<Self>> {
        let _ = (ctx, i);
        None
    }
}

type Member = Rc<dyn Fn(&mut CallContext<'_>) -> Result<()>>;
type Getter<T> = Box<dyn Fn(&T, &mut CallContext<'_>) -> Result<()>>;
type Setter<T> = Box<dyn Fn(&mut T, &crate::Value) -> std::result::Result<(), String>>;

/// Collects a userdata type's members (see [`UserData::register`]).
pub struct UserDataRegistry<T> {
    pub(crate) functions: Vec<(String, Member)>,
    pub(crate) methods: Vec<(String, Member)>,
    pub(crate) metas: Vec<(String, Member)>,
    getters: HashMap<String, Getter<T>>,
    setters: HashMap<String, Setter<T>>,
    /// `__index` / `__newindex` metamethods: consulted after fields and methods.
    index_fallback: Option<Member>,
    newindex_fallback: Option<Member>,
}

/// The fields, method names and `__index` fallback the `__index` handler reads.
pub(crate) struct Getters<T> {
    map: HashMap<String, Getter<T>>,
    methods: HashSet<String>,
    fallback: Option<Member>,
}

impl<T> Getters<T> {
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }
}

/// The setters and `__newindex` fallback the `__newindex` handler reads.
pub(crate) struct Setters<T> {
    map: HashMap<String, Setter<T>>,
    fallback: Option<Member>,
}

impl<T> fmt::Debug for UserDataRegistry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserDataRegistry").finish_non_exhaustive()
    }
}

/// A userdata argument of type `T`, shared with Luau (no copy): `borrow()` it.
pub struct UserDataRef<T>(Rc<RefCell<T>>);

impl<T> UserDataRef<T> {
    /// Borrows the value.
    ///
    /// # Panics
    /// If the value is mutably borrowed (a method is changing it further up the stack).
    pub fn borrow(&self) -> Ref<'_, T> {
        self.0.borrow()
    }

    /// Borrows the value mutably.
    ///
    /// # Panics
    /// If the value is borrowed elsewhere further up the stack.
    pub fn borrow_mut(&self) -> RefMut<'_, T> {
        self.0.borrow_mut()
    }
}

impl<T> fmt::Debug for UserDataRef<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserDataRef").finish_non_exhaustive()
    }
}

impl<T: UserData> FromLuau for UserDataRef<T> {
    /// A userdata of exactly type `T`; anything else is `invalid argument #I to 'f' (T expected,
    /// got <type>)`.
    /// A table, when `T` declares list construction ([`UserData::from_list`]), builds one.
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        if let crate::ValueRef::Stack(crate::value::StackSlot {
            ty: crate::value::Type::Table,
            ..
        }) = ctx.arg(i)
        {
            if let Some(built) = T::from_list(ctx, i) {
                return built.map(|v| UserDataRef(Rc::new(RefCell::new(v))));
            }
        }
        ctx.userdata::<T>(i).map(UserDataRef)
    }
}

impl<T: UserData> IntoResults for T {
    /// A new userdata holding the value.
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        ctx.push_userdata(self)
    }
}

fn wrap<F>(f: F) -> Member
where
    F: Fn(&mut CallContext<'_>) -> Result<()> + 'static,
{
    Rc::new(f)
}

impl<T: UserData> UserDataRegistry<T> {
    pub(crate) fn new() -> Self {
        UserDataRegistry {
            functions: Vec::new(),
            methods: Vec::new(),
            metas: Vec::new(),
            getters: HashMap::new(),
            setters: HashMap::new(),
            index_fallback: None,
            newindex_fallback: None,
        }
    }

    /// Adds a metamethod; `__index` / `__newindex` become the fallbacks of the handlers that
    /// serve fields and methods.
    fn push_meta(&mut self, name: &str, member: Member) {
        match name {
            "__index" => self.index_fallback = Some(member),
            "__newindex" => self.newindex_fallback = Some(member),
            _ => self.metas.push((name.to_owned(), member)),
        }
    }

    /// Adds a member whose wrapper takes the raw call context (what `#[luau::methods]`
    /// generates: it converts the arguments itself, `self` included).
    #[doc(hidden)]
    pub fn __add_member<F>(&mut self, kind: crate::macros::MethodKind, name: &str, f: F)
    where
        F: Fn(&mut CallContext<'_>) -> Result<()> + 'static,
    {
        use crate::macros::MethodKind as K;
        match kind {
            K::Function | K::Constructor => self.functions.push((name.to_owned(), wrap(f))),
            K::Method | K::MethodMut => self.methods.push((name.to_owned(), wrap(f))),
            K::Meta | K::MetaMut | K::MetaFunction => self.push_meta(name, wrap(f)),
        }
    }

    /// A function of the type's global table, e.g. the constructor `Vec3.new(x, y, z)`.
    pub fn add_function<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromArgs,
        R: IntoReturn,
        F: Fn(A) -> R + 'static,
    {
        self.functions.push((
            name.to_owned(),
            wrap(move |ctx| {
                let args = A::from_args(ctx, 0)?;
                f(args).into_return(ctx)
            }),
        ));
    }

    /// A method `v:name(args)`; `self` is argument #1.
    pub fn add_method<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromArgs,
        R: IntoReturn,
        F: Fn(&T, A) -> R + 'static,
    {
        self.methods.push((name.to_owned(), method(f)));
    }

    /// A method that changes the value.
    pub fn add_method_mut<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromArgs,
        R: IntoReturn,
        F: Fn(&mut T, A) -> R + 'static,
    {
        self.methods.push((
            name.to_owned(),
            wrap(move |ctx| {
                let this = ctx.userdata::<T>(0)?;
                let args = A::from_args(ctx, 1)?;
                let result = f(&mut this.borrow_mut(), args);
                result.into_return(ctx)
            }),
        ));
    }

    /// A metamethod (`__add`, `__eq`, `__lt`, `__len`, `__tostring`, `__call`, ...) taking
    /// `self` and the other operands. Named by the metamethod in messages (`invalid argument #2
    /// to '__add' (Vec3 expected, got number)`).
    ///
    /// `__index` (`self, key`) and `__newindex` (`self, key, value`) are fallbacks: fields and
    /// methods are looked up first; the fallback serves the other keys (a read-only field
    /// stays read-only).
    pub fn add_meta_method<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromArgs,
        R: IntoReturn,
        F: Fn(&T, A) -> R + 'static,
    {
        self.push_meta(name, method(f));
    }

    /// A metamethod taking all operands as arguments (none of them need be `self`): e.g.
    /// `__concat` for `"x" .. v` as well as `v .. "x"`.
    pub fn add_meta_function<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromArgs,
        R: IntoReturn,
        F: Fn(A) -> R + 'static,
    {
        self.push_meta(
            name,
            wrap(move |ctx| {
                let args = A::from_args(ctx, 0)?;
                f(args).into_return(ctx)
            }),
        );
    }

    /// A readable field `v.name`.
    pub fn add_field_get<R, F>(&mut self, name: &str, get: F)
    where
        R: IntoResults,
        F: Fn(&T) -> R + 'static,
    {
        self.getters.insert(
            name.to_owned(),
            Box::new(move |this, ctx| get(this).push_results(ctx)),
        );
    }

    /// A writable field `v.name = value`; a value that does not convert is `bad value for
    /// field 'name' of T (number expected, got string)`.
    pub fn add_field_set<V, F>(&mut self, name: &str, set: F)
    where
        V: FromValue,
        F: Fn(&mut T, V) + 'static,
    {
        self.setters.insert(
            name.to_owned(),
            Box::new(move |this, value| {
                set(this, V::from_value(value)?);
                Ok(())
            }),
        );
    }

    /// The `__index` handler: fields, then methods (from the methods table at `methods_ref`),
    /// then the type's own `__index`, if any.
    pub(crate) fn index_handler(getters: Getters<T>, methods_ref: i32) -> Member {
        wrap(move |ctx| {
            let this = ctx.userdata::<T>(0)?;
            if let Some(key) = ctx.arg(1).as_bytes() {
                let key = String::from_utf8_lossy(key);
                if let Some(get) = getters.map.get(key.as_ref()) {
                    let value = this.borrow();
                    return get(&value, ctx);
                }
                if getters.fallback.is_none() || getters.methods.contains(key.as_ref()) {
                    return ctx.push_ref_field(methods_ref, key.as_bytes());
                }
            }
            drop(this);
            match &getters.fallback {
                Some(fallback) => fallback(ctx),
                None => ctx.push_nil(),
            }
        })
    }

    /// The `__newindex` handler: setters, else read-only / unknown field errors.
    pub(crate) fn newindex_handler(setters: Setters<T>, readable: Vec<String>) -> Member {
        wrap(move |ctx| {
            let this = ctx.userdata::<T>(0)?;
            let key = String::from_utf8_lossy(ctx.arg(1).as_bytes().unwrap_or_default());
            let Some(set) = setters.map.get(key.as_ref()) else {
                let read_only = readable.iter().any(|r| *r == key);
                if let (Some(fallback), false) = (&setters.fallback, read_only) {
                    drop(this);
                    return fallback(ctx);
                }
                let message = if read_only {
                    format!("field '{key}' of {} is read-only", T::NAME)
                } else {
                    format!("{} has no field '{key}'", T::NAME)
                };
                return Err(Error::new(ErrorKind::Argument, message));
            };
            let value = ctx.arg(2).to_owned();
            let result = set(&mut this.borrow_mut(), &value);
            result.map_err(|detail| {
                Error::new(
                    ErrorKind::Argument,
                    format!("bad value for field '{key}' of {} ({detail})", T::NAME),
                )
            })
        })
    }

    /// Splits off what the `__index` / `__newindex` handlers need.
    pub(crate) fn take_fields(&mut self) -> (Getters<T>, Setters<T>) {
        let getters = Getters {
            map: std::mem::take(&mut self.getters),
            methods: self.methods.iter().map(|(name, _)| name.clone()).collect(),
            fallback: self.index_fallback.take(),
        };
        let setters = Setters {
            map: std::mem::take(&mut self.setters),
            fallback: self.newindex_fallback.take(),
        };
        (getters, setters)
    }
}

fn method<T, A, R, F>(f: F) -> Member
where
    T: UserData,
    A: FromArgs,
    R: IntoReturn,
    F: Fn(&T, A) -> R + 'static,
{
    wrap(move |ctx| {
        let this = ctx.userdata::<T>(0)?;
        let args = A::from_args(ctx, 1)?;
        let result = f(&this.borrow(), args);
        result.into_return(ctx)
    })
}

/// A state's userdata types and live values.
#[derive(Default)]
pub(crate) struct UserDataStore {
    next_handle: u64,
    next_type_id: u32,
    /// Rust type -> (type_id, name).
    types: HashMap<TypeId, u32>,
    names: HashMap<u32, &'static str>,
    /// handle -> the value (an `Rc<RefCell<T>>`).
    objects: HashMap<u64, Rc<dyn Any>>,
}

impl UserDataStore {
    pub(crate) fn type_id_of<T: UserData>(&self) -> Option<u32> {
        self.types.get(&TypeId::of::<T>()).copied()
    }

    pub(crate) fn add_type<T: UserData>(&mut self) -> u32 {
        if let Some(id) = self.type_id_of::<T>() {
            return id;
        }
        self.next_type_id += 1;
        let id = self.next_type_id;
        self.types.insert(TypeId::of::<T>(), id);
        self.names.insert(id, T::NAME);
        id
    }

    pub(crate) fn type_name(&self, type_id: u32) -> Option<&'static str> {
        self.names.get(&type_id).copied()
    }

    /// Stores a value; returns its new handle.
    pub(crate) fn insert<T: UserData>(&mut self, value: T) -> u64 {
        self.next_handle += 1;
        let handle = self.next_handle;
        self.objects.insert(handle, Rc::new(RefCell::new(value)));
        handle
    }

    /// Stores one more reference to a value the host shares (its own `Rc` stays valid).
    pub(crate) fn insert_shared<T: UserData>(&mut self, value: Rc<RefCell<T>>) -> u64 {
        self.next_handle += 1;
        let handle = self.next_handle;
        self.objects.insert(handle, value);
        handle
    }

    pub(crate) fn get<T: UserData>(&self, handle: u64) -> Option<Rc<RefCell<T>>> {
        let any = Rc::clone(self.objects.get(&handle)?);
        any.downcast::<RefCell<T>>().ok()
    }

    /// Removes released values; the caller drops them (outside any borrow of the store).
    pub(crate) fn remove(&mut self, handles: &[u64]) -> Vec<Rc<dyn Any>> {
        handles
            .iter()
            .filter_map(|h| self.objects.remove(h))
            .collect()
    }

    /// Removes every value (the state is closing).
    pub(crate) fn take_all(&mut self) -> Vec<Rc<dyn Any>> {
        self.objects.drain().map(|(_, v)| v).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }
}

impl CallContext<'_> {
    /// Argument `i` as a userdata of type `T` (shared, not copied); anything else is
    /// `invalid argument #I to 'f' (T expected, got <type>)`.
    pub fn userdata<T: UserData>(&self, i: usize) -> Result<Rc<RefCell<T>>> {
        let store = self.shared().userdata.borrow();
        let found = match (self.frame_arg_userdata(i), store.type_id_of::<T>()) {
            (Some((type_id, handle)), Some(want)) if type_id == want => store.get::<T>(handle),
            _ => None,
        };
        if let Some(value) = found {
            return Ok(value);
        }
        drop(store);
        Err(self.type_error(i, T::NAME))
    }

    /// Pushes a new userdata holding `value` (its type must be registered on this state).
    pub fn push_userdata<T: UserData>(&mut self, value: T) -> Result<()> {
        self.push_userdata_with::<T>(|store| store.insert(value))
    }

    /// Pushes a userdata that shares `value` with the host, by reference: the script's
    /// methods and field writes change the very value the host holds, so the host reads
    /// what the script changed (`value.borrow()`). Luau holds one reference (an AddRef); it
    /// is released when Luau collects the userdata or the state drops, and `T` is dropped
    /// when the last reference, Luau's or the host's, goes. Each push makes a new userdata
    /// (two pushes of one value are two userdata sharing it).
    pub fn push_userdata_shared<T: UserData>(&mut self, value: &Rc<RefCell<T>>) -> Result<()> {
        let value = Rc::clone(value);
        self.push_userdata_with::<T>(|store| store.insert_shared(value))
    }

    fn push_userdata_with<T: UserData>(
        &mut self,
        insert: impl FnOnce(&mut UserDataStore) -> u64,
    ) -> Result<()> {
        let (type_id, handle) = {
            let mut store = self.shared().userdata.borrow_mut();
            let Some(type_id) = store.type_id_of::<T>() else {
                return Err(Error::new(
                    ErrorKind::Argument,
                    format!("userdata type {} is not registered on this state", T::NAME),
                ));
            };
            (type_id, insert(&mut store))
        };
        self.push_userdata_raw(type_id, handle)
    }
}
