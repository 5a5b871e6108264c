//! `cargo run -p luau-embed --example demo`: a short script, then a script calling Rust.
use luau::{Error, State, Value};

fn main() -> Result<(), Error> {
    let state = State::new()?;

    // 1. A short Luau script.
    let out = state.do_string(
        "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
         return fib(20), _VERSION",
    )?;
    println!("Luau: fib(20) = {}, running {}", out[0], out[1]);

    // 2. Luau calling Rust functions.
    state.register_func("add", |ctx| Ok(ctx.number(0)? + ctx.number(1)?))?;
    state.register_func("greet", |ctx| Ok(format!("hello, {}!", ctx.str(0)?)))?;
    let out = state.do_string(
        "local sum = 0
         for i = 1, 1000 do sum = add(sum, i) end
         return greet('Rust'), sum",
    )?;
    println!(
        "Luau -> Rust: {} / add() summed 1..1000 = {}",
        out[0], out[1]
    );

    // 3. A Rust error raised in Luau: caught by pcall, or escaping to Rust.
    let out = state.do_string("return pcall(add, 1, 'two')")?;
    println!("pcall(add, 1, 'two') -> {}, {}", out[0], out[1]);

    // 4. Rust calling a Luau function.
    state.do_string("function shout(s) return string.upper(s) .. '!' end")?;
    let out = state.call("shout", &[Value::from("done")])?;
    println!("Rust -> Luau: shout('done') = {}", out[0]);
    Ok(())
}
