use luau_embed_macros as luau;

struct Vec3 {
    x: f64,
}

#[luau::methods(readonly)]
impl Clone for Vec3 {
    fn clone(&self) -> Self {
        Vec3 { x: self.x }
    }
}

fn main() {}
