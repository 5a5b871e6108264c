//! The crate's layering, checked on its sources: the C declarations (`sys`) are a leaf, and
//! the unsafe raw layer (`ffi`) is built on them alone; the safe API sits on top.

/// The code of a module's source without comments (line comments and doc comments).
fn code(src: &str) -> String {
    src.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a source names through `crate::` (e.g. `sys` for `crate::sys::*`).
fn crate_imports(src: &str) -> Vec<String> {
    let code = code(src);
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.push(name);
    }
    out
}

/// `super::` in anything but the `use super::*;` of a `mod tests`.
fn upward_super(src: &str) -> bool {
    code(src)
        .lines()
        .any(|l| l.contains("super::") && l.trim() != "use super::*;")
}

const SYS: &str = include_str!("sys.rs");
const FFI: &str = include_str!("ffi.rs");

#[test]
fn the_declarations_module_imports_nothing_from_the_crate() {
    assert_eq!(
        crate_imports(SYS),
        Vec::<String>::new(),
        "sys.rs must be a leaf"
    );
    assert!(!upward_super(SYS), "sys.rs must be a leaf (super::)");
    assert!(
        !code(SYS).contains("use crate"),
        "sys.rs must be a leaf (use crate)"
    );
}

#[test]
fn the_raw_layer_imports_only_the_declarations() {
    let imports = crate_imports(FFI);
    assert!(!imports.is_empty(), "ffi.rs builds on sys.rs");
    for name in &imports {
        assert_eq!(name, "sys", "ffi.rs imports crate::{name}: a higher layer");
    }
    assert!(!upward_super(FFI), "ffi.rs must not import through super::");
}

#[test]
fn the_c_functions_are_declared_in_the_declarations_module_only() {
    // An `extern "C" { ... }` block declares C functions; ffi.rs may define callbacks
    // (`extern "C" fn`) but not declare any.
    assert!(code(SYS).contains("extern \"C\" {"));
    assert!(
        !code(FFI).contains("extern \"C\" {"),
        "a C declaration in ffi.rs"
    );
}

#[test]
fn the_checks_see_an_upward_import() {
    // The checks themselves can fail: a leaf with an import is caught.
    assert_eq!(crate_imports("use crate::value::Value;"), vec!["value"]);
    assert!(upward_super("use super::state::Shared;"));
    assert!(!upward_super("    use super::*;"));
    assert_eq!(
        crate_imports("// crate::value in a comment"),
        Vec::<String>::new()
    );
}
