use luau_embed_macros as luau;

#[derive(luau::UserData)]
#[luau(nmae = "Vector")]
struct Vec3 {
    x: f64,
}

fn main() {}
