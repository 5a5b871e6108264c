use luau_embed_macros as luau;

struct Vec3 {
    x: f64,
}

#[luau::methods]
impl Vec3 {
    #[luau(constructor)]
    fn from_other(&self) -> Vec3 {
        Vec3 { x: self.x }
    }

    fn into_x(self) -> f64 {
        self.x
    }

    fn map<F: Fn(f64) -> f64>(&self, f: F) -> f64 {
        f(self.x)
    }

    #[luau(constructor, meta = "__call")]
    fn call() -> Vec3 {
        Vec3 { x: 0.0 }
    }
}

fn main() {}
