//! Typed host functions: `state.register("add", |(a, b): (i64, i64)| a + b)`.
//!
//! The closure takes one tuple of parameters; each element converts one argument (or, for
//! [`Variadic`], the rest of them) with [`FromLuau`], and the result converts back with
//! [`IntoResults`] (a `Result` raises its error as the function's error). Conversions are
//! resolved at compile time: a call with scalar parameters allocates nothing.
//!
//! Bad arguments use Luau 0.745's own wording: `invalid argument #2 to 'add' (number
//! expected, got string)`, `invalid argument #1 to 'f' (number has no integer
//! representation)`, and for an argument the call does not have at all `missing argument #2
//! to 'add' (number expected)`.

use std::ops::{Deref, DerefMut};

use crate::error::{BoxError, Error, Result};
use crate::function::{CallContext, IntoResults};
use crate::value::{f64_to_i64, StackSlot, Value, ValueRef};

/// A type a host-function argument converts to.
pub trait FromLuau: Sized {
    /// Converts argument `i` (0-based) of the call.
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self>;
}

/// A type a value read from a table (a list element, a struct field) converts to.
///
/// The error is the detail of the argument error, e.g. `number expected, got string`.
pub trait FromValue: Sized {
    /// Converts `v`.
    fn from_value(v: &Value) -> std::result::Result<Self, String>;
}

fn expected(what: &str, got: &Value) -> String {
    format!("{what} expected, got {}", got.type_of().name())
}

fn expected_ref(what: &str, got: &ValueRef<'_>) -> String {
    format!("{what} expected, got {}", got.type_of().name())
}

const NO_INTEGER: &str = "number has no integer representation";

fn bad(ctx: &CallContext<'_>, i: usize, detail: impl std::fmt::Display) -> Error {
    Error::bad_argument(i + 1, &ctx.name(), detail)
}

macro_rules! number_like {
    ($($t:ty => $conv:expr),* $(,)?) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> std::result::Result<Self, String> {
                let conv: fn(&ValueRef<'_>) -> std::result::Result<$t, String> = $conv;
                conv(&v.as_ref_any())
            }
        }
    )*};
}

fn to_f64(v: &ValueRef<'_>) -> std::result::Result<f64, String> {
    v.as_f64().ok_or_else(|| expected_ref("number", v))
}

fn to_i64(v: &ValueRef<'_>) -> std::result::Result<i64, String> {
    match *v {
        ValueRef::Integer(i) => Ok(i),
        ValueRef::Number(n) => f64_to_i64(n).ok_or_else(|| NO_INTEGER.to_owned()),
        _ => Err(expected_ref("number", v)),
    }
}

fn to_int<T: TryFrom<i64>>(v: &ValueRef<'_>) -> std::result::Result<T, String> {
    let i = to_i64(v)?;
    T::try_from(i).map_err(|_| NO_INTEGER.to_owned())
}

number_like! {
    f64 => to_f64,
    f32 => |v| to_f64(v).map(|n| n as f32),
    i64 => to_i64,
    i32 => to_int::<i32>,
    i16 => to_int::<i16>,
    i8 => to_int::<i8>,
    u64 => to_int::<u64>,
    u32 => to_int::<u32>,
    u16 => to_int::<u16>,
    u8 => to_int::<u8>,
    usize => to_int::<usize>,
    isize => to_int::<isize>,
    bool => |v| match *v {
        ValueRef::Boolean(b) => Ok(b),
        _ => Err(expected_ref("boolean", v)),
    },
}

// Arguments are read straight from the call (monomorphic, inlined; errors out of line), with
// the same errors as the conversions above.

impl FromLuau for f64 {
    #[inline]
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        ctx.number(i)
    }
}

impl FromLuau for f32 {
    #[inline]
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        ctx.number(i).map(|n| n as f32)
    }
}

impl FromLuau for i64 {
    #[inline]
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        ctx.integer(i)
    }
}

macro_rules! int_from_arg {
    ($($t:ty),*) => {$(
        impl FromLuau for $t {
            #[inline]
            fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
                let n = ctx.integer(i)?;
                match <$t>::try_from(n) {
                    Ok(v) => Ok(v),
                    Err(_) => Err(ctx.no_integer(i)),
                }
            }
        }
    )*};
}
int_from_arg!(i32, i16, i8, u64, u32, u16, u8, usize, isize);

impl FromLuau for bool {
    #[inline]
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        match ctx.arg(i) {
            ValueRef::Boolean(b) => Ok(b),
            _ => Err(ctx.type_error(i, "boolean")),
        }
    }
}

impl Value {
    /// Borrows any value (an `Other` value reads as its type only).
    fn as_ref_any(&self) -> ValueRef<'_> {
        match self {
            Value::Other(_) | Value::UserData(_) | Value::Thread(_) => ValueRef::Stack(StackSlot {
                ty: self.type_of(),
                index: 0,
            }),
            v => v.as_ref(),
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::String(b) => {
                String::from_utf8(b.clone()).map_err(|_| "string is not valid UTF-8".to_owned())
            }
            other => Err(expected("string", other)),
        }
    }
}

impl FromLuau for String {
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        match ctx.arg(i) {
            ValueRef::String(b) => std::str::from_utf8(b)
                .map(str::to_owned)
                .map_err(|_| bad(ctx, i, "string is not valid UTF-8")),
            _ => Err(ctx.type_error(i, "string")),
        }
    }
}

impl FromValue for Value {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        Ok(v.clone())
    }
}

impl FromLuau for Value {
    /// Any argument (tables and functions as [`Value::Other`]).
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        Ok(ctx.arg(i).to_owned())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Nil => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl<T: FromLuau> FromLuau for Option<T> {
    /// `nil` (or a missing argument) is `None`.
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        match ctx.arg(i) {
            ValueRef::Nil => Ok(None),
            _ => T::from_arg(ctx, i).map(Some),
        }
    }
}

impl<T: FromValue> FromLuau for Vec<T> {
    /// A sequence table `{e1, e2, ...}` (`t[1] .. t[#t]`).
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        let table = ctx.table(i)?;
        let items = table.sequence()?;
        items
            .iter()
            .enumerate()
            .map(|(k, v)| {
                T::from_value(v).map_err(|d| bad(ctx, i, format_args!("element {}: {d}", k + 1)))
            })
            .collect()
    }
}

/// The remaining arguments, all converted to `T`: the last element of a typed function's
/// parameter tuple (`|(sep, parts): (String, Variadic<String>)|`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Variadic<T>(pub Vec<T>);

impl<T> Deref for Variadic<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> DerefMut for Variadic<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T: IntoResults> IntoResults for Variadic<T> {
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        self.0.into_iter().try_for_each(|v| v.push_results(ctx))
    }
}

/// One element of a parameter tuple: takes one argument, or all the rest ([`Variadic`]).
pub trait FromArg: Sized {
    /// Converts the argument(s) at `*next`, advancing it.
    fn take(ctx: &CallContext<'_>, next: &mut usize) -> Result<Self>;
}

impl<T: FromLuau> FromArg for T {
    #[inline]
    fn take(ctx: &CallContext<'_>, next: &mut usize) -> Result<Self> {
        let v = T::from_arg(ctx, *next)?;
        *next += 1;
        Ok(v)
    }
}

impl<T: FromLuau> FromArg for Variadic<T> {
    fn take(ctx: &CallContext<'_>, next: &mut usize) -> Result<Self> {
        let rest = (*next..ctx.len().max(*next))
            .map(|i| T::from_arg(ctx, i))
            .collect::<Result<Vec<T>>>()?;
        *next = ctx.len().max(*next);
        Ok(Variadic(rest))
    }
}

/// A typed function's parameters: `()` or a tuple of [`FromArg`] elements.
pub trait FromArgs: Sized {
    /// Converts the call's arguments from argument `first` (0-based) on (a method's
    /// parameters start after `self`).
    fn from_args(ctx: &CallContext<'_>, first: usize) -> Result<Self>;
}

impl FromArgs for () {
    fn from_args(_ctx: &CallContext<'_>, _first: usize) -> Result<Self> {
        Ok(())
    }
}

macro_rules! from_args_tuple {
    ($($name:ident),+) => {
        impl<$($name: FromArg),+> FromArgs for ($($name,)+) {
            #[inline]
            fn from_args(ctx: &CallContext<'_>, first: usize) -> Result<Self> {
                let mut next = first;
                Ok(($($name::take(ctx, &mut next)?,)+))
            }
        }
    };
}
from_args_tuple!(A);
from_args_tuple!(A, B);
from_args_tuple!(A, B, C);
from_args_tuple!(A, B, C, D);
from_args_tuple!(A, B, C, D, E);
from_args_tuple!(A, B, C, D, E, G);
from_args_tuple!(A, B, C, D, E, G, H);
from_args_tuple!(A, B, C, D, E, G, H, I);

/// What a typed function returns: results, or `Result<results, E>` whose error is raised as
/// the function's error (exactly its text; escaping, an [`Error::Host`] whose source is it).
pub trait IntoReturn {
    /// Pushes the results or returns the error.
    fn into_return(self, ctx: &mut CallContext<'_>) -> Result<()>;
}

impl<T: IntoResults> IntoReturn for T {
    #[inline]
    fn into_return(self, ctx: &mut CallContext<'_>) -> Result<()> {
        self.push_results(ctx)
    }
}

impl<T: IntoResults, E: Into<BoxError>> IntoReturn for std::result::Result<T, E> {
    fn into_return(self, ctx: &mut CallContext<'_>) -> Result<()> {
        match self {
            Ok(v) => v.push_results(ctx),
            Err(e) => {
                let e: BoxError = e.into();
                // A luau::Error passes through as itself (it already is a host error or
                // carries its kind); anything else becomes the host error's source.
                match e.downcast::<Error>() {
                    Ok(err) => Err(*err),
                    Err(other) => Err(Error::external(other)),
                }
            }
        }
    }
}

macro_rules! into_results_int {
    ($($t:ty),*) => {$(
        impl IntoResults for $t {
            /// As a Luau number.
            fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
                ctx.push_number(self as f64)
            }
        }
    )*};
}
into_results_int!(u8, u16, u32, u64, i8, i16, usize, isize, f32);
