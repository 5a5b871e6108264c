//! Modules: `require` by string through Luau's own `Luau.Require`, resolved by the host.
//!
//! A state has no `require` until the host gives it one: [`State::set_resolver`] with a
//! [`Resolver`] ([`DirResolver`] for a directory, [`MapResolver`] for an in-memory tree), or
//! [`State::register_module`] for a host table. The wrapper does the navigation (`./`,
//! `../`, `@self`, `.luaurc` aliases), the module cache and cycle detection; the resolver only
//! answers "which source is the module at this path" and "what is this directory's
//! `.luaurc`", once per module load or directory searched.
//!
//! ```
//! use luau::{MapResolver, State, Value};
//!
//! let state = State::new()?;
//! state.set_resolver(MapResolver::from([
//!     ("main.luau", "return require('./lib/util').double(21)"),
//!     ("lib/util.luau", "return { double = function(x) return x * 2 end }"),
//! ]))?;
//! assert_eq!(state.do_string("return require('./main')")?, [Value::Number(42.0)]);
//! let err = state.do_string("return require('./missing')").unwrap_err();
//! assert!(err.message().contains(r#"error requiring module "./missing": no module at "missing""#));
//! # Ok::<(), luau::Error>(())
//! ```

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::rc::Rc;

use crate::ffi;
use crate::function::{CallContext, HostFn};
use crate::registry;
use crate::state::push_owned;
use crate::{Error, ErrorKind, Result, State, Value};

/// A module a [`Resolver`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// The module's Luau source (text: modules are always compiled, never loaded as bytecode).
    pub source: String,
    /// Its file name relative to the resolver's root (`lib/util.luau`): its chunk name, so
    /// messages and tracebacks name it (`lib/util.luau:3: ...`), and its cache key.
    pub file: String,
}

/// Finds the modules a script requires. Paths are slash-separated, relative to the
/// resolver's root, without extension (`lib/util`; `""` is the root).
///
/// An `Err` becomes the `require`'s Luau error (a script's `pcall` catches it) and, if it
/// escapes, reaches the caller as [`Error::Host`] whose `source()` is the original error; a
/// panic is resumed as a host function's.
pub trait Resolver {
    /// The module at `path`, or `None` when there is none.
    fn module(&self, path: &str) -> Result<Option<Module>>;
    /// The contents of directory `dir`'s `.luaurc` (JSON with `"aliases"`), or `None`.
    fn config(&self, dir: &str) -> Result<Option<String>> {
        let _ = dir;
        Ok(None)
    }
}

/// The files that can hold the module at `path`, in order.
fn candidates(path: &str) -> Vec<String> {
    if path.is_empty() {
        vec!["init.luau".into(), "init.lua".into()]
    } else {
        ["{}.luau", "{}.lua", "{}/init.luau", "{}/init.lua"]
            .iter()
            .map(|pattern| pattern.replace("{}", path))
            .collect()
    }
}

/// Picks the one candidate `read` finds; two at once is an error (ambiguous).
fn find_module(
    path: &str,
    mut read: impl FnMut(&str) -> Result<Option<String>>,
) -> Result<Option<Module>> {
    let mut found: Option<Module> = None;
    for file in candidates(path) {
        if let Some(source) = read(&file)? {
            if let Some(first) = &found {
                return Err(Error::external(format!(
                    "module {path} is ambiguous: {} and {file}",
                    first.file
                )));
            }
            found = Some(Module { source, file });
        }
    }
    Ok(found)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Resolves modules from a directory: the module `lib/util` is `lib/util.luau`,
/// `lib/util.lua`, `lib/util/init.luau` or `lib/util/init.lua` (two at once is an error:
/// ambiguous); a directory's aliases are in its `.luaurc`. Nothing outside the root is
/// reachable: paths are built from the components Luau navigated, never from `..`.
#[derive(Debug, Clone)]
pub struct DirResolver {
    root: PathBuf,
}

impl DirResolver {
    /// A resolver rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirResolver { root: root.into() }
    }

    fn read(&self, rel: &str) -> Result<Option<String>> {
        if rel
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == ".." || c.contains('\\'))
        {
            return Ok(None);
        }
        let path: PathBuf = rel.split('/').fold(self.root.clone(), |p, c| p.join(c));
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(_) if path.is_dir() => Ok(None), // a directory, not a module file
            Err(e) => Err(Error::external(e)),
        }
    }
}

impl Resolver for DirResolver {
    fn module(&self, path: &str) -> Result<Option<Module>> {
        find_module(path, |file| self.read(file))
    }

    fn config(&self, dir: &str) -> Result<Option<String>> {
        self.read(&join(dir, ".luaurc"))
    }
}

/// Resolves modules from memory: file name (`lib/util.luau`, `lib/init.luau`, `.luaurc`) to
/// contents, with the file rules of [`DirResolver`].
#[derive(Debug, Clone, Default)]
pub struct MapResolver {
    files: HashMap<String, String>,
}

impl MapResolver {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) file `name` with `contents`.
    pub fn insert(&mut self, name: impl Into<String>, contents: impl Into<String>) -> &mut Self {
        self.files.insert(name.into(), contents.into());
        self
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for MapResolver {
    fn from(files: [(K, V); N]) -> Self {
        files.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for MapResolver {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        MapResolver {
            files: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl Resolver for MapResolver {
    fn module(&self, path: &str) -> Result<Option<Module>> {
        find_module(path, |file| Ok(self.files.get(file).cloned()))
    }

    fn config(&self, dir: &str) -> Result<Option<String>> {
        Ok(self.files.get(&join(dir, ".luaurc")).cloned())
    }
}

/// Answers the wrapper's resolver call `(kind, path)`.
fn resolve(ctx: &mut CallContext<'_>, resolver: &dyn Resolver) -> Result<()> {
    let kind = ctx.number(0)?;
    let path = ctx.str(1)?.to_owned();
    if kind == ffi::LUAW_RESOLVE_CONFIG {
        if let Some(contents) = resolver.config(&path)? {
            ctx.push_string(contents)?;
        }
        return Ok(());
    }
    if let Some(module) = resolver.module(&path)? {
        ctx.push_string(module.source)?;
        ctx.push_string(module.file)?;
    }
    Ok(())
}

impl State {
    /// Installs `require`, resolving modules with `resolver` (replacing an earlier one). A
    /// script run with [`State::do_string`] is a file at the resolver's root, so
    /// `require("./lib/util")` in it is `lib/util`. Modules run on the requiring thread; on a
    /// sandboxed state each has its own globals over the shared read-only ones. A second
    /// `require` of a module returns the first one's value (the cache); a module requiring
    /// itself through others is an error naming the cycle
    /// (`cyclic require: a.luau -> b.luau -> a.luau`). Not allowed inside a run
    /// ([`ErrorKind::Busy`]).
    pub fn set_resolver(&self, resolver: impl Resolver + 'static) -> Result<()> {
        let shared = &self.shared;
        let resolver: Rc<dyn Resolver> = Rc::new(resolver);
        let func: Rc<HostFn> = Rc::new(move |ctx: &mut CallContext<'_>| resolve(ctx, &*resolver));
        let id = registry::insert(&shared.functions, shared.key, func)
            .ok_or_else(|| Error::new(ErrorKind::Memory, "too many host functions".to_owned()))?;
        if let Err(err) = shared.run(|raw| raw.set_require(id)) {
            registry::remove_one(&shared.functions, shared.key, id);
            return Err(err);
        }
        if let Some(old) = shared.resolver_id.replace(Some(id)) {
            registry::remove_one(&shared.functions, shared.key, old);
        }
        Ok(())
    }

    /// Registers a table of `fields` as module `name`, which must begin with `@` (e.g.
    /// `@host/config`; matched case-insensitively): `require(name)` returns it, with or
    /// without a resolver (registered modules are found first). Installs `require` if the
    /// state has none yet.
    ///
    /// ```
    /// let state = luau::State::new()?;
    /// state.register_module("@host/config", [("answer", luau::Value::Number(42.0))])?;
    /// assert_eq!(state.do_string("return require('@host/config').answer")?, [luau::Value::Number(42.0)]);
    /// # Ok::<(), luau::Error>(())
    /// ```
    pub fn register_module<'k>(
        &self,
        name: &str,
        fields: impl IntoIterator<Item = (&'k str, Value)>,
    ) -> Result<()> {
        if !name.starts_with('@') || name.contains('\0') {
            return Err(Error::new(
                ErrorKind::Argument,
                format!("register_module({name:?}): the name must begin with '@'"),
            ));
        }
        let fields: Vec<(&str, Value)> = fields.into_iter().collect();
        self.shared.run(|raw| {
            raw.newtable(0, i32::try_from(fields.len()).unwrap_or(0))?;
            for (key, value) in &fields {
                push_owned(&self.shared, raw, std::slice::from_ref(value))?;
                raw.setfield(-2, key.as_bytes())?;
            }
            raw.register_module(name.as_bytes())
        })
    }
}
