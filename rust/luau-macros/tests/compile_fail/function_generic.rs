use luau_embed_macros as luau;

#[luau::function]
fn first<T: Clone>(xs: Vec<T>) -> T {
    xs[0].clone()
}

fn main() {}
