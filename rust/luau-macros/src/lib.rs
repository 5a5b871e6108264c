//! Procedural macros of luau-embed. Use them through the `luau` crate, which re-exports them:
//! `#[luau::function]`, `#[derive(luau::UserData)]` and `#[luau::methods]` (documented there,
//! with runnable examples).
//!
//! Every option is either wired into the generated code or rejected with a compile error:
//! nothing is silently ignored. The generated code names the runtime crate as `::luau`, or,
//! when the crate being compiled renamed the dependency (`lua = { package = "luau-embed" }`),
//! by that name (see `krate.rs`).

use proc_macro::TokenStream;

mod attrs;
mod derive;
mod function;
mod krate;
mod methods;
mod wrapper;

/// Makes a free function callable from Luau: keeps the function as written and adds a
/// companion type of the same name implementing `luau::HostFunction` (register it with
/// `state.register_function::<name>()`).
///
/// Options: `#[luau::function(name = "luau_name")]`; `crate = "path"` names the runtime crate
/// in the generated code (default: `luau`, or the key of a renamed `luau-embed` dependency
/// found in the compiled crate's Cargo.toml; also on `#[luau::methods(crate = "...")]`).
#[proc_macro_attribute]
pub fn function(attr: TokenStream, item: TokenStream) -> TokenStream {
    krate::expand_with(attr.into(), |attr| function::expand(attr, item.into())).into()
}

/// Exposes the functions of an inherent `impl` block of a userdata type to Luau: `&self` and
/// `&mut self` methods as `v:name()`, other functions in the type's global table, with
/// `#[luau(constructor)]`, `#[luau(meta = "__add")]`, `#[luau(name = "...")]` and
/// `#[luau(skip)]`.
#[proc_macro_attribute]
pub fn methods(attr: TokenStream, item: TokenStream) -> TokenStream {
    krate::expand_with(attr.into(), |attr| methods::expand(attr, item.into())).into()
}

/// Implements `luau::UserData` (and `luau::UserDataType`) for a struct or enum: its name,
/// its fields (readable and writable; `#[luau(readonly)]`, `#[luau(skip)]`,
/// `#[luau(name = "...")]`) and the methods of its `#[luau::methods]` block, if any.
/// `#[luau(crate = "path")]` on the type names the runtime crate in the generated code.
#[proc_macro_derive(UserData, attributes(luau))]
pub fn derive_user_data(input: TokenStream) -> TokenStream {
    krate::expand_derive(input.into(), derive::expand).into()
}
