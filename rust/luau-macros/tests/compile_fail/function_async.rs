use luau_embed_macros as luau;

#[luau::function]
async fn fetch(url: String) -> String {
    url
}

fn main() {}
