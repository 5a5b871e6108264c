//! The `serde` feature: `State::to_value` / `State::from_value` and `Serde<T>` in typed host
//! functions. Each test states the requirement it checks first.
#![cfg(feature = "serde")]

use std::collections::{BTreeMap, HashMap};

use luau::{ErrorKind, Serde, State, Value};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Config {
    name: String,
    retries: u32,
    ratio: f64,
    tags: Vec<String>,
    limit: Option<i64>,
    mode: Mode,
    inner: Inner,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Inner {
    enabled: bool,
    weights: BTreeMap<String, f64>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Mode {
    Fast,
    Slow,
    Limited(u32),
    Pair(i32, String),
    Window { from: u16, to: u16 },
}

fn config() -> Config {
    Config {
        name: "job".into(),
        retries: 3,
        ratio: 0.5,
        tags: vec!["a".into(), "b".into()],
        limit: None,
        mode: Mode::Window { from: 1, to: 9 },
        inner: Inner {
            enabled: true,
            weights: BTreeMap::from([("x".to_string(), 1.5), ("y".to_string(), -2.0)]),
        },
    }
}

fn table(v: &Value) -> &luau::Table {
    v.as_table().expect("a table")
}

#[test]
fn a_struct_becomes_a_table_with_string_keys_that_a_script_reads() {
    let state = State::new().unwrap();
    let v = state.to_value(&config()).unwrap();
    state.set_global("cfg", &v).unwrap();
    let out = state
        .do_string(
            "return cfg.name, cfg.retries, cfg.ratio, #cfg.tags, cfg.tags[2], cfg.limit, \
             cfg.mode.Window.to, cfg.inner.enabled, cfg.inner.weights.y",
        )
        .unwrap();
    assert_eq!(
        out,
        [
            Value::String(b"job".to_vec()),
            Value::Number(3.0),
            Value::Number(0.5),
            Value::Number(2.0),
            Value::String(b"b".to_vec()),
            Value::Nil,
            Value::Number(9.0),
            Value::Boolean(true),
            Value::Number(-2.0),
        ]
    );
}

#[test]
fn a_struct_round_trips_host_to_luau_to_host() {
    let state = State::new().unwrap();
    let mut cfg = config();
    cfg.limit = Some(-7);
    let v = state.to_value(&cfg).unwrap();
    state.set_global("cfg", &v).unwrap();
    let back = state.do_string("return cfg").unwrap();
    assert_eq!(state.from_value::<Config>(&back[0]).unwrap(), cfg);
}

#[test]
fn a_script_mutating_a_converted_table_is_seen_by_from_value() {
    let state = State::new().unwrap();
    let v = state.to_value(&config()).unwrap();
    state.set_global("cfg", &v).unwrap();
    state
        .do_string(
            "cfg.retries += 1; table.insert(cfg.tags, 'c'); cfg.limit = 10; \
             cfg.mode = 'Slow'; cfg.inner.weights.z = 0",
        )
        .unwrap();
    let got: Config = state.from_value(&v).unwrap();
    assert_eq!(got.retries, 4);
    assert_eq!(got.tags, ["a", "b", "c"]);
    assert_eq!(got.limit, Some(10));
    assert_eq!(got.mode, Mode::Slow);
    assert_eq!(got.inner.weights.get("z"), Some(&0.0));
}

#[test]
fn enums_are_externally_tagged_like_serde_json() {
    let state = State::new().unwrap();
    // Unit variants are their name; the others one-key tables {Variant = ...}.
    assert_eq!(
        state.to_value(&Mode::Fast).unwrap(),
        Value::String(b"Fast".to_vec())
    );
    let limited = state.to_value(&Mode::Limited(5)).unwrap();
    assert_eq!(table(&limited).get("Limited").unwrap(), Value::Number(5.0));
    let pair = state.to_value(&Mode::Pair(-1, "p".into())).unwrap();
    let inner = table(&pair).get("Pair").unwrap();
    assert_eq!(
        table(&inner).sequence_values().unwrap(),
        [Value::Number(-1.0), Value::String(b"p".to_vec())]
    );
    for m in [
        Mode::Fast,
        Mode::Slow,
        Mode::Limited(5),
        Mode::Pair(-1, "p".into()),
        Mode::Window { from: 2, to: 3 },
    ] {
        let v = state.to_value(&m).unwrap();
        assert_eq!(state.from_value::<Mode>(&v).unwrap(), m);
    }
    // Written by a script in the same form.
    let v = state
        .do_string("return {Window = {from = 4, to = 5}}")
        .unwrap();
    assert_eq!(
        state.from_value::<Mode>(&v[0]).unwrap(),
        Mode::Window { from: 4, to: 5 }
    );
    let err = state
        .from_value::<Mode>(&state.do_string("return 'Medium'").unwrap()[0])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    assert!(err.message().contains("unknown variant `Medium`"), "{err}");
}

#[test]
fn a_sequence_deserializes_as_a_seq_and_a_keyed_table_as_a_map() {
    let state = State::new().unwrap();
    let seq = state.do_string("return {10, 20, 30}").unwrap();
    assert_eq!(state.from_value::<Vec<u8>>(&seq[0]).unwrap(), [10, 20, 30]);
    assert_eq!(
        state.from_value::<(u8, u8, u8)>(&seq[0]).unwrap(),
        (10, 20, 30)
    );
    // Untyped targets see the shape: serde_json::Value is an array for a sequence ...
    let j: serde_json::Value = state.from_value(&seq[0]).unwrap();
    assert_eq!(j, serde_json::json!([10, 20, 30]));
    // ... and an object for a table with other keys.
    let keyed = state.do_string("return {x = 'y', z = 1}").unwrap();
    let j: serde_json::Value = state.from_value(&keyed[0]).unwrap();
    assert_eq!(j, serde_json::json!({"x": "y", "z": 1}));
    // A sequence with an extra key is a map (here with mixed keys, into a map of Values).
    let mixed = state.do_string("return {10, 20, x = 30}").unwrap();
    let err = state.from_value::<Vec<u8>>(&mixed[0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    #[derive(Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(untagged)]
    enum AnyKey {
        N(i64),
        S(String),
    }
    let m: BTreeMap<AnyKey, u8> = state.from_value(&mixed[0]).unwrap();
    assert_eq!(
        m,
        BTreeMap::from([
            (AnyKey::N(1), 10),
            (AnyKey::N(2), 20),
            (AnyKey::S("x".into()), 30)
        ])
    );
    // A table with holes is not a sequence: a Vec target is a clean error.
    let holes = state.do_string("return {[1] = 1, [3] = 3}").unwrap();
    let err = state.from_value::<Vec<u8>>(&holes[0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    // Maps with string and number keys.
    let m = state.do_string("return {a = 1, b = 2}").unwrap();
    let m: HashMap<String, i32> = state.from_value(&m[0]).unwrap();
    assert_eq!(m, HashMap::from([("a".into(), 1), ("b".into(), 2)]));
    let m = state
        .do_string("return {[5] = 'five', [7] = 'seven'}")
        .unwrap();
    let m: BTreeMap<i64, String> = state.from_value(&m[0]).unwrap();
    assert_eq!(m, BTreeMap::from([(5, "five".into()), (7, "seven".into())]));
}

#[test]
fn host_maps_and_sequences_become_tables() {
    let state = State::new().unwrap();
    let v = state
        .to_value(&BTreeMap::from([(1, "one"), (2, "two")]))
        .unwrap();
    state.set_global("m", &v).unwrap();
    assert_eq!(
        state.do_string("return #m, m[2]").unwrap(),
        [Value::Number(2.0), Value::String(b"two".to_vec())]
    );
    let v = state.to_value(&vec![vec![1, 2], vec![3]]).unwrap();
    state.set_global("s", &v).unwrap();
    assert_eq!(
        state.do_string("return #s, s[1][2], s[2][1]").unwrap(),
        [Value::Number(2.0), Value::Number(2.0), Value::Number(3.0)]
    );
    // Options: None is nil, Some the value; bytes are strings.
    assert_eq!(state.to_value(&None::<i32>).unwrap(), Value::Nil);
    assert_eq!(state.to_value(&Some(2)).unwrap(), Value::Number(2.0));
    assert_eq!(
        state.to_value(&Bytes(b"a\0b")).unwrap(),
        Value::String(b"a\0b".to_vec())
    );
}

/// `&[u8]` serializes as a seq by default; a wrapper serializing as bytes checks
/// serialize_bytes.
struct Bytes<'a>(&'a [u8]);
impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}
#[test]
fn integers_beyond_2_pow_53_are_a_clean_conversion_error() {
    let state = State::new().unwrap();
    assert_eq!(
        state.to_value(&(1u64 << 53)).unwrap(),
        Value::Number(9007199254740992.0)
    );
    for err in [
        state.to_value(&((1u64 << 53) + 1)).unwrap_err(),
        state.to_value(&i64::MIN).unwrap_err(),
        state.to_value(&u128::MAX).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Conversion);
        assert!(err.message().contains("2^53"), "{err}");
    }
}

#[test]
fn wrong_types_are_conversion_errors_naming_what_was_expected() {
    let state = State::new().unwrap();
    let v = state
        .do_string("return {name = 1, retries = 3, ratio = 0, tags = {}, mode = 'Fast', inner = {enabled = true, weights = {}}}")
        .unwrap();
    let err = state.from_value::<Config>(&v[0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    assert!(err.message().contains("expected a string"), "{err}");
    let v = state.do_string("return {retries = -1}").unwrap();
    let err = state.from_value::<Config>(&v[0]).unwrap_err();
    assert!(err.message().contains("expected u32"), "{err}");
    let err = state.from_value::<u8>(&Value::Number(1.5)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    let f = state.do_string("return print").unwrap();
    let err = state.from_value::<Config>(&f[0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
}

#[test]
fn nesting_deeper_than_the_limit_is_a_clean_error_not_a_stack_overflow() {
    let state = State::new().unwrap();
    // 128 levels convert, 129 (and 100,000) do not.
    let deep = |n: usize| format!("local t = 1 for i = 1, {n} do t = {{t}} end return t");
    let v = state.do_string(deep(128)).unwrap();
    state.from_value::<serde_json::Value>(&v[0]).unwrap();
    for n in [129, 100_000] {
        let v = state.do_string(deep(n)).unwrap();
        let err = state.from_value::<serde_json::Value>(&v[0]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conversion);
        assert!(err.message().contains("deeper than 128"), "{err}");
    }
    // Host -> Luau as well: a deep serde_json value.
    let mut j = serde_json::json!(1);
    for _ in 0..200 {
        j = serde_json::json!([j]);
    }
    let err = state.to_value(&j).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    assert!(err.message().contains("deeper than 128"), "{err}");
}

#[test]
fn a_table_that_contains_itself_is_a_cycle_error() {
    let state = State::new().unwrap();
    let v = state
        .do_string("local t = {name = 'x'} t.me = t return t")
        .unwrap();
    let err = state
        .from_value::<HashMap<String, serde_json::Value>>(&v[0])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    assert!(err.message().contains("cycle"), "{err}");
    // A table reachable twice without a cycle is not one.
    let v = state
        .do_string("local s = {1} return {a = s, b = s}")
        .unwrap();
    let m: HashMap<String, Vec<u8>> = state.from_value(&v[0]).unwrap();
    assert_eq!(m["a"], m["b"]);
}

#[test]
fn a_handle_of_another_state_is_a_conversion_error() {
    let a = State::new().unwrap();
    let b = State::new().unwrap();
    let v = a.do_string("return {1}").unwrap();
    let err = b.from_value::<Vec<u8>>(&v[0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
}

#[test]
fn a_typed_host_function_takes_and_returns_serde_values() {
    let state = State::new().unwrap();
    state
        .register("describe", |(Serde(cfg), n): (Serde<Config>, u32)| {
            format!("{} x{} {:?}", cfg.name, cfg.retries * n, cfg.mode)
        })
        .unwrap();
    state
        .register("make", |(name,): (String,)| {
            let mut c = config();
            c.name = name;
            Serde(c)
        })
        .unwrap();
    let out = state
        .do_string("local c = make('built') c.retries = 5 return describe(c, 2), c.inner.weights.x")
        .unwrap();
    assert_eq!(
        out,
        [
            Value::String(b"built x10 Window { from: 1, to: 9 }".to_vec()),
            Value::Number(1.5)
        ]
    );
}

#[test]
fn a_mismatched_serde_argument_is_a_luau_argument_error() {
    let state = State::new().unwrap();
    state
        .register("f", |(Serde(cfg),): (Serde<Inner>,)| cfg.enabled)
        .unwrap();
    let err = state.do_string("return f({enabled = 'yes'})").unwrap_err();
    assert!(
        err.message().contains(
            "invalid argument #1 to 'f' (invalid type: string \"yes\", expected a boolean)"
        ),
        "{err}"
    );
    let err = state.do_string("return f(3)").unwrap_err();
    assert!(
        err.message().contains("invalid argument #1 to 'f' ("),
        "{err}"
    );
    // An absent argument is Luau's "missing argument" wording; an Option accepts it.
    let err = state.do_string("return f()").unwrap_err();
    assert!(
        err.message()
            .contains("missing argument #1 to 'f' (struct Inner expected)"),
        "{err}"
    );
    state
        .register("g", |(Serde(o),): (Serde<Option<Inner>>,)| o.is_none())
        .unwrap();
    assert_eq!(
        state.do_string("return g()").unwrap(),
        [Value::Boolean(true)]
    );
    // Caught in Luau like any argument error.
    let out = state
        .do_string("local ok, e = pcall(f, {}) return ok, e")
        .unwrap();
    assert_eq!(out[0], Value::Boolean(false));
    let msg = String::from_utf8(match &out[1] {
        Value::String(s) => s.clone(),
        other => panic!("{other:?}"),
    })
    .unwrap();
    assert!(
        msg.contains("invalid argument #1 to 'f' (missing field `enabled`)"),
        "{msg}"
    );
}
