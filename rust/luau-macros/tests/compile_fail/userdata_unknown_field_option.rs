use luau_embed_macros as luau;

#[derive(luau::UserData)]
struct Vec3 {
    #[luau(writeonly)]
    x: f64,
    #[luau(readonly = "yes")]
    y: f64,
    #[luau(skip, readonly)]
    z: f64,
}

fn main() {}
