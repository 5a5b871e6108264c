//! Nothing here: `tests/renamed.rs` uses the luau-embed macros under the renamed dependency
//! `lua = { package = "luau-embed" }` (issue 13, item 6).
