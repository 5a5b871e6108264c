use luau_embed_macros as luau;

#[luau::function(nmae = "plus")]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
