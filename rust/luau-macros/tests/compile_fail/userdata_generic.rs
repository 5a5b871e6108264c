use luau_embed_macros as luau;

#[derive(luau::UserData)]
struct Wrapper<T> {
    inner: T,
}

#[derive(luau::UserData)]
struct Pair(f64, #[luau(skip)] f64);

fn main() {}
