use luau_embed_macros as luau;

#[luau::function]
fn total(xs: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    xs.iter().map(|x| f(*x)).sum()
}

fn main() {}
