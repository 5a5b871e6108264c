//! Typed calls from the host into Luau: [`Function::call_typed`], the host -> Luau call path
//! with scalar arguments and results crossing the boundary once and nothing allocated.

use crate::error::{Error, ErrorKind, Result};
use crate::state::Function;
use crate::value::{f64_to_i64, ValueRef};

/// How many results a typed call decodes at most.
pub(crate) const MAX_RESULTS: usize = 4;

/// One scalar argument of a typed call.
pub trait IntoArg {
    /// The argument as Luau receives it (strings borrowed for the call; Luau copies them).
    fn to_arg(&self) -> ValueRef<'_>;
}

macro_rules! into_arg_number {
    ($($t:ty),*) => {$(
        impl IntoArg for $t {
            #[inline]
            fn to_arg(&self) -> ValueRef<'_> {
                ValueRef::Number(*self as f64)
            }
        }
    )*};
}
into_arg_number!(f64, f32, i32, u32, i64, u64, usize);

impl IntoArg for bool {
    #[inline]
    fn to_arg(&self) -> ValueRef<'_> {
        ValueRef::Boolean(*self)
    }
}

impl IntoArg for &str {
    #[inline]
    fn to_arg(&self) -> ValueRef<'_> {
        ValueRef::String(self.as_bytes())
    }
}

impl IntoArg for String {
    #[inline]
    fn to_arg(&self) -> ValueRef<'_> {
        ValueRef::String(self.as_bytes())
    }
}

impl IntoArg for ValueRef<'_> {
    #[inline]
    fn to_arg(&self) -> ValueRef<'_> {
        *self
    }
}

/// The arguments of a typed call: `()`, or a tuple of up to 8 [`IntoArg`] values.
pub trait IntoArgs {
    /// Runs `f` on the arguments as values (on the stack: nothing allocated).
    fn with_args<T>(&self, f: impl FnOnce(&[ValueRef<'_>]) -> T) -> T;
}

impl IntoArgs for () {
    #[inline]
    fn with_args<T>(&self, f: impl FnOnce(&[ValueRef<'_>]) -> T) -> T {
        f(&[])
    }
}

macro_rules! into_args_tuple {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: IntoArg),+> IntoArgs for ($($name,)+) {
            #[inline]
            fn with_args<T>(&self, f: impl FnOnce(&[ValueRef<'_>]) -> T) -> T {
                f(&[$(self.$idx.to_arg()),+])
            }
        }
    };
}
into_args_tuple!(A 0);
into_args_tuple!(A 0, B 1);
into_args_tuple!(A 0, B 1, C 2);
into_args_tuple!(A 0, B 1, C 2, D 3);
into_args_tuple!(A 0, B 1, C 2, D 3, E 4);
into_args_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
into_args_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
into_args_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// One scalar result of a typed call; `expected` names the Luau type it needs.
pub trait FromResult: Sized {
    /// Converts result `v` (`Err` with the detail, e.g. `number expected, got string`).
    fn from_result(v: &ValueRef<'_>) -> std::result::Result<Self, String>;
}

fn expected(what: &str, got: &ValueRef<'_>) -> String {
    format!("{what} expected, got {}", got.type_of().name())
}

impl FromResult for f64 {
    #[inline]
    fn from_result(v: &ValueRef<'_>) -> std::result::Result<Self, String> {
        v.as_f64().ok_or_else(|| expected("number", v))
    }
}

impl FromResult for i64 {
    #[inline]
    fn from_result(v: &ValueRef<'_>) -> std::result::Result<Self, String> {
        match *v {
            ValueRef::Integer(i) => Ok(i),
            ValueRef::Number(n) => {
                f64_to_i64(n).ok_or_else(|| "number has no integer representation".to_owned())
            }
            _ => Err(expected("number", v)),
        }
    }
}

impl FromResult for bool {
    #[inline]
    fn from_result(v: &ValueRef<'_>) -> std::result::Result<Self, String> {
        match *v {
            ValueRef::Boolean(b) => Ok(b),
            _ => Err(expected("boolean", v)),
        }
    }
}

impl FromResult for String {
    fn from_result(v: &ValueRef<'_>) -> std::result::Result<Self, String> {
        match v.as_bytes() {
            Some(b) => String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8".to_owned()),
            None => Err(expected("string", v)),
        }
    }
}

impl<T: FromResult> FromResult for Option<T> {
    #[inline]
    fn from_result(v: &ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Nil => Ok(None),
            other => T::from_result(other).map(Some),
        }
    }
}

/// The results of a typed call: `()` (any results ignored), one [`FromResult`], or a tuple
/// of up to 4. A missing result is nil.
pub trait FromResults: Sized {
    /// How many results the call asks for (at most 4).
    const COUNT: usize;
    /// Converts the first results (nil past the end).
    fn from_results(values: &[ValueRef<'_>]) -> Result<Self>;
}

fn result_error(i: usize, detail: String) -> Error {
    Error::new(
        ErrorKind::Conversion,
        format!("result #{}: {detail}", i + 1),
    )
}

impl FromResults for () {
    const COUNT: usize = 0;
    #[inline]
    fn from_results(_: &[ValueRef<'_>]) -> Result<Self> {
        Ok(())
    }
}

impl<T: FromResult> FromResults for T {
    const COUNT: usize = 1;
    #[inline]
    fn from_results(values: &[ValueRef<'_>]) -> Result<Self> {
        T::from_result(&values[0]).map_err(|d| result_error(0, d))
    }
}

macro_rules! from_results_tuple {
    ($n:literal; $($name:ident $idx:tt),+) => {
        impl<$($name: FromResult),+> FromResults for ($($name,)+) {
            const COUNT: usize = $n;
            #[inline]
            fn from_results(values: &[ValueRef<'_>]) -> Result<Self> {
                Ok(($($name::from_result(&values[$idx]).map_err(|d| result_error($idx, d))?,)+))
            }
        }
    };
}
from_results_tuple!(2; A 0, B 1);
from_results_tuple!(3; A 0, B 1, C 2);
from_results_tuple!(4; A 0, B 1, C 2, D 3);

impl Function {
    /// Calls the function with typed scalar arguments and decodes its results as `R`: the
    /// arguments cross the boundary once, the results are decoded where Luau left them, and
    /// nothing is allocated (for number, boolean and borrowed-string arguments and number or
    /// boolean results). A result that does not convert is [`ErrorKind::Conversion`]
    /// (`result #1: number expected, got string`).
    ///
    /// ```
    /// let state = luau::State::new()?;
    /// state.do_string("function add(a, b) return a + b, a .. '+' .. b end")?;
    /// let add = state.get_function("add")?;
    /// let sum: f64 = add.call_typed((40, 2))?;
    /// assert_eq!(sum, 42.0);
    /// let (sum, text): (i64, String) = add.call_typed((1, 2))?;
    /// assert_eq!((sum, text.as_str()), (3, "1+2"));
    /// # Ok::<(), luau::Error>(())
    /// ```
    #[inline]
    pub fn call_typed<A: IntoArgs, R: FromResults>(&self, args: A) -> Result<R> {
        let shared = self.0.live()?;
        let reference = self.reference();
        shared
            .run(|raw| {
                args.with_args(|args| {
                    raw.call_ref_decode::<_, _, MAX_RESULTS>(reference, args, R::COUNT, |results| {
                        Ok(decode_results::<R>(results))
                    })
                })
            })
            .and_then(|r| r)
    }
}

/// The first `R::COUNT` of `results` (strings still borrowed from the stack) converted to
/// `R`: the typed call's and the typed resume's conversion.
#[inline]
pub(crate) fn decode_results<R: FromResults>(
    results: &[crate::ffi::RawValue<'_>; MAX_RESULTS],
) -> Result<R> {
    let mut values = [ValueRef::Nil; MAX_RESULTS];
    for (v, r) in values.iter_mut().zip(&results[..R::COUNT.min(MAX_RESULTS)]) {
        *v = ValueRef::from(*r);
    }
    R::from_results(&values)
}
