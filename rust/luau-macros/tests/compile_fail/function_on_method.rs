use luau_embed_macros as luau;

struct Counter {
    n: i64,
}

impl Counter {
    #[luau::function]
    fn get(&self) -> i64 {
        self.n
    }
}

fn main() {}
