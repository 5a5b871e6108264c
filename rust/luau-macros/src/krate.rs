//! The path of the runtime crate in the generated code.
//!
//! The crate is `luau-embed` with library name `luau`, so by default the generated code names
//! it `::luau`. A dependent that renames it (`lua = { package = "luau-embed", ... }` in its
//! Cargo.toml) reaches it as `::lua` instead: like `proc-macro-crate`, the macros read the
//! Cargo.toml of the crate being compiled (`CARGO_MANIFEST_DIR`) and use the dependency key
//! whose `package` is `luau-embed`. The macros write their code with `::luau` and rewrite that
//! prefix to the resolved path at the end of each expansion.

use std::cell::RefCell;
use std::path::Path;

use proc_macro2::{Ident, Spacing, TokenStream, TokenTree};

const PACKAGE: &str = "luau-embed";
const DEFAULT: &str = "luau";

thread_local! {
    /// (manifest dir, resolved name): one Cargo.toml read per crate being compiled.
    static CACHE: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
    /// The `crate = "..."` option of the expansion in progress.
    static OVERRIDE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs one expansion with the `crate = "path"` option taken out of `opts` (the attribute's
/// arguments), then rewrites `::luau` in its output.
pub(crate) fn expand_with(
    opts: TokenStream,
    expand: impl FnOnce(TokenStream) -> TokenStream,
) -> TokenStream {
    let (rest, path) = match take_crate_opt(opts) {
        Ok(v) => v,
        Err(e) => return e.to_compile_error(),
    };
    OVERRIDE.with(|o| *o.borrow_mut() = path);
    let out = rewrite(expand(rest));
    OVERRIDE.with(|o| *o.borrow_mut() = None);
    out
}

/// A derive's expansion with `crate = "path"` taken out of the type's `#[luau(...)]`.
pub(crate) fn expand_derive(
    input: TokenStream,
    expand: impl FnOnce(TokenStream) -> TokenStream,
) -> TokenStream {
    let mut parsed: syn::DeriveInput = match syn::parse2(input.clone()) {
        Ok(i) => i,
        Err(_) => return rewrite(expand(input)), // the derive reports the error itself
    };
    let mut path = None;
    for attr in parsed.attrs.iter_mut().filter(|a| crate::attrs::is_luau(a)) {
        let syn::Meta::List(list) = &mut attr.meta else {
            continue;
        };
        match take_crate_opt(list.tokens.clone()) {
            Ok((rest, Some(p))) => {
                list.tokens = rest;
                path = Some(p);
            }
            Ok((_, None)) => {}
            Err(e) => return e.to_compile_error(),
        }
    }
    // An emptied `#[luau()]` is dropped.
    parsed.attrs.retain(|a| {
        !(crate::attrs::is_luau(a) && matches!(&a.meta, syn::Meta::List(l) if l.tokens.is_empty()))
    });
    OVERRIDE.with(|o| *o.borrow_mut() = path);
    let out = rewrite(expand(quote::quote!(#parsed)));
    OVERRIDE.with(|o| *o.borrow_mut() = None);
    out
}

/// Splits `crate = "path"` off an option list (`name = "x", crate = "lua"`).
pub(crate) fn take_crate_opt(opts: TokenStream) -> syn::Result<(TokenStream, Option<String>)> {
    if opts.is_empty() {
        return Ok((opts, None));
    }
    let list = crate::attrs::parse_opts(opts.clone())?;
    let mut path = None;
    let mut rest = Vec::new();
    for o in list {
        if o.key == "crate" {
            let Some(v) = &o.value else {
                return Err(syn::Error::new(o.key.span(), "write `crate = \"path\"`"));
            };
            let text: String = v.value().chars().filter(|c| !c.is_whitespace()).collect();
            if syn::parse_str::<syn::Path>(&text).is_err() {
                return Err(syn::Error::new(
                    v.span(),
                    "`crate` must name a path, e.g. `crate = \"lua\"`",
                ));
            }
            path = Some(text);
        } else {
            let key = &o.key;
            rest.push(match &o.value {
                Some(v) => quote::quote!(#key = #v),
                None => quote::quote!(#key),
            });
        }
    }
    if path.is_none() {
        return Ok((opts, None));
    }
    Ok((quote::quote!(#(#rest),*), path))
}

/// The path under which the generated code reaches `luau-embed`: the `crate = "..."` option as
/// written, else `::<key>` of a renamed dependency, else `::luau`.
pub(crate) fn path() -> String {
    if let Some(p) = OVERRIDE.with(|o| o.borrow().clone()) {
        return p;
    }
    format!("::{}", name())
}

/// The name under which the crate being compiled reaches `luau-embed` (`luau` unless renamed).
pub(crate) fn name() -> String {
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        return DEFAULT.to_owned();
    };
    CACHE.with(|c| {
        if let Some((d, n)) = &*c.borrow() {
            if *d == dir {
                return n.clone();
            }
        }
        let n = std::fs::read_to_string(Path::new(&dir).join("Cargo.toml"))
            .ok()
            .and_then(|t| renamed(&t))
            .unwrap_or_else(|| DEFAULT.to_owned());
        *c.borrow_mut() = Some((dir, n.clone()));
        n
    })
}

fn is_dep_section(s: &str) -> bool {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .any(|d| s == *d || s.ends_with(&format!(".{d}")))
}

fn is_package_line(l: &str) -> bool {
    let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains(&format!("package=\"{PACKAGE}\""))
        || compact.contains(&format!("package='{PACKAGE}'"))
}

fn key_name(k: &str) -> String {
    k.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .replace('-', "_")
}

/// The dependency key of a Cargo.toml whose `package` is `luau-embed`, as a Rust identifier:
/// `lua = { package = "luau-embed", ... }` in a dependency table, or a `[dependencies.lua]`
/// table with `package = "luau-embed"`.
pub(crate) fn renamed(manifest: &str) -> Option<String> {
    let mut section = String::new();
    for line in manifest.lines() {
        let l = line.trim();
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        if l.starts_with('[') {
            section = l.trim_matches(|c| c == '[' || c == ']').trim().to_owned();
            continue;
        }
        if let Some((table, key)) = section.rsplit_once('.') {
            if is_dep_section(table) && l.starts_with("package") && is_package_line(l) {
                return Some(key_name(key));
            }
        }
        if is_dep_section(&section) {
            if let Some((key, value)) = l.split_once('=') {
                if is_package_line(value) {
                    return Some(key_name(key));
                }
            }
        }
    }
    None
}

/// Rewrites every `::luau` path prefix of `ts` to `::<name>` (nothing to do for `luau`).
pub(crate) fn rewrite(ts: TokenStream) -> TokenStream {
    let path = path();
    if path == format!("::{DEFAULT}") {
        return ts;
    }
    rewrite_to(ts, &path)
}

fn rewrite_to(ts: TokenStream, name: &str) -> TokenStream {
    let tokens: Vec<TokenTree> = ts.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(TokenTree::Ident(id))) =
            (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2))
        {
            if a.as_char() == ':'
                && a.spacing() == Spacing::Joint
                && b.as_char() == ':'
                && id == DEFAULT
            {
                // `name` is a path: `::lua`, `crate::facade::runtime`, `lua`, ...
                for (k, seg) in name.split("::").enumerate() {
                    if k > 0 {
                        out.push(TokenTree::Punct(a.clone()));
                        out.push(TokenTree::Punct(b.clone()));
                    }
                    if !seg.is_empty() {
                        out.push(TokenTree::Ident(ident(seg, id.span())));
                    }
                }
                i += 3;
                continue;
            }
        }
        match &tokens[i] {
            TokenTree::Group(g) => {
                let mut ng = proc_macro2::Group::new(g.delimiter(), rewrite_to(g.stream(), name));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
            }
            t => out.push(t.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// `crate`, `self`, `super` and raw identifiers included.
fn ident(seg: &str, span: proc_macro2::Span) -> Ident {
    match seg.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, span),
        None => Ident::new(seg, span),
    }
}

#[cfg(test)]
mod tests {
    use super::renamed;

    #[test]
    fn finds_a_renamed_dependency() {
        let inline = "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\nlua = { package = \"luau-embed\", path = \"../luau\" }\n";
        assert_eq!(renamed(inline).as_deref(), Some("lua"));
        let table = "[dev-dependencies.my-lua]\npath = \"../luau\"\npackage = \"luau-embed\"\n";
        assert_eq!(renamed(table).as_deref(), Some("my_lua"));
        let target = "[target.'cfg(unix)'.dependencies]\nl = { version = \"0.1\", package = \"luau-embed\" }\n";
        assert_eq!(renamed(target).as_deref(), Some("l"));
        assert_eq!(renamed("[dependencies]\nluau-embed = \"0.1\"\n"), None);
        assert_eq!(renamed("[package]\nname = \"luau-embed\"\n"), None);
    }
}
