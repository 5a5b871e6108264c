//! The README's Rust quick start outside this repository: Rust functions called from Luau,
//! one registered as a closure, one through `#[luau::function]` (luau-embed-macros).
//! tools/package/rust_outside.sh builds it against the packaged crates and runs it.
use luau::State;

#[luau::function]
fn shout(s: &str) -> String {
    s.to_uppercase() + "!"
}

fn main() -> Result<(), luau::Error> {
    let state = State::new()?;
    state.register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))?;
    state.register_function::<shout>()?;
    let out = state.do_string(r#"return "add(40, 2) = " .. add(40, 2) .. ", " .. shout("hi")"#)?;
    println!("{}", out[0]); // add(40, 2) = 42, HI!
    Ok(())
}
