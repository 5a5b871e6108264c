//! `#[luau(...)]` options: a comma-separated list of `flag` and `key = "value"`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Token};

/// One option: `readonly` or `name = "x"`.
pub(crate) struct Opt {
    pub key: Ident,
    pub value: Option<LitStr>,
}

impl Parse for Opt {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse::<LitStr>()?)
        } else {
            None
        };
        Ok(Opt { key, value })
    }
}

/// Parses an option list (an attribute's arguments).
pub(crate) fn parse_opts(tokens: TokenStream) -> syn::Result<Vec<Opt>> {
    let list = Punctuated::<Opt, Token![,]>::parse_terminated.parse2(tokens)?;
    Ok(list.into_iter().collect())
}

/// Is `attr` `#[luau(...)]`?
pub(crate) fn is_luau(attr: &Attribute) -> bool {
    attr.path().is_ident("luau")
}

/// Parses every `#[luau(...)]` of `attrs` into one option list.
pub(crate) fn luau_opts(attrs: &[Attribute]) -> syn::Result<Vec<Opt>> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| is_luau(a)) {
        let list = attr.meta.require_list()?;
        out.extend(parse_opts(list.tokens.clone())?);
    }
    Ok(out)
}

/// Options checked against what one place accepts.
#[derive(Default)]
pub(crate) struct Checked {
    pub flags: Vec<Ident>,
    pub values: Vec<(Ident, LitStr)>,
}

impl Checked {
    pub fn flag(&self, key: &str) -> Option<&Ident> {
        self.flags.iter().find(|i| *i == key)
    }

    pub fn value(&self, key: &str) -> Option<&LitStr> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Accepts only the listed flags and `key = "value"` options, each at most once; anything
/// else is an error naming what `place` accepts.
pub(crate) fn check(
    opts: Vec<Opt>,
    flags: &[&str],
    values: &[&str],
    place: &str,
) -> syn::Result<Checked> {
    let mut out = Checked::default();
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let accepted = || {
        let mut all: Vec<String> = flags.iter().map(|f| format!("`{f}`")).collect();
        all.extend(values.iter().map(|v| format!("`{v} = \"...\"`")));
        if all.is_empty() {
            "no options".to_owned()
        } else {
            all.join(", ")
        }
    };
    for opt in opts {
        let key = opt.key.to_string();
        let seen = out.flags.iter().any(|f| *f == key) || out.values.iter().any(|(k, _)| *k == key);
        if seen {
            push(syn::Error::new(
                opt.key.span(),
                format!("duplicate luau option `{key}`"),
            ));
            continue;
        }
        match opt.value {
            None if flags.contains(&key.as_str()) => out.flags.push(opt.key),
            Some(v) if values.contains(&key.as_str()) => {
                if v.value().is_empty() && key != "meta" {
                    push(syn::Error::new(
                        v.span(),
                        format!("`{key}` must not be empty"),
                    ));
                }
                out.values.push((opt.key, v))
            }
            None if values.contains(&key.as_str()) => push(syn::Error::new(
                opt.key.span(),
                format!("luau option `{key}` needs a value: `{key} = \"...\"`"),
            )),
            Some(v) if flags.contains(&key.as_str()) => push(syn::Error::new(
                v.span(),
                format!("luau option `{key}` takes no value"),
            )),
            _ => push(syn::Error::new(
                opt.key.span(),
                format!(
                    "unknown luau option `{key}` on {place} (accepted: {})",
                    accepted()
                ),
            )),
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Collects errors, keeping going to report them all at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub fn add(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// Keeps the value, recording the error.
    pub fn ok<T>(&mut self, r: syn::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    pub fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
