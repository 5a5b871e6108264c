use luau_embed_macros as luau;

struct Vec3 {
    x: f64,
}

#[luau::methods]
impl Vec3 {
    #[luau(meta = "__plus")]
    fn add(&self, other: f64) -> f64 {
        self.x + other
    }

    #[luau(meta = "__gc")]
    fn collect(&mut self) {}

    #[luau(operator = "__sub")]
    fn sub(&self, other: f64) -> f64 {
        self.x - other
    }
}

fn main() {}
