//! Requirement: an unsupported attribute, option or signature is a compile error with a clear
//! message, never silently ignored. Each case in compile_fail/ must fail to compile with
//! exactly the error in its .stderr file (regenerate with `TRYBUILD=overwrite`).
//!
//! The cases name this crate `luau` (as the `luau` crate re-exports it): the errors come from
//! the macros themselves, before any code of the runtime crate is needed.

#[test]
fn an_unsupported_attribute_is_a_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
