//! serde conversions (feature `serde`): any `Serialize` type to a Luau [`Value`] and any
//! `DeserializeOwned` type from one, like mlua's `LuaSerdeExt`.
//!
//! - [`State::to_value`]: structs and maps become tables with their keys (field names as
//!   strings), sequences and tuples `1..n` tables, `None` and `()` nil, unit enum variants
//!   their name as a string, newtype/tuple/struct variants `{Variant = ...}` (serde_json's
//!   externally tagged form), bytes strings, numbers numbers (an integer beyond ±2^53, which
//!   a double cannot hold exactly, is an error).
//! - [`State::from_value`]: reads tables through their [`Table`] handle. A sequence
//!   (`t[1] .. t[#t]` and nothing else) deserializes as a seq, any other table as a map; a
//!   target asking for a map or struct reads any table as one.
//! - [`Serde<T>`]: a typed host-function parameter (`|(Serde(cfg),): (Serde<Config>,)|`)
//!   whose mismatch is Luau's argument error `invalid argument #1 to 'f' (...)`, and a
//!   result that converts with `to_value`.
//!
//! Nesting deeper than [`MAX_DEPTH`] levels and cycles (a table that contains itself) are
//! [`ErrorKind::Conversion`] errors, never a stack overflow; a table reachable twice without
//! a cycle is read twice. Every conversion error is of kind `conversion`.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Config {
//!     name: String,
//!     retries: u32,
//!     tags: Vec<String>,
//!     limit: Option<f64>,
//! }
//!
//! let state = luau::State::new()?;
//! let cfg = Config { name: "job".into(), retries: 3, tags: vec!["a".into()], limit: None };
//! state.set_global("cfg", &state.to_value(&cfg)?)?;
//! let back = state.do_string("cfg.retries += 1; table.insert(cfg.tags, 'b'); return cfg")?;
//! let cfg: Config = state.from_value(&back[0])?;
//! assert_eq!(cfg.retries, 4);
//! assert_eq!(cfg.tags, ["a", "b"]);
//! # Ok::<(), luau::Error>(())
//! ```

use std::cell::RefCell;
use std::fmt;

use ::serde::de::{self, DeserializeOwned, IntoDeserializer};
use ::serde::ser::{self, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::function::{CallContext, IntoResults};
use crate::handle::{Handle, Table};
use crate::state::{read_results, Shared};
use crate::typed::{FromLuau, FromValue};
use crate::value::{StackSlot, Type, Value, ValueRef};

/// The deepest nesting of tables `to_value` and `from_value` convert (levels of tables).
pub const MAX_DEPTH: usize = 128;

/// Integers a double holds exactly: `-(2^53) ..= 2^53`.
const MAX_SAFE: u64 = 1 << 53;

fn conversion(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Conversion, msg)
}

fn too_deep() -> Error {
    conversion(format!("nesting deeper than {MAX_DEPTH} levels"))
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        conversion(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        conversion(msg.to_string())
    }
}

impl crate::State {
    /// `value` as a Luau value (see the [module docs](crate::serde)); tables are new
    /// tables of this state.
    pub fn to_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<Value> {
        to_value_in(&self.shared, value)
    }

    /// `value` as a `T` (see the [module docs](crate::serde)). A table handle of another
    /// state is an [`ErrorKind::Conversion`] error.
    pub fn from_value<T: DeserializeOwned>(&self, value: &Value) -> Result<T> {
        crate::handle::check_handles(&self.shared, std::slice::from_ref(value))?;
        from_value_any(value)
    }
}

pub(crate) fn to_value_in<T: Serialize + ?Sized>(shared: &Shared, value: &T) -> Result<Value> {
    value.serialize(Serializer { shared, depth: 0 })
}

fn from_value_any<T: DeserializeOwned>(value: &Value) -> Result<T> {
    let path = RefCell::new(Vec::new());
    T::deserialize(Deserializer {
        value: value.clone(),
        path: &path,
        missing: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Serde<T>: typed host-function parameters and results
// ---------------------------------------------------------------------------------------------

/// A typed host-function parameter or result converted with serde (see the
/// [module docs](crate::serde)).
///
/// ```
/// use luau::Serde;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Point { x: f64, y: f64 }
///
/// let state = luau::State::new()?;
/// state.register("norm", |(Serde(p),): (Serde<Point>,)| (p.x * p.x + p.y * p.y).sqrt())?;
/// assert_eq!(state.do_string("return norm({x = 3, y = 4})")?[0].as_f64(), Some(5.0));
/// let err = state.do_string("return norm({x = 3})").unwrap_err();
/// assert!(err.message().contains("invalid argument #1 to 'norm' (missing field `y`)"));
/// # Ok::<(), luau::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Serde<T>(pub T);

impl<T: DeserializeOwned> FromLuau for Serde<T> {
    fn from_arg(ctx: &CallContext<'_>, i: usize) -> Result<Self> {
        let shared = ctx.shared();
        let value = match ctx.arg(i) {
            ValueRef::Stack(StackSlot {
                ty: ty @ (Type::Table | Type::Function),
                index,
            }) => shared
                .run(|raw| {
                    let base = raw.gettop();
                    raw.push_values(&[ValueRef::Stack(StackSlot { ty, index })])?;
                    read_results(shared, raw, base)
                })?
                .pop()
                .unwrap_or(Value::Nil),
            other => other.to_owned(),
        };
        let name = ctx.name();
        // An argument the call does not have at all, where `T` needs one: Luau's
        // `missing argument #1 to 'f' (struct Config expected)`.
        let missing = (i >= ctx.len()).then_some((i + 1, &*name));
        let path = RefCell::new(Vec::new());
        T::deserialize(Deserializer {
            value,
            path: &path,
            missing,
        })
        .map(Serde)
        .map_err(|e| match e.kind() {
            ErrorKind::Conversion => Error::bad_argument(i + 1, &name, e.message()),
            _ => e,
        })
    }
}

impl<T: DeserializeOwned> FromValue for Serde<T> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        from_value_any(v)
            .map(Serde)
            .map_err(|e| e.message().to_owned())
    }
}

impl<T: Serialize> IntoResults for Serde<T> {
    /// One result: the value as [`State::to_value`](crate::State::to_value) converts it.
    fn push_results(self, ctx: &mut CallContext<'_>) -> Result<()> {
        let v = to_value_in(ctx.shared(), &self.0)?;
        ctx.push_value(&v)
    }
}

// ---------------------------------------------------------------------------------------------
// Serializer: Rust -> Value
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Serializer<'s> {
    shared: &'s Shared,
    /// Tables enclosing the value being serialized.
    depth: usize,
}

impl<'s> Serializer<'s> {
    /// A new table one level down.
    fn table(&self) -> Result<(Table, Serializer<'s>)> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        let shared = self.shared;
        let t = shared.run(|raw| {
            raw.newtable(0, 0)?;
            Handle::make(shared, raw, raw.gettop()).map(Table)
        })?;
        Ok((
            t,
            Serializer {
                shared,
                depth: self.depth + 1,
            },
        ))
    }

    fn int(v: i128) -> Result<Value> {
        if v.unsigned_abs() > u128::from(MAX_SAFE) {
            return Err(conversion(format!(
                "integer {v} cannot be represented exactly as a Luau number (beyond 2^53)"
            )));
        }
        Ok(Value::Number(v as f64))
    }
}

/// A table being filled: a sequence (`next` is the next index) or a map / struct.
struct TableBuilder<'s> {
    table: Table,
    inner: Serializer<'s>,
    next: f64,
    key: Option<Value>,
    /// For variants: the `{Variant = table}` wrapper returned instead of `table`.
    outer: Option<(Table, &'static str)>,
}

impl<'s> TableBuilder<'s> {
    fn new(ser: Serializer<'s>) -> Result<Self> {
        let (table, inner) = ser.table()?;
        Ok(TableBuilder {
            table,
            inner,
            next: 1.0,
            key: None,
            outer: None,
        })
    }

    fn variant(ser: Serializer<'s>, variant: &'static str) -> Result<Self> {
        let (outer, mid) = ser.table()?;
        let mut b = TableBuilder::new(mid)?;
        b.outer = Some((outer, variant));
        Ok(b)
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let v = value.serialize(self.inner)?;
        self.table.raw_set(Value::Number(self.next), v)?;
        self.next += 1.0;
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        let v = value.serialize(self.inner)?;
        self.table.raw_set(key, v)
    }

    fn finish(self) -> Result<Value> {
        match self.outer {
            Some((outer, variant)) => {
                outer.raw_set(variant, Value::Table(self.table))?;
                Ok(Value::Table(outer))
            }
            None => Ok(Value::Table(self.table)),
        }
    }
}

impl<'s> ser::Serializer for Serializer<'s> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = TableBuilder<'s>;
    type SerializeTuple = TableBuilder<'s>;
    type SerializeTupleStruct = TableBuilder<'s>;
    type SerializeTupleVariant = TableBuilder<'s>;
    type SerializeMap = TableBuilder<'s>;
    type SerializeStruct = TableBuilder<'s>;
    type SerializeStructVariant = TableBuilder<'s>;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Boolean(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::Number(f64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::Number(f64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::Number(f64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Value> {
        Serializer::int(i128::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value> {
        Serializer::int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::Number(f64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::Number(f64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(Value::Number(f64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value> {
        Serializer::int(i128::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value> {
        match i128::try_from(v) {
            Ok(v) => Serializer::int(v),
            Err(_) => Serializer::int(i128::MAX),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::Number(f64::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::Number(v))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::String(v.to_string().into_bytes()))
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::String(v.as_bytes().to_vec()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::String(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Nil)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Nil)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::Nil)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value> {
        Ok(Value::String(variant.as_bytes().to_vec()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value> {
        let (outer, inner) = self.table()?;
        let v = value.serialize(inner)?;
        outer.raw_set(variant, v)?;
        Ok(Value::Table(outer))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<TableBuilder<'s>> {
        TableBuilder::new(self)
    }
    fn serialize_tuple(self, _len: usize) -> Result<TableBuilder<'s>> {
        TableBuilder::new(self)
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<TableBuilder<'s>> {
        TableBuilder::new(self)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<TableBuilder<'s>> {
        TableBuilder::variant(self, variant)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<TableBuilder<'s>> {
        TableBuilder::new(self)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<TableBuilder<'s>> {
        TableBuilder::new(self)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<TableBuilder<'s>> {
        TableBuilder::variant(self, variant)
    }
}

impl ser::SerializeSeq for TableBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

impl ser::SerializeTuple for TableBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for TableBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for TableBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

impl ser::SerializeMap for TableBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        let k = key.serialize(self.inner)?;
        if k == Value::Nil {
            return Err(conversion("a map key converts to nil"));
        }
        self.key = Some(k);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let k = self
            .key
            .take()
            .ok_or_else(|| conversion("a map value without its key"))?;
        let v = value.serialize(self.inner)?;
        self.table.raw_set(k, v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

impl ser::SerializeStruct for TableBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for TableBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Deserializer: Value -> Rust
// ---------------------------------------------------------------------------------------------

/// The tables enclosing the value being read (outermost first): its depth, and what a cycle
/// runs into.
type Path = RefCell<Vec<Table>>;

struct Deserializer<'p> {
    value: Value,
    path: &'p Path,
    /// For an absent host-function argument: its position (1-based) and the function's name.
    missing: Option<(usize, &'p str)>,
}

/// Leaves the table on drop (the path stays balanced on errors too).
struct Entered<'p>(&'p Path);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().pop();
    }
}

fn enter<'p>(path: &'p Path, t: &Table) -> Result<Entered<'p>> {
    let mut p = path.borrow_mut();
    if p.iter().any(|outer| outer == t) {
        return Err(conversion("cycle: a table contains itself"));
    }
    if p.len() >= MAX_DEPTH {
        return Err(too_deep());
    }
    p.push(t.clone());
    Ok(Entered(path))
}

/// The table's values in order when it is a sequence: its keys are exactly `1..n` (one
/// `pairs` read; the raw length is n).
fn as_sequence(t: &Table) -> Result<Option<Vec<Value>>> {
    let pairs = t.pairs()?;
    let n = pairs.len();
    let mut items = vec![Value::Nil; n];
    for (k, v) in pairs {
        match k.as_f64() {
            // Keys are distinct, so n keys in 1..=n are exactly 1..n.
            Some(i) if i >= 1.0 && i <= n as f64 && i.fract() == 0.0 => items[i as usize - 1] = v,
            _ => return Ok(None),
        }
    }
    Ok(Some(items))
}

fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::Nil => de::Unexpected::Unit,
        Value::Boolean(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => de::Unexpected::Float(*n),
        Value::Integer(i) => de::Unexpected::Signed(*i),
        Value::String(s) => match std::str::from_utf8(s) {
            Ok(s) => de::Unexpected::Str(s),
            Err(_) => de::Unexpected::Bytes(s),
        },
        Value::Table(_) => de::Unexpected::Map,
        Value::Function(_) => de::Unexpected::Other("function"),
        other => de::Unexpected::Other(other.type_of().name()),
    }
}

impl<'p> Deserializer<'p> {
    fn invalid(&self, exp: &dyn de::Expected) -> Error {
        match self.missing {
            Some((position, name)) => Error::missing_argument(position, name, &exp.to_string()),
            None => de::Error::invalid_type(unexpected(&self.value), exp),
        }
    }

    fn visit_seq<'de, V: de::Visitor<'de>>(
        &self,
        t: &Table,
        items: Vec<Value>,
        visitor: V,
    ) -> Result<V::Value> {
        let _in = enter(self.path, t)?;
        let mut seq = SeqAccess {
            items: items.into_iter(),
            path: self.path,
        };
        let out = visitor.visit_seq(&mut seq)?;
        if seq.items.len() != 0 {
            return Err(de::Error::invalid_length(
                seq.items.len() + 1,
                &"fewer elements in the table",
            ));
        }
        Ok(out)
    }

    fn visit_map<'de, V: de::Visitor<'de>>(&self, t: &Table, visitor: V) -> Result<V::Value> {
        let _in = enter(self.path, t)?;
        let pairs = t.pairs()?;
        let mut map = MapAccess {
            pairs: pairs.into_iter(),
            value: None,
            path: self.path,
        };
        visitor.visit_map(&mut map)
    }
}

impl<'de> de::Deserializer<'de> for Deserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::Nil => visitor.visit_unit(),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Integer(i) => visitor.visit_i64(*i),
            Value::Number(n) => {
                let n = *n;
                if n.fract() == 0.0 && n.abs() <= MAX_SAFE as f64 {
                    visitor.visit_i64(n as i64)
                } else {
                    visitor.visit_f64(n)
                }
            }
            Value::String(s) => match std::str::from_utf8(s) {
                Ok(text) => visitor.visit_str(text),
                Err(_) => visitor.visit_bytes(s),
            },
            Value::Table(t) => {
                let t = t.clone();
                match as_sequence(&t)? {
                    Some(items) => self.visit_seq(&t, items, visitor),
                    None => self.visit_map(&t, visitor),
                }
            }
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_f64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.as_f64() {
            Some(n) => visitor.visit_f64(n),
            None => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_f32<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_bytes<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::String(s) => visitor.visit_bytes(s),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::Nil => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::Table(t) => {
                let t = t.clone();
                match as_sequence(&t)? {
                    Some(items) => self.visit_seq(&t, items, visitor),
                    None => Err(de::Error::invalid_type(
                        de::Unexpected::Other("table with non-sequence keys"),
                        &visitor,
                    )),
                }
            }
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_tuple<V: de::Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::Table(t) => {
                let t = t.clone();
                self.visit_map(&t, visitor)
            }
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match &self.value {
            Value::String(_) => visitor.visit_enum(EnumAccess {
                variant: self.value.clone(),
                content: None,
                path: self.path,
            }),
            Value::Table(t) => {
                let t = t.clone();
                let _in = enter(self.path, &t)?;
                let mut pairs = t.pairs()?;
                if pairs.len() != 1 {
                    return Err(de::Error::invalid_value(
                        de::Unexpected::Map,
                        &"a table with exactly one key, the variant's name",
                    ));
                }
                let (variant, content) = pairs.pop().unwrap_or((Value::Nil, Value::Nil));
                visitor.visit_enum(EnumAccess {
                    variant,
                    content: Some(content),
                    path: self.path,
                })
            }
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_ignored_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // Skipped values are not read (no depth or cycle check for what is ignored).
        visitor.visit_unit()
    }

    ::serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 char str string
        unit unit_struct identifier
    }
}

struct SeqAccess<'p> {
    items: std::vec::IntoIter<Value>,
    path: &'p Path,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_> {
    type Error = Error;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>> {
        match self.items.next() {
            Some(value) => seed
                .deserialize(Deserializer {
                    value,
                    path: self.path,
                    missing: None,
                })
                .map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'p> {
    pairs: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
    path: &'p Path,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_> {
    type Error = Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.pairs.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(Deserializer {
                    value: k,
                    path: self.path,
                    missing: None,
                })
                .map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let value = self
            .value
            .take()
            .ok_or_else(|| conversion("a map value without its key"))?;
        seed.deserialize(Deserializer {
            value,
            path: self.path,
            missing: None,
        })
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
}

struct EnumAccess<'p> {
    variant: Value,
    content: Option<Value>,
    path: &'p Path,
}

impl<'de, 'p> de::EnumAccess<'de> for EnumAccess<'p> {
    type Error = Error;
    type Variant = VariantAccess<'p>;
    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantAccess<'p>)> {
        let name = match &self.variant {
            Value::String(s) => std::str::from_utf8(s)
                .map_err(|_| conversion("an enum variant name is not valid UTF-8"))?
                .to_owned(),
            other => {
                return Err(conversion(format!(
                    "an enum variant name must be a string, got {}",
                    other.type_of().name()
                )))
            }
        };
        let v = seed.deserialize(IntoDeserializer::<Error>::into_deserializer(name))?;
        Ok((
            v,
            VariantAccess {
                content: self.content,
                path: self.path,
            },
        ))
    }
}

struct VariantAccess<'p> {
    content: Option<Value>,
    path: &'p Path,
}

impl<'p> VariantAccess<'p> {
    fn content(self, what: &str) -> Result<Deserializer<'p>> {
        match self.content {
            Some(value) => Ok(Deserializer {
                value,
                path: self.path,
                missing: None,
            }),
            None => Err(conversion(format!(
                "a {what} variant needs a table {{Variant = ...}}, got a string"
            ))),
        }
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'_> {
    type Error = Error;
    fn unit_variant(self) -> Result<()> {
        match self.content {
            None | Some(Value::Nil) => Ok(()),
            Some(other) => Err(conversion(format!(
                "a unit variant takes no value, got {}",
                other.type_of().name()
            ))),
        }
    }
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self.content("newtype")?)
    }
    fn tuple_variant<V: de::Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_tuple(self.content("tuple")?, len, visitor)
    }
    fn struct_variant<V: de::Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_struct(self.content("struct")?, "", fields, visitor)
    }
}
