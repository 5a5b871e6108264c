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
    let name = name();
    if name == DEFAULT {
        return ts;
    }
    rewrite_to(ts, &name)
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
                out.push(TokenTree::Punct(a.clone()));
                out.push(TokenTree::Punct(b.clone()));
                out.push(TokenTree::Ident(Ident::new(name, id.span())));
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
