//! Values crossing the boundary.

use std::borrow::Cow;
use std::fmt;

use crate::ffi;
use crate::handle::{Function, Handle, Table};
use crate::thread_value::ThreadRef;
use crate::userdata_handle::AnyUserData;

/// A Luau type, as the wrapper reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Type {
    /// No value (an absent argument).
    None,
    /// `nil`.
    Nil,
    /// `boolean`.
    Boolean,
    /// Light userdata.
    LightUserdata,
    /// `number` (a double).
    Number,
    /// A 64-bit integer (Luau's `integer` type).
    Integer,
    /// `vector` (three floats).
    Vector,
    /// `string` (bytes).
    String,
    /// `table`.
    Table,
    /// `function`.
    Function,
    /// `userdata`.
    Userdata,
    /// `thread` (coroutine).
    Thread,
    /// `buffer`.
    Buffer,
    /// A type this crate does not know.
    Unknown(i32),
}

impl Type {
    pub(crate) fn from_raw(t: i32) -> Type {
        match t {
            ffi::LUAW_TNONE => Type::None,
            ffi::LUAW_TNIL => Type::Nil,
            ffi::LUAW_TBOOLEAN => Type::Boolean,
            ffi::LUAW_TLIGHTUSERDATA => Type::LightUserdata,
            ffi::LUAW_TNUMBER => Type::Number,
            ffi::LUAW_TINTEGER => Type::Integer,
            ffi::LUAW_TVECTOR => Type::Vector,
            ffi::LUAW_TSTRING => Type::String,
            ffi::LUAW_TTABLE => Type::Table,
            ffi::LUAW_TFUNCTION => Type::Function,
            ffi::LUAW_TUSERDATA => Type::Userdata,
            ffi::LUAW_TTHREAD => Type::Thread,
            ffi::LUAW_TBUFFER => Type::Buffer,
            other => Type::Unknown(other),
        }
    }

    /// The wrapper's `LUAW_T*` code (the inverse of `from_raw`).
    pub(crate) fn to_raw(self) -> i32 {
        match self {
            Type::None => ffi::LUAW_TNONE,
            Type::Nil => ffi::LUAW_TNIL,
            Type::Boolean => ffi::LUAW_TBOOLEAN,
            Type::LightUserdata => ffi::LUAW_TLIGHTUSERDATA,
            Type::Number => ffi::LUAW_TNUMBER,
            Type::Integer => ffi::LUAW_TINTEGER,
            Type::Vector => ffi::LUAW_TVECTOR,
            Type::String => ffi::LUAW_TSTRING,
            Type::Table => ffi::LUAW_TTABLE,
            Type::Function => ffi::LUAW_TFUNCTION,
            Type::Userdata => ffi::LUAW_TUSERDATA,
            Type::Thread => ffi::LUAW_TTHREAD,
            Type::Buffer => ffi::LUAW_TBUFFER,
            Type::Unknown(other) => other,
        }
    }

    /// Luau's name of the type (`typeof`), as used in argument errors; `"no value"` for
    /// [`Type::None`].
    pub fn name(self) -> &'static str {
        match self {
            Type::None => "no value",
            Type::Nil => "nil",
            Type::Boolean => "boolean",
            Type::LightUserdata | Type::Userdata => "userdata",
            Type::Number => "number",
            Type::Integer => "integer",
            Type::Vector => "vector",
            Type::String => "string",
            Type::Table => "table",
            Type::Function => "function",
            Type::Thread => "thread",
            Type::Buffer => "buffer",
            Type::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An owned Luau value: what calls return and take as arguments.
///
/// Strings are bytes (Luau strings may hold any bytes, NUL included). Tables, functions,
/// userdata and threads come back as owned handles ([`Value::Table`], [`Value::Function`],
/// [`Value::UserData`], [`Value::Thread`]) that can be read, called, stored and passed back
/// to Luau; values of other types (buffers, light userdata) as [`Value::Other`] with their
/// type only.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `nil`.
    Nil,
    /// A boolean.
    Boolean(bool),
    /// A number (double; integers are exact up to 2^53).
    Number(f64),
    /// A 64-bit integer (Luau's `integer` type).
    Integer(i64),
    /// A vector `x, y, z`.
    Vector([f32; 3]),
    /// A string, byte-exact.
    String(Vec<u8>),
    /// A table, as an owned handle (see [`Table`]).
    Table(Table),
    /// A function, as an owned handle (see [`Function`]).
    Function(Function),
    /// A userdata, as an owned handle (see [`AnyUserData`]).
    UserData(AnyUserData),
    /// A thread (coroutine), as an owned handle (see [`ThreadRef`]).
    Thread(ThreadRef),
    /// A value that does not cross by value and has no handle here (userdata, thread,
    /// buffer, ...): its type.
    Other(Type),
}

impl fmt::Debug for Value {
    /// As derived, except that a string prints as text where it is UTF-8
    /// (`String("hi")`), else as its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("Nil"),
            Value::Boolean(b) => f.debug_tuple("Boolean").field(b).finish(),
            Value::Number(n) => f.debug_tuple("Number").field(n).finish(),
            Value::Integer(i) => f.debug_tuple("Integer").field(i).finish(),
            Value::Vector(v) => f.debug_tuple("Vector").field(v).finish(),
            Value::String(s) => match std::str::from_utf8(s) {
                Ok(text) => f.debug_tuple("String").field(&text).finish(),
                Err(_) => f.debug_tuple("String").field(s).finish(),
            },
            Value::Table(t) => t.fmt(f),
            Value::Function(func) => func.fmt(f),
            Value::UserData(u) => u.fmt(f),
            Value::Thread(t) => t.fmt(f),
            Value::Other(t) => f.debug_tuple("Other").field(t).finish(),
        }
    }
}

impl Value {
    /// The value's Luau type.
    pub fn type_of(&self) -> Type {
        match self {
            Value::Nil => Type::Nil,
            Value::Boolean(_) => Type::Boolean,
            Value::Number(_) => Type::Number,
            Value::Integer(_) => Type::Integer,
            Value::Vector(_) => Type::Vector,
            Value::String(_) => Type::String,
            Value::Table(_) => Type::Table,
            Value::Function(_) => Type::Function,
            Value::UserData(_) => Type::Userdata,
            Value::Thread(_) => Type::Thread,
            Value::Other(t) => *t,
        }
    }

    /// The number, for `Number` and `Integer`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Number(n) => Some(n),
            Value::Integer(i) => Some(i as f64),
            _ => None,
        }
    }

    /// The integer, for `Integer` and for a `Number` with an exact integral value.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(i) => Some(i),
            Value::Number(n) => f64_to_i64(n),
            _ => None,
        }
    }

    /// The boolean, for `Boolean`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Boolean(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes, for `String`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The text, for a `String` holding valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The table handle, for `Table`.
    pub fn as_table(&self) -> Option<&Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The function handle, for `Function`.
    pub fn as_function(&self) -> Option<&Function> {
        match self {
            Value::Function(f) => Some(f),
            _ => None,
        }
    }

    /// The userdata handle, for `UserData`.
    pub fn as_userdata(&self) -> Option<&AnyUserData> {
        match self {
            Value::UserData(u) => Some(u),
            _ => None,
        }
    }

    pub(crate) fn handle(&self) -> Option<&Handle> {
        match self {
            Value::Table(t) => Some(&t.0),
            Value::Function(f) => Some(&f.0),
            Value::UserData(u) => Some(&u.0),
            Value::Thread(t) => Some(&t.0),
            _ => None,
        }
    }

    /// Luau's truthiness: everything but `nil` and `false` is true.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Boolean(false))
    }

    /// Borrows this value for pushing as a scalar: handles and [`Value::Other`] have no
    /// scalar form and give `Nil` (the calls that take `&[Value]` push handles themselves).
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Nil
            | Value::Other(_)
            | Value::Table(_)
            | Value::Function(_)
            | Value::UserData(_)
            | Value::Thread(_) => ValueRef::Nil,
            Value::Boolean(b) => ValueRef::Boolean(*b),
            Value::Number(n) => ValueRef::Number(*n),
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Vector(v) => ValueRef::Vector(*v),
            Value::String(s) => ValueRef::String(s),
        }
    }
}

pub(crate) fn f64_to_i64(n: f64) -> Option<i64> {
    // 2^63 is exactly representable; i64::MAX is not.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n)).then_some(n as i64)
}

impl fmt::Display for Value {
    /// Like Luau's `tostring` for scalars (`Other` prints its type name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Vector([x, y, z]) => write!(f, "{x}, {y}, {z}"),
            Value::String(s) => f.write_str(&String::from_utf8_lossy(s)),
            Value::Table(_) => f.write_str("table"),
            Value::Function(_) => f.write_str("function"),
            Value::UserData(_) => f.write_str("userdata"),
            Value::Thread(_) => f.write_str("thread"),
            Value::Other(t) => write!(f, "{t}"),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<i32> for Value {
    /// A Luau number (not the `integer` type), as scripts write `1`.
    fn from(n: i32) -> Self {
        Value::Number(f64::from(n))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.as_bytes().to_vec())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into_bytes())
    }
}

impl From<&[u8]> for Value {
    fn from(s: &[u8]) -> Self {
        Value::String(s.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(s: Vec<u8>) -> Self {
        Value::String(s)
    }
}

impl From<[f32; 3]> for Value {
    fn from(v: [f32; 3]) -> Self {
        Value::Vector(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}

/// A value borrowed for the duration of a host call: what a host function's arguments are,
/// and what it pushes as results without building owned values.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// `nil` (also an absent argument).
    Nil,
    /// A boolean.
    Boolean(bool),
    /// A number.
    Number(f64),
    /// A 64-bit integer.
    Integer(i64),
    /// A vector.
    Vector([f32; 3]),
    /// A string, borrowed from Luau (arguments) or from the host (results).
    String(&'a [u8]),
    /// A value on the Luau stack of the running host call (a table, a function, ...). It
    /// names a slot of that call's frame, so it cannot be made by hand nor outlive the call
    /// (its lifetime is the call's): it never stands for another call's or another state's
    /// value.
    Stack(StackSlot),
}

/// A slot of a host call's Luau stack, as [`ValueRef::Stack`] carries it: opaque, so that
/// only the call it belongs to makes one.
///
/// ```compile_fail
/// // A stack slot cannot be forged from a type and an index.
/// let v = luau::ValueRef::Stack(luau::StackSlot { ty: luau::Type::Table, index: 1 });
/// ```
///
/// ```compile_fail
/// // A call's table cannot be kept past the call (to be pushed by a later one).
/// use std::{cell::RefCell, rc::Rc};
/// let state = luau::State::new()?;
/// let kept: Rc<RefCell<Option<luau::ValueRef<'static>>>> = Rc::default();
/// let slot = kept.clone();
/// state.register_func("keep", move |ctx| {
///     *slot.borrow_mut() = Some(ctx.table(0)?.into());
///     Ok(())
/// })?;
/// # Ok::<(), luau::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackSlot {
    pub(crate) ty: Type,
    /// The absolute stack index in the host function's frame.
    pub(crate) index: i32,
}

impl StackSlot {
    /// The value's Luau type.
    pub fn type_of(&self) -> Type {
        self.ty
    }
}

impl<'a> ValueRef<'a> {
    /// The value's Luau type.
    pub fn type_of(&self) -> Type {
        match self {
            ValueRef::Nil => Type::Nil,
            ValueRef::Boolean(_) => Type::Boolean,
            ValueRef::Number(_) => Type::Number,
            ValueRef::Integer(_) => Type::Integer,
            ValueRef::Vector(_) => Type::Vector,
            ValueRef::String(_) => Type::String,
            ValueRef::Stack(StackSlot { ty, .. }) => *ty,
        }
    }

    /// The bytes of a string.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            ValueRef::String(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a string holding valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The string, lossily decoded.
    pub fn to_string_lossy(&self) -> Option<Cow<'a, str>> {
        self.as_bytes().map(String::from_utf8_lossy)
    }

    /// The number, for `Number` and `Integer`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            ValueRef::Number(n) => Some(n),
            ValueRef::Integer(i) => Some(i as f64),
            _ => None,
        }
    }

    /// An owned copy; stack values become [`Value::Other`].
    pub fn to_owned(&self) -> Value {
        match *self {
            ValueRef::Nil => Value::Nil,
            ValueRef::Boolean(b) => Value::Boolean(b),
            ValueRef::Number(n) => Value::Number(n),
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Vector(v) => Value::Vector(v),
            ValueRef::String(s) => Value::String(s.to_vec()),
            ValueRef::Stack(StackSlot { ty, .. }) => Value::Other(ty),
        }
    }
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(v: &'a Value) -> Self {
        v.as_ref()
    }
}

impl<'a> From<&'a str> for ValueRef<'a> {
    fn from(s: &'a str) -> Self {
        ValueRef::String(s.as_bytes())
    }
}

impl<'a> From<&'a [u8]> for ValueRef<'a> {
    fn from(s: &'a [u8]) -> Self {
        ValueRef::String(s)
    }
}

impl From<f64> for ValueRef<'_> {
    fn from(n: f64) -> Self {
        ValueRef::Number(n)
    }
}

impl From<bool> for ValueRef<'_> {
    fn from(b: bool) -> Self {
        ValueRef::Boolean(b)
    }
}

// --- to and from the raw layer's values ----------------------------------------------------

impl<'a> From<ffi::RawValue<'a>> for ValueRef<'a> {
    #[inline]
    fn from(v: ffi::RawValue<'a>) -> Self {
        match v {
            ffi::RawValue::Nil => ValueRef::Nil,
            ffi::RawValue::Boolean(b) => ValueRef::Boolean(b),
            ffi::RawValue::Number(n) => ValueRef::Number(n),
            ffi::RawValue::Integer(i) => ValueRef::Integer(i),
            ffi::RawValue::Vector(f) => ValueRef::Vector(f),
            ffi::RawValue::String(s) => ValueRef::String(s),
            ffi::RawValue::Stack { type_, index } => ValueRef::Stack(StackSlot {
                ty: Type::from_raw(type_),
                index,
            }),
        }
    }
}

impl ffi::AsRaw for ValueRef<'_> {
    #[inline]
    fn as_raw(&self) -> ffi::RawValue<'_> {
        match *self {
            ValueRef::Nil => ffi::RawValue::Nil,
            ValueRef::Boolean(b) => ffi::RawValue::Boolean(b),
            ValueRef::Number(n) => ffi::RawValue::Number(n),
            ValueRef::Integer(i) => ffi::RawValue::Integer(i),
            ValueRef::Vector(f) => ffi::RawValue::Vector(f),
            ValueRef::String(s) => ffi::RawValue::String(s),
            ValueRef::Stack(StackSlot { ty, index }) => ffi::RawValue::Stack {
                type_: ty.to_raw(),
                index,
            },
        }
    }
}

impl ffi::AsRaw for Value {
    #[inline]
    fn as_raw(&self) -> ffi::RawValue<'_> {
        match self {
            // Handles are pushed by the calls that take them (handle.rs: stage, push_mixed).
            Value::Nil
            | Value::Other(_)
            | Value::Table(_)
            | Value::Function(_)
            | Value::UserData(_)
            | Value::Thread(_) => ffi::RawValue::Nil,
            Value::Boolean(b) => ffi::RawValue::Boolean(*b),
            Value::Number(n) => ffi::RawValue::Number(*n),
            Value::Integer(i) => ffi::RawValue::Integer(*i),
            Value::Vector(f) => ffi::RawValue::Vector(*f),
            Value::String(s) => ffi::RawValue::String(s),
        }
    }
}

impl ffi::FromRaw for Value {
    #[inline]
    fn from_raw(v: ffi::RawValue<'_>) -> Self {
        ValueRef::from(v).to_owned()
    }
}
