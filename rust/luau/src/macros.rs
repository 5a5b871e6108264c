//! The macro layer: `#[luau::function]`, `#[derive(luau::UserData)]` and `#[luau::methods]`
//! (from the `luau-embed-macros` crate), the traits their code implements, and the metadata
//! they record.

use std::any::TypeId;
use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::rc::Rc;

use crate::error::Result;
use crate::function::CallContext;
use crate::state::State;
use crate::userdata::{UserData, UserDataRegistry};

pub use luau_embed_macros::{function, methods, UserData};

/// One parameter of a wrapped function, as written in Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// The parameter's name (`self` for the receiver).
    pub name: &'static str,
    /// Its Rust type, as written (`i64`, `&str`, `Variadic<String>`, `&Self`).
    pub ty: &'static str,
}

/// What a macro recorded about a wrapped function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The Luau name: the global a [`HostFunction`] is registered as, the method or
    /// metamethod name of a userdata function. Argument errors name it.
    pub name: &'static str,
    /// The Rust function's name.
    pub rust_name: &'static str,
    /// The parameters, `self` included.
    pub params: &'static [ParamInfo],
    /// The Rust return type, as written (`()` for none).
    pub returns: &'static str,
}

/// A Rust function made callable from Luau by `#[luau::function]`.
///
/// The attribute keeps the function as written (callable from Rust as before) and adds a
/// companion type *of the same name* implementing this trait: a native wrapper that converts
/// the arguments with [`FromLuau`](crate::FromLuau) (or borrows them: `&str`, `&[u8]`, `&T`
/// of a userdata type), calls the function, and converts the result with
/// [`IntoReturn`](crate::IntoReturn). Register it with [`State::register_function`].
///
/// ```
/// /// Adds two integers.
/// #[luau::function]
/// fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// assert_eq!(add(2, 3), 5); // still a Rust function
///
/// let state = luau::State::new()?;
/// state.register_function::<add>()?;
/// assert_eq!(state.do_string("return add(40, 2)")?, [luau::Value::Number(42.0)]);
///
/// let err = state.do_string("return add(1, 'x')").unwrap_err();
/// assert!(err.message().contains("invalid argument #2 to 'add' (number expected, got string)"));
///
/// use luau::HostFunction;
/// assert_eq!(add::INFO.name, "add");
/// assert_eq!(add::INFO.params[1], luau::ParamInfo { name: "b", ty: "i64" });
/// # Ok::<(), luau::Error>(())
/// ```
///
/// `#[luau::function(name = "plus")]` sets the Luau name. A `Result<T, E>` return raises
/// `E` as the function's error; `Variadic<T>` as the last parameter takes the remaining
/// arguments. Generic, `async`, `unsafe` and `extern` functions are compile errors.
pub trait HostFunction: 'static {
    /// The function's name and signature.
    const INFO: FunctionInfo;

    /// The native wrapper: converts the call's arguments, calls the function, pushes its
    /// results (or returns its error).
    fn call(ctx: &mut CallContext<'_>) -> Result<()>;
}

impl State {
    /// Registers a `#[luau::function]` as global `F::INFO.name` (see [`HostFunction`]).
    pub fn register_function<F: HostFunction>(&self) -> Result<()> {
        self.register_function_as::<F>(F::INFO.name)
    }

    /// Registers a `#[luau::function]` as global `name`; argument errors name `name`.
    pub fn register_function_as<F: HostFunction>(&self, name: impl AsRef<[u8]>) -> Result<()> {
        self.register_func(name, F::call)
    }
}

/// What a userdata function is, for Luau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MethodKind {
    /// A function of the type's global table (`Vec3.zero()`): a factory or helper.
    Function,
    /// The `#[luau(constructor)]` (`Vec3.new(1, 2, 3)`): returns the type.
    Constructor,
    /// A method taking `&self` (`v:len()`).
    Method,
    /// A method taking `&mut self` (`c:inc()`).
    MethodMut,
    /// A metamethod taking `&self` (`__add`, `__tostring`, ...).
    Meta,
    /// A metamethod taking `&mut self` (`__newindex`, `__call`, ...).
    MetaMut,
    /// A metamethod without `self`: every operand is an argument (`"x" .. v`).
    MetaFunction,
}

/// What `#[luau::methods]` recorded about one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodInfo {
    /// How Luau reaches it.
    pub kind: MethodKind,
    /// Its Luau name and signature.
    pub function: FunctionInfo,
}

/// A field of a `#[derive(luau::UserData)]` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// The Luau name (`v.name`).
    pub name: &'static str,
    /// The Rust type, as written.
    pub ty: &'static str,
    /// `#[luau(readonly)]`: assigning it is an error.
    pub readonly: bool,
}

/// The identity and members of a userdata type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeInfo {
    /// [`UserData::NAME`]: `typeof(v)`, the global table, and argument errors.
    pub name: &'static str,
    /// The Rust type: what a value coming back from a script is checked against.
    pub type_id: TypeId,
    /// The fields.
    pub fields: &'static [FieldInfo],
    /// The functions of its `#[luau::methods]` block (empty without one).
    pub methods: &'static [MethodInfo],
}

/// The functions of a userdata type's `#[luau::methods]` block (implemented by the
/// attribute; `#[derive(luau::UserData)]` registers them).
pub trait UserDataMethods: UserData {
    /// What each function is.
    const METHODS: &'static [MethodInfo];

    /// Adds the functions to the type's registry. A hand-written [`UserData::register`]
    /// may call it too.
    fn add_methods(registry: &mut UserDataRegistry<Self>);
}

/// A type with `#[derive(luau::UserData)]`: its identity and members.
///
/// ```
/// use std::any::TypeId;
/// use luau::UserDataType;
///
/// #[derive(luau::UserData)]
/// struct Player {
///     name: String,
///     #[luau(readonly)]
///     level: u32,
/// }
///
/// let info = Player::type_info();
/// assert_eq!((info.name, info.type_id), ("Player", TypeId::of::<Player>()));
/// assert_eq!(info.fields[1], luau::FieldInfo { name: "level", ty: "u32", readonly: true });
/// ```
pub trait UserDataType: UserData {
    /// The fields the derive exposes.
    const FIELDS: &'static [FieldInfo];

    /// The functions of the type's `#[luau::methods]` block (empty without one).
    fn methods() -> &'static [MethodInfo];

    /// The type's name, [`TypeId`], fields and functions.
    fn type_info() -> TypeInfo {
        TypeInfo {
            name: Self::NAME,
            type_id: TypeId::of::<Self>(),
            fields: Self::FIELDS,
            methods: Self::methods(),
        }
    }
}

/// Support for the generated code; not part of the API.
#[doc(hidden)]
pub mod __private {
    use super::*;
    use std::marker::PhantomData;

    /// Finds a type's `#[luau::methods]` block, if it has one, from the derive's code
    /// (autoref specialisation: `ViaMethods` applies when `T: UserDataMethods`, `NoMethods`
    /// otherwise; the derive's type is concrete, so the choice is made at compile time).
    pub struct Probe<T>(PhantomData<T>);

    impl<T> Probe<T> {
        pub fn new() -> Self {
            Probe(PhantomData)
        }
    }

    impl<T> Default for Probe<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> fmt::Debug for Probe<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Probe")
        }
    }

    pub trait ViaMethods<T> {
        fn luau_add_methods(&self, registry: &mut UserDataRegistry<T>);
        fn luau_methods(&self) -> &'static [MethodInfo];
    }

    impl<T: UserDataMethods> ViaMethods<T> for Probe<T> {
        fn luau_add_methods(&self, registry: &mut UserDataRegistry<T>) {
            T::add_methods(registry);
        }
        fn luau_methods(&self) -> &'static [MethodInfo] {
            T::METHODS
        }
    }

    pub trait NoMethods<T> {
        fn luau_add_methods(&self, registry: &mut UserDataRegistry<T>);
        fn luau_methods(&self) -> &'static [MethodInfo];
    }

    impl<T> NoMethods<T> for &Probe<T> {
        fn luau_add_methods(&self, _registry: &mut UserDataRegistry<T>) {}
        fn luau_methods(&self) -> &'static [MethodInfo] {
            &[]
        }
    }

    /// What a `#[luau(constructor)]` may return.
    #[diagnostic::on_unimplemented(
        message = "a `#[luau(constructor)]` must return `Self` or `Result<Self, E>`, not `{Self}`",
        label = "not the userdata type"
    )]
    pub trait Constructs<T> {}
    impl<T> Constructs<T> for T {}
    impl<T, E> Constructs<T> for std::result::Result<T, E> {}

    pub fn assert_constructs<T, R: Constructs<T>>() {}

    /// A `&str` parameter: the argument's bytes, borrowed for the call.
    pub fn take_str<'a>(ctx: &CallContext<'a>, next: &mut usize) -> Result<&'a str> {
        let s = ctx.str(*next)?;
        *next += 1;
        Ok(s)
    }

    /// A `&[u8]` parameter.
    pub fn take_bytes<'a>(ctx: &CallContext<'a>, next: &mut usize) -> Result<&'a [u8]> {
        let s = ctx.bytes(*next)?;
        *next += 1;
        Ok(s)
    }

    /// A userdata parameter (or `self`), checked against `T`'s type.
    pub struct Slot<T> {
        value: Rc<RefCell<T>>,
        index: usize,
    }

    impl<T> fmt::Debug for Slot<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Slot")
                .field("index", &self.index)
                .finish_non_exhaustive()
        }
    }

    pub fn take_userdata<T: UserData>(ctx: &CallContext<'_>, next: &mut usize) -> Result<Slot<T>> {
        let index = *next;
        let value = ctx.userdata::<T>(index)?;
        *next += 1;
        Ok(Slot { value, index })
    }

    /// `&T`: an error (not a panic) if a caller further up holds it mutably.
    pub fn borrow<'s, T: UserData>(ctx: &CallContext<'_>, slot: &'s Slot<T>) -> Result<Ref<'s, T>> {
        slot.value.try_borrow().map_err(|_| {
            ctx.bad_argument(
                slot.index,
                format_args!("{} is already mutably borrowed", T::NAME),
            )
        })
    }

    /// `&mut T`: an error (not a panic) if it is borrowed elsewhere (`v:f(v)`).
    pub fn borrow_mut<'s, T: UserData>(
        ctx: &CallContext<'_>,
        slot: &'s Slot<T>,
    ) -> Result<RefMut<'s, T>> {
        slot.value.try_borrow_mut().map_err(|_| {
            ctx.bad_argument(slot.index, format_args!("{} is already borrowed", T::NAME))
        })
    }
}
