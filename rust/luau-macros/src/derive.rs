//! `#[derive(luau::UserData)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Member};

use crate::attrs::{self, Errors};
use crate::wrapper::type_text;

struct Field {
    member: Member,
    luau_name: String,
    ty: syn::Type,
    readonly: bool,
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    expand_derive(&input).unwrap_or_else(|e| e.to_compile_error())
}

fn expand_derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        errors.add(
            input.generics.span(),
            "a userdata type cannot be generic: Luau sees one type per name (derive on a \
             concrete wrapper type instead)",
        );
    }
    let type_opts = errors.ok(attrs::luau_opts(&input.attrs)
        .and_then(|o| attrs::check(o, &[], &["name", "list"], "a userdata type")));
    let name = type_opts
        .as_ref()
        .and_then(|o| o.value("name").map(|v| v.value()))
        .unwrap_or_else(|| ident.to_string());
    // `list = "path"`: list construction through `fn(&CallContext, usize) -> Result<Self>`.
    let list_fn = type_opts
        .as_ref()
        .and_then(|o| o.value("list"))
        .and_then(|v| {
            errors.ok(v.parse::<syn::Path>().map_err(|_| {
                syn::Error::new(
                    v.span(),
                    "`list` must name a function, e.g. `list = \"Vec3::from_list\"`",
                )
            }))
        });

    let mut fields = Vec::new();
    match &input.data {
        Data::Struct(s) => {
            let named = matches!(s.fields, Fields::Named(_));
            for (i, f) in s.fields.iter().enumerate() {
                let Some(opts) = errors.ok(attrs::luau_opts(&f.attrs).and_then(|o| {
                    attrs::check(o, &["skip", "readonly"], &["name"], "a userdata field")
                })) else {
                    continue;
                };
                if let Some(skip) = opts.flag("skip") {
                    if opts.flag("readonly").is_some() || opts.value("name").is_some() {
                        errors.add(skip.span(), "a skipped field takes no other luau option");
                    }
                    continue;
                }
                let luau_name = match (opts.value("name"), &f.ident) {
                    (Some(v), _) => v.value(),
                    (None, Some(id)) => id.to_string().trim_start_matches("r#").to_owned(),
                    (None, None) => {
                        errors.add(
                            f.span(),
                            "a tuple field needs `#[luau(name = \"...\")]` to be a Luau field, \
                             or `#[luau(skip)]`",
                        );
                        continue;
                    }
                };
                let member = match &f.ident {
                    Some(id) => Member::Named(id.clone()),
                    None => Member::Unnamed(i.into()),
                };
                debug_assert!(named || matches!(member, Member::Unnamed(_)));
                fields.push(Field {
                    member,
                    luau_name,
                    ty: f.ty.clone(),
                    readonly: opts.flag("readonly").is_some(),
                });
            }
        }
        Data::Enum(e) => {
            for v in &e.variants {
                for f in &v.fields {
                    if f.attrs.iter().any(attrs::is_luau) {
                        errors.add(
                            f.span(),
                            "the fields of an enum variant are not Luau fields: expose them \
                             through `#[luau::methods]`",
                        );
                    }
                }
                if v.attrs.iter().any(attrs::is_luau) {
                    errors.add(v.span(), "an enum variant takes no luau option");
                }
            }
        }
        Data::Union(u) => errors.add(
            u.union_token.span(),
            "a union cannot be a userdata type (derive on a struct or an enum)",
        ),
    }
    errors.finish()?;

    let getters = fields.iter().map(|f| {
        let (member, lname, ty) = (&f.member, &f.luau_name, &f.ty);
        quote_spanned! {ty.span()=>
            __reg.add_field_get(#lname, |__this: &Self| -> #ty {
                ::core::clone::Clone::clone(&__this.#member)
            });
        }
    });
    let setters = fields.iter().filter(|f| !f.readonly).map(|f| {
        let (member, lname, ty) = (&f.member, &f.luau_name, &f.ty);
        quote_spanned! {ty.span()=>
            __reg.add_field_set(#lname, |__this: &mut Self, __value: #ty| __this.#member = __value);
        }
    });
    let infos = fields.iter().map(|f| {
        let lname = &f.luau_name;
        let ty = type_text(&f.ty);
        let readonly = f.readonly;
        quote!(::luau::FieldInfo { name: #lname, ty: #ty, readonly: #readonly })
    });

    let from_list = list_fn.map(|path| {
        quote! {
            fn from_list(
                __ctx: &::luau::CallContext<'_>,
                __i: usize,
            ) -> ::core::option::Option<::luau::Result<Self>> {
                ::core::option::Option::Some(#path(__ctx, __i))
            }
        }
    });

    Ok(quote! {
        impl ::luau::UserData for #ident {
            const NAME: &'static str = #name;
            #from_list

            fn register(__reg: &mut ::luau::UserDataRegistry<Self>) {
                #(#getters)*
                #(#setters)*
                // The methods of the type's `#[luau::methods]` block, if it has one.
                #[allow(unused_imports)]
                use ::luau::__private::{NoMethods as _, ViaMethods as _};
                (&::luau::__private::Probe::<Self>::new()).luau_add_methods(__reg);
            }
        }

        impl ::luau::UserDataType for #ident {
            const FIELDS: &'static [::luau::FieldInfo] = &[#(#infos),*];

            fn methods() -> &'static [::luau::MethodInfo] {
                #[allow(unused_imports)]
                use ::luau::__private::{NoMethods as _, ViaMethods as _};
                (&::luau::__private::Probe::<Self>::new()).luau_methods()
            }
        }
    })
}
