//! Stored bytecode: it round-trips through bytes, and corrupted or foreign bytes are a clean
//! error, never a crash (Luau's VM does not validate bytecode; the wrapper's trailer does).

use luau::{Bytecode, CompileOptions, ErrorKind, State, Value};

fn chunk() -> Vec<u8> {
    luau::compile(
        "local t = {} for i = 1, 10 do t[i] = i * i end return t[10] + #'bytecode'",
        &CompileOptions::default(),
    )
    .expect("compiles")
    .into_bytes()
}

#[test]
fn stored_bytecode_loads_in_a_new_state() {
    // Requirement: bytes taken from compile load and run in another state.
    let bytes = chunk();
    let state = State::new().unwrap();
    let f = state.load("=stored", &Bytecode::from_bytes(bytes)).unwrap();
    assert_eq!(f.call(&[]).unwrap(), vec![Value::Number(108.0)]);
}

#[test]
fn a_thousand_bit_flips_are_a_thousand_clean_errors() {
    // Requirement: 1,000 copies of a valid chunk, each with one random bit flipped, are all
    // rejected with a typed error; none runs, none crashes; the state stays usable.
    let good = chunk();
    let state = State::new().unwrap();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..1000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut bad = good.clone();
        let bit = (seed % (bad.len() as u64 * 8)) as usize;
        bad[bit / 8] ^= 1 << (bit % 8);
        let err = state
            .load("=flip", &Bytecode::from_bytes(bad))
            .expect_err("a flipped bit must be rejected");
        assert!(
            matches!(err.kind(), ErrorKind::Argument | ErrorKind::Syntax),
            "bit {bit}: {err}"
        );
    }
    assert_eq!(
        state.do_string("return 1 + 1").unwrap(),
        vec![Value::Number(2.0)]
    );
}

#[test]
fn foreign_and_other_version_bytecode_is_rejected_by_name() {
    // Requirement: bytes that did not come from this library's compiler, and bytecode whose
    // trailer names another Luau version, are refused with a message saying why.
    let state = State::new().unwrap();
    let err = state
        .load(
            "=raw",
            &Bytecode::from_bytes(b"\x06\x01not bytecode".to_vec()),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    assert!(err.message().contains("no integrity trailer"), "{err}");

    let mut other = chunk();
    let at = other.len() - 24 + 4;
    other[at..at + 4].copy_from_slice(&735u32.to_le_bytes());
    let err = state
        .load("=old", &Bytecode::from_bytes(other))
        .unwrap_err();
    assert!(err.message().contains("Luau 0.735"), "{err}");
}
