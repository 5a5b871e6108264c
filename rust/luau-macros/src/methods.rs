//! `#[luau::methods]` on the inherent impl block of a userdata type.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, ItemImpl, ReturnType};

use crate::attrs::{self, Errors};
use crate::wrapper::{self, Receiver};

/// The metamethods a userdata type may define.
const METAMETHODS: &[&str] = &[
    "__add",
    "__sub",
    "__mul",
    "__div",
    "__idiv",
    "__mod",
    "__pow",
    "__unm",
    "__eq",
    "__lt",
    "__le",
    "__len",
    "__concat",
    "__call",
    "__index",
    "__newindex",
    "__tostring",
];

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut block: ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            let err = wrapper::call_site(
                "`#[luau::methods]` goes on the inherent `impl` block of a userdata type",
            )
            .to_compile_error();
            return quote!(#err #item);
        }
    };
    match expand_impl(attr, &mut block) {
        Ok(out) => out,
        Err(e) => {
            // The block itself (without luau attributes) stays, so that only these errors show.
            let err = e.to_compile_error();
            quote!(#block #err)
        }
    }
}

/// Is `attr` `#[luau::function]` / `#[luau::function(...)]` (or, under a renamed dependency,
/// `#[<name>::function]`)?
fn is_function_attr(attr: &Attribute) -> bool {
    let segs: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segs.len() == 2
        && segs[1] == "function"
        && (segs[0] == "luau"
            || segs[0] == crate::krate::name()
            || crate::krate::path().ends_with(&format!("::{}", segs[0])))
}

fn meta_kind_error(meta: &syn::LitStr) -> syn::Error {
    let name = meta.value();
    let msg = match name.as_str() {
        "__gc" => "`__gc` is not a userdata option: implement `Drop` (it runs exactly once, when \
                   Luau collects the value or the state closes)"
            .to_owned(),
        "__type" | "__metatable" | "__mode" | "__namecall" => format!(
            "`{name}` is reserved by luau-embed (the type's name is `#[luau(name = \"...\")]` \
             on the type)"
        ),
        _ => format!(
            "unsupported metamethod `{name}` (supported: {})",
            METAMETHODS.join(", ")
        ),
    };
    syn::Error::new(meta.span(), msg)
}

fn expand_impl(attr: TokenStream, block: &mut ItemImpl) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    if !attr.is_empty() {
        errors.add(
            attr.span(),
            "`#[luau::methods]` takes no arguments (options go on each function: `#[luau(...)]`)",
        );
    }
    if let Some((_, path, _)) = &block.trait_ {
        errors.add(
            path.span(),
            "`#[luau::methods]` goes on an inherent impl block (`impl Type { ... }`), not a trait impl",
        );
    }
    if !block.generics.params.is_empty() {
        errors.add(
            block.generics.span(),
            "a userdata type cannot be generic: Luau sees one type per name",
        );
    }

    let mut registrations = Vec::new();
    let mut infos = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(f) = item else {
            continue;
        };
        // Options: every `#[luau(...)]`, plus `#[luau::function(name = "...")]`.
        let mut opts = Vec::new();
        let mut kept = Vec::new();
        for a in f.attrs.drain(..) {
            if attrs::is_luau(&a) {
                match a.meta.require_list() {
                    Ok(list) => {
                        if let Some(o) = errors.ok(attrs::parse_opts(list.tokens.clone())) {
                            opts.extend(o);
                        }
                    }
                    Err(e) => errors.push(e),
                }
            } else if is_function_attr(&a) {
                let tokens = match &a.meta {
                    syn::Meta::Path(_) => TokenStream::new(),
                    syn::Meta::List(l) => l.tokens.clone(),
                    syn::Meta::NameValue(nv) => {
                        errors.add(nv.span(), "write `#[luau::function(name = \"...\")]`");
                        TokenStream::new()
                    }
                };
                if let Some(o) = errors.ok(attrs::parse_opts(tokens)) {
                    opts.extend(o);
                }
            } else {
                kept.push(a);
            }
        }
        f.attrs = kept;
        let Some(opts) = errors.ok(attrs::check(
            opts,
            &["skip", "constructor"],
            &["name", "meta"],
            "a userdata function",
        )) else {
            continue;
        };
        if let Some(skip) = opts.flag("skip") {
            if opts.flags.len() + opts.values.len() > 1 {
                errors.add(skip.span(), "a skipped function takes no other luau option");
            }
            continue;
        }
        let ident = &f.sig.ident;
        let rust_name = ident.to_string();
        let Some(wrapped) = errors.ok(wrapper::wrap(&f.sig, quote!(Self::#ident), true)) else {
            continue;
        };
        let constructor = opts.flag("constructor");
        let meta = opts.value("meta");
        if let (Some(c), Some(_)) = (constructor, meta) {
            errors.add(
                c.span(),
                "a function is either a constructor or a metamethod, not both",
            );
            continue;
        }
        if let (Some(m), Some(_)) = (meta, opts.value("name")) {
            errors.add(
                m.span(),
                "a metamethod is named by `meta`: drop `name = \"...\"`",
            );
            continue;
        }
        let (kind, luau_name) = if let Some(m) = meta {
            if !METAMETHODS.contains(&m.value().as_str()) {
                errors.push(meta_kind_error(m));
                continue;
            }
            let kind = match wrapped.receiver {
                Receiver::None => quote!(MetaFunction),
                Receiver::Ref => quote!(Meta),
                Receiver::Mut => quote!(MetaMut),
            };
            (kind, m.value())
        } else if let Some(c) = constructor {
            if wrapped.receiver != Receiver::None {
                errors.add(
                    c.span(),
                    "a constructor takes no `self`: it builds the value (`Type.new(...)`)",
                );
                continue;
            }
            let name = opts
                .value("name")
                .map_or_else(|| "new".to_owned(), |v| v.value());
            (quote!(Constructor), name)
        } else {
            let kind = match wrapped.receiver {
                Receiver::None => quote!(Function),
                Receiver::Ref => quote!(Method),
                Receiver::Mut => quote!(MethodMut),
            };
            let name = opts.value("name").map_or_else(
                || rust_name.trim_start_matches("r#").to_owned(),
                |v| v.value(),
            );
            (kind, name)
        };
        let check = if constructor.is_some() {
            let ret = match &f.sig.output {
                ReturnType::Default => quote!(()),
                ReturnType::Type(_, ty) => quote!(#ty),
            };
            let span = match &f.sig.output {
                ReturnType::Default => f.sig.ident.span(),
                ReturnType::Type(_, ty) => ty.span(),
            };
            quote::quote_spanned! {span=>
                ::luau::__private::assert_constructs::<Self, #ret>();
            }
        } else {
            quote!()
        };
        let body = &wrapped.body;
        let info = wrapped.info(&luau_name, &rust_name);
        registrations.push(quote! {
            #check
            __reg.__add_member(
                ::luau::MethodKind::#kind,
                #luau_name,
                |__ctx: &mut ::luau::CallContext<'_>| -> ::luau::Result<()> { #body },
            );
        });
        infos.push(quote! {
            ::luau::MethodInfo { kind: ::luau::MethodKind::#kind, function: #info }
        });
    }
    errors.finish()?;

    let self_ty = &block.self_ty;
    Ok(quote! {
        #block

        impl ::luau::UserDataMethods for #self_ty {
            const METHODS: &'static [::luau::MethodInfo] = &[#(#infos),*];

            fn add_methods(__reg: &mut ::luau::UserDataRegistry<Self>) {
                #(#registrations)*
            }
        }
    })
}
