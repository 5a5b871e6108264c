//! The native wrapper around one Rust function: converts the call's arguments, calls the
//! original function, converts its result. Shared by `#[luau::function]` and
//! `#[luau::methods]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, Pat, ReturnType, Signature, Type};

use crate::attrs::Errors;

/// How the function takes `self`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receiver {
    None,
    Ref,
    Mut,
}

/// How one parameter is taken from the call.
enum Param {
    /// Converted with `FromArg` (`FromLuau` types and `Variadic<T>`).
    Owned,
    /// `&str`, borrowed from Luau for the call.
    Str,
    /// `&[u8]`, borrowed from Luau for the call.
    Bytes,
    /// `&T` / `&mut T`: a userdata argument of type `T`, borrowed.
    Userdata { ty: Box<Type>, mutable: bool },
}

/// A wrapped function.
pub(crate) struct Wrapped {
    pub receiver: Receiver,
    /// The statements of the wrapper: `__ctx: &mut ::luau::CallContext<'_>` is in scope;
    /// evaluates to `::luau::Result<()>`.
    pub body: TokenStream,
    /// `::luau::FunctionInfo { ... }` given the Luau name.
    pub params: Vec<(String, String)>,
    pub returns: String,
}

impl Wrapped {
    pub fn info(&self, luau_name: &str, rust_name: &str) -> TokenStream {
        let params = self
            .params
            .iter()
            .map(|(name, ty)| quote!(::luau::ParamInfo { name: #name, ty: #ty }));
        let returns = &self.returns;
        quote! {
            ::luau::FunctionInfo {
                name: #luau_name,
                rust_name: #rust_name,
                params: &[#(#params),*],
                returns: #returns,
            }
        }
    }
}

/// Renders a type as text for the metadata (`Vec<f64>`, `&str`, `Option<String>`).
pub(crate) fn type_text(ty: &impl ToTokens) -> String {
    let mut s = ty.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
        ("' ", "'"),
        ("[ ", "["),
        (" ]", "]"),
        ("( ", "("),
        (" )", ")"),
        (" ;", ";"),
    ] {
        s = s.replace(from, to);
    }
    s
}

fn is_ident(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) => p.qself.is_none() && p.path.is_ident(name),
        Type::Group(g) => is_ident(&g.elem, name),
        Type::Paren(p) => is_ident(&p.elem, name),
        _ => false,
    }
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip(&g.elem),
        Type::Paren(p) => strip(&p.elem),
        t => t,
    }
}

fn classify(ty: &Type) -> syn::Result<Param> {
    match strip(ty) {
        Type::Reference(r) => {
            let elem = strip(&r.elem);
            let mutable = r.mutability.is_some();
            if is_ident(elem, "str") || matches!(elem, Type::Slice(s) if is_ident(&s.elem, "u8")) {
                if mutable {
                    return Err(syn::Error::new(
                        ty.span(),
                        "a Luau string cannot be borrowed mutably: take `&str`, `&[u8]` or `String`",
                    ));
                }
                return Ok(if is_ident(elem, "str") {
                    Param::Str
                } else {
                    Param::Bytes
                });
            }
            match elem {
                Type::Path(p) if p.qself.is_none() => Ok(Param::Userdata {
                    ty: Box::new(elem.clone()),
                    mutable,
                }),
                _ => Err(syn::Error::new(
                    ty.span(),
                    format!(
                        "unsupported parameter type `{}`: take an owned value (`String`, `Vec<T>`, \
                         `Option<T>`, ...), `&str`, `&[u8]`, or a reference to a userdata type",
                        type_text(ty)
                    ),
                )),
            }
        }
        Type::ImplTrait(_) => Err(syn::Error::new(
            ty.span(),
            "`impl Trait` parameters are not supported: Luau calls one concrete signature",
        )),
        Type::Infer(_) | Type::Never(_) | Type::BareFn(_) | Type::TraitObject(_) => {
            Err(syn::Error::new(
                ty.span(),
                format!("unsupported parameter type `{}`", type_text(ty)),
            ))
        }
        _ => Ok(Param::Owned),
    }
}

/// Checks what a wrapped signature may be, and builds the wrapper. `callee` is what to call
/// (`add`, `Self::len`); `in_impl` allows a `self` receiver.
pub(crate) fn wrap(sig: &Signature, callee: TokenStream, in_impl: bool) -> syn::Result<Wrapped> {
    let mut errors = Errors::default();
    let name = &sig.ident;
    if let Some(a) = &sig.asyncness {
        errors.add(a.span(), "an `async fn` cannot be called from Luau");
    }
    if let Some(u) = &sig.unsafety {
        errors.add(
            u.span(),
            "an `unsafe fn` cannot be called from Luau: wrap it in a safe function",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.add(
            abi.span(),
            "an `extern` function cannot be wrapped: use a Rust function",
        );
    }
    if let Some(v) = &sig.variadic {
        errors.add(
            v.span(),
            "C variadics are not supported: take `luau::Variadic<T>` as the last parameter",
        );
    }
    for p in &sig.generics.params {
        if !matches!(p, GenericParam::Lifetime(_)) {
            errors.add(
                p.span(),
                "a generic function cannot be wrapped: Luau calls one concrete signature \
                 (write a non-generic function that calls it)",
            );
        }
    }

    let mut receiver = Receiver::None;
    let mut stmts = Vec::new();
    let mut args = Vec::new();
    let mut params = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate() {
        match input {
            FnArg::Receiver(r) => {
                if !in_impl {
                    errors.add(
                        r.span(),
                        "`#[luau::function]` on a method needs `#[luau::methods]` on its impl block",
                    );
                    continue;
                }
                if r.reference.is_none() || r.colon_token.is_some() {
                    errors.add(
                        r.span(),
                        "a userdata method takes `&self` or `&mut self` (the value stays in Luau)",
                    );
                    continue;
                }
                let mutable = r.mutability.is_some();
                receiver = if mutable {
                    Receiver::Mut
                } else {
                    Receiver::Ref
                };
                let (borrow, arg) = if mutable {
                    (
                        quote!(let mut __this = ::luau::__private::borrow_mut),
                        quote!(&mut *__this),
                    )
                } else {
                    (
                        quote!(let __this = ::luau::__private::borrow),
                        quote!(&*__this),
                    )
                };
                stmts.push(quote! {
                    let __this_slot = ::luau::__private::take_userdata::<Self>(__ctx, &mut __next)?;
                    #borrow(__ctx, &__this_slot)?;
                });
                args.push(arg);
                let ty = if mutable { "&mut Self" } else { "&Self" };
                params.push(("self".to_owned(), ty.to_owned()));
            }
            FnArg::Typed(pt) => {
                let pname = match &*pt.pat {
                    Pat::Ident(id) => id.ident.to_string(),
                    other => type_text(other),
                };
                params.push((pname, type_text(&pt.ty)));
                let kind = match errors.ok(classify(&pt.ty)) {
                    Some(k) => k,
                    None => continue,
                };
                let var = format_ident!("__arg{}", i);
                let span = pt.ty.span();
                match kind {
                    Param::Owned => {
                        let ty = &pt.ty;
                        stmts.push(quote_spanned! {span=>
                            let #var = <#ty as ::luau::FromArg>::take(__ctx, &mut __next)?;
                        });
                        args.push(quote!(#var));
                    }
                    Param::Str => {
                        stmts.push(quote! {
                            let #var = ::luau::__private::take_str(__ctx, &mut __next)?;
                        });
                        args.push(quote!(#var));
                    }
                    Param::Bytes => {
                        stmts.push(quote! {
                            let #var = ::luau::__private::take_bytes(__ctx, &mut __next)?;
                        });
                        args.push(quote!(#var));
                    }
                    Param::Userdata { ty, mutable } => {
                        let slot = format_ident!("__slot{}", i);
                        let (borrow, arg) = if mutable {
                            (
                                quote!(let mut #var = ::luau::__private::borrow_mut),
                                quote!(&mut *#var),
                            )
                        } else {
                            (quote!(let #var = ::luau::__private::borrow), quote!(&*#var))
                        };
                        stmts.push(quote_spanned! {span=>
                            let #slot = ::luau::__private::take_userdata::<#ty>(__ctx, &mut __next)?;
                        });
                        stmts.push(quote! {
                            #borrow(__ctx, &#slot)?;
                        });
                        args.push(arg);
                    }
                }
            }
        }
    }
    errors.finish()?;

    let returns = match &sig.output {
        ReturnType::Default => "()".to_owned(),
        ReturnType::Type(_, ty) => type_text(ty),
    };
    let ret_span = match &sig.output {
        ReturnType::Default => name.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let into_return = quote_spanned! {ret_span=>
        ::luau::IntoReturn::into_return(__ret, __ctx)
    };
    let next = if sig.inputs.is_empty() {
        quote!()
    } else {
        quote!(#[allow(unused_mut)] let mut __next: usize = 0;)
    };
    let body = quote! {
        #next
        #(#stmts)*
        #[allow(clippy::unit_arg, clippy::let_unit_value)]
        let __ret = #callee(#(#args),*);
        #into_return
    };
    Ok(Wrapped {
        receiver,
        body,
        params,
        returns,
    })
}

/// `syn::Error` at the call site.
pub(crate) fn call_site(msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(Span::call_site(), msg)
}
