//! The mlua peer of luau-embed's Rust benchmarks: see `benches/mlua.rs`. This crate is a
//! separate binary because mlua builds its own copy of Luau, whose symbols collide with
//! luau-embed's; it has no library code.
