//! Builds Luau (Common, Ast, Bytecode, Compiler, VM, Config, Require; CodeGen with the
//! `codegen` feature) and the shared C++ wrapper
//! (`csrc/src/*.cpp`) into two static libraries, mirroring `luau/CMakeLists.txt`:
//! the same file set, C++17, the one config header `csrc/luau_config.h` forced into every
//! translation unit, `-fno-math-errno`, no warnings for Luau's own files.
//!
//! `csrc` is the wrapper's one copy in git, `luau/c`, through a symlink (`csrc ->
//! ../../luau/c`); `cargo package` stores the files themselves, so the published crate
//! carries the wrapper and needs nothing outside its own package but luau0-src.
//!
//! The C++ is always built at `-O2` (an unoptimised VM makes debug test runs crawl). Debug
//! profiles add `LUAU_ENABLE_ASSERT` (Luau's API misuse checks); every other profile defines
//! `NDEBUG` (Luau's asserts cost about a quarter of VM speed).
//!
//! Luau's sources come from the `luau0-src` crate pinned in Cargo.lock (a build-dependency
//! only so that cargo downloads and checksums it); `LUAU_SRC_DIR` overrides the location.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// The exact luau0-src version whose sources we compile (keep in step with Cargo.toml).
const LUAU0_SRC_VERSION: &str = "0.23.0+luau745";

const LUAU_LIB: &str = "luau_embed_vm";
const WRAPPER_LIB: &str = "luau_embed_wrapper";

/// Luau's components, in dependency order.
const COMPONENTS: [&str; 7] = [
    "Common", "Ast", "Bytecode", "Compiler", "VM", "Config", "Require",
];

/// With the `codegen` feature: Luau's native code generator (x64/arm64 backends chosen by its
/// own sources), and the wrapper built with `LUAW_CODEGEN=1` (codegen.cpp).
fn codegen() -> bool {
    env::var_os("CARGO_FEATURE_CODEGEN").is_some()
}

/// The components built: COMPONENTS, plus CodeGen with the `codegen` feature.
fn components() -> Vec<&'static str> {
    let mut all = COMPONENTS.to_vec();
    if codegen() {
        all.push("CodeGen");
    }
    all
}

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    // Canonical: in a checkout the symlink's target, so rerun-if-changed watches the files.
    let wrapper_dir = manifest_dir
        .join("csrc")
        .canonicalize()
        .unwrap_or_else(|e| panic!("the wrapper sources (csrc) of luau-embed: {e}"));
    let config_header = wrapper_dir.join("luau_config.h");
    assert!(
        config_header.is_file(),
        "missing {}: csrc must hold the wrapper (in a checkout a symlink to luau/c)",
        config_header.display()
    );

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", wrapper_dir.display());
    println!("cargo:rerun-if-env-changed=LUAU_SRC_DIR");
    println!("cargo:rerun-if-env-changed=CARGO_HOME");

    let luau = luau_source_dir(&manifest_dir);
    let debug_profile = env::var("PROFILE").map(|p| p == "debug").unwrap_or(false);

    // Luau first (cached across wrapper edits), then the wrapper; both without cc's own link
    // directives so that the order below is the link order: the wrapper, then Luau.
    build_luau_once(&luau, &wrapper_dir, &config_header, debug_profile);
    let wrapper_sources = cpp_files(&wrapper_dir.join("src"));
    assert!(
        !wrapper_sources.is_empty(),
        "no wrapper sources in {}",
        wrapper_dir.join("src").display()
    );
    base_build(&luau, &wrapper_dir, &config_header, debug_profile)
        .warnings(true)
        .extra_warnings(true)
        .files(&wrapper_sources)
        .compile(WRAPPER_LIB);

    let out_dir = env::var("OUT_DIR").expect("OUT_DIR");
    println!("cargo:rustc-link-search=native={out_dir}");
    println!("cargo:rustc-link-lib=static={WRAPPER_LIB}");
    println!("cargo:rustc-link-lib=static={LUAU_LIB}");
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let stdlib = match target_os.as_str() {
        "macos" | "ios" | "freebsd" | "openbsd" => "c++",
        _ => "stdc++",
    };
    println!("cargo:rustc-link-lib={stdlib}");
}

/// Compiles Luau's own sources into `libluau_embed_vm.a`, unless OUT_DIR already holds that
/// archive built from the same sources with the same flags: wrapper edits then rebuild only
/// the wrapper (a cold Luau build takes minutes on two cores).
fn build_luau_once(luau: &Path, wrapper_dir: &Path, config_header: &Path, debug: bool) {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let archive = out_dir.join(format!("lib{LUAU_LIB}.a"));
    let stamp_path = out_dir.join(format!("{LUAU_LIB}.stamp"));

    let mut build = base_build(luau, wrapper_dir, config_header, debug);
    build.warnings(false).flag("-w").debug(false);
    let mut files = Vec::new();
    for component in components() {
        files.extend(cpp_files(&luau.join(component).join("src")));
    }
    build.files(&files);

    // What the archive depends on: the compiler command line (flags, defines, includes), the
    // file list and the config header's contents.
    let compiler = build.get_compiler();
    let config = fs::read(config_header).expect("read luau_config.h");
    let stamp = format!(
        "{:?} {:?}\n{files:?}\n{}",
        compiler.path(),
        compiler.args(),
        String::from_utf8_lossy(&config)
    );
    if archive.is_file() && fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return;
    }
    let _ = fs::remove_file(&stamp_path);
    build.compile(LUAU_LIB);
    fs::write(&stamp_path, stamp).expect("write the Luau build stamp");
}

/// The flags every translation unit gets (Luau's and the wrapper's).
fn base_build(luau: &Path, wrapper_dir: &Path, config_header: &Path, debug: bool) -> cc::Build {
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .cpp_link_stdlib(None)
        .cargo_metadata(false)
        .opt_level(2)
        .flag("-include")
        .flag(config_header.to_str().expect("utf-8 path"))
        .flag("-fno-math-errno");
    for component in components() {
        build.include(luau.join(component).join("include"));
    }
    if codegen() {
        build.define("LUAW_CODEGEN", "1");
    }
    build.include(luau.join("VM/src")).include(wrapper_dir);
    if debug {
        build.define("LUAU_ENABLE_ASSERT", None);
    } else {
        build.define("NDEBUG", None);
    }
    build
}

/// All `*.cpp` files directly in `dir`, sorted (an absent directory has none).
fn cpp_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "cpp"))
        .collect();
    files.sort();
    files
}

/// `LUAU_SRC_DIR`, else `<this package>/../luau0-src-<version>/luau` (a registry or vendored
/// build), else `$CARGO_HOME/registry/src/*/luau0-src-<version>/luau` (a checkout).
fn luau_source_dir(manifest_dir: &Path) -> PathBuf {
    if let Some(dir) = env::var_os("LUAU_SRC_DIR") {
        let dir = PathBuf::from(dir);
        check_luau_dir(&dir, "LUAU_SRC_DIR");
        return dir;
    }
    let wanted = format!("luau0-src-{LUAU0_SRC_VERSION}");
    // Built from a registry or a vendored directory (`cargo vendor`, a directory source),
    // this package is unpacked next to the luau0-src that Cargo resolved for it.
    let sibling = manifest_dir.join("..").join(&wanted).join("luau");
    if sibling.join("VM/include/lua.h").is_file() {
        println!("cargo:rerun-if-changed={}", sibling.display());
        return sibling;
    }
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("neither CARGO_HOME nor HOME is set");
    let registry = cargo_home.join("registry/src");
    let mut found: Vec<PathBuf> = fs::read_dir(&registry)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(&wanted).join("luau"))
        .filter(|p| p.join("VM/include/lua.h").is_file())
        .collect();
    found.sort();
    let dir = found.into_iter().next().unwrap_or_else(|| {
        panic!(
            "Luau sources not found under {}/*/{wanted}/luau; run `cargo fetch` or set LUAU_SRC_DIR",
            registry.display()
        )
    });
    println!("cargo:rerun-if-changed={}", dir.display());
    dir
}

fn check_luau_dir(dir: &Path, origin: &str) {
    assert!(
        dir.join("VM/include/lua.h").is_file(),
        "{origin}={} is not Luau's source directory (no VM/include/lua.h)",
        dir.display()
    );
}
