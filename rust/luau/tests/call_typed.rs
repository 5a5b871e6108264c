//! The typed host -> Luau call path (issue 12 item 5): `Function::call_typed`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use luau::{ErrorKind, State};

/// Counts this thread's allocations (the tests run the measured calls on their own thread).
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a thread-local Cell.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

#[test]
fn a_typed_call_with_scalars_allocates_nothing() {
    let state = State::new().unwrap();
    state
        .do_string("function inc(x) return x + 1 end function both(a, b) return a < b, a * b end")
        .unwrap();
    let inc = state.get_function("inc").unwrap();
    let both = state.get_function("both").unwrap();
    // Warm up (Luau's own first-call allocations).
    let _: f64 = inc.call_typed((1.0,)).unwrap();
    let _: (bool, f64) = both.call_typed((1, 2)).unwrap();
    let before = allocs();
    let mut sum = 0.0;
    for i in 0..1000 {
        sum += inc.call_typed::<_, f64>((f64::from(i),)).unwrap();
        let (lt, prod): (bool, f64) = both.call_typed((i, 2)).unwrap();
        assert!(lt == (i < 2) && prod == f64::from(2 * i));
    }
    let after = allocs();
    assert_eq!(sum, 1000.0 * 1001.0 / 2.0);
    assert_eq!(after - before, 0, "allocations in 2000 typed calls");
}

#[test]
fn typed_results_convert_or_give_a_conversion_error() {
    let state = State::new().unwrap();
    state
        .do_string("function f() return 'text', 1.5, nil end function g(s) return #s, s end")
        .unwrap();
    let f = state.get_function("f").unwrap();
    let (s, n, none): (String, f64, Option<f64>) = f.call_typed(()).unwrap();
    assert_eq!((s.as_str(), n, none), ("text", 1.5, None));
    let err = f.call_typed::<_, f64>(()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion);
    assert_eq!(err.message(), "result #1: number expected, got string");
    let err = f.call_typed::<_, (String, i64)>(()).unwrap_err();
    assert_eq!(
        err.message(),
        "result #2: number has no integer representation"
    );
    // A missing result is nil.
    let err = f.call_typed::<_, (String, f64, f64, f64)>(()).unwrap_err();
    assert_eq!(err.message(), "result #3: number expected, got nil");
    // Borrowed string arguments.
    let g = state.get_function("g").unwrap();
    let (len, back): (i64, String) = g.call_typed(("héllo",)).unwrap();
    assert_eq!((len, back.as_str()), (6, "héllo"));
    // Errors inside the call are the call's, and the state stays usable.
    state.do_string("function boom() error('no') end").unwrap();
    let boom = state.get_function("boom").unwrap();
    let err = boom.call_typed::<_, ()>(()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert_eq!(g.call_typed::<_, i64>(("ab",)).unwrap(), 2);
}

#[test]
fn a_typed_call_after_the_state_is_dropped_is_a_clean_error() {
    let f = {
        let state = State::new().unwrap();
        state.do_string("function f() return 1 end").unwrap();
        state.get_function("f").unwrap()
    };
    let err = f.call_typed::<_, f64>(()).unwrap_err();
    assert!(err.message().contains("closed"), "{err}");
}

/// Requirement (issue 11's resume_yield): a typed resume of a thread whose host function
/// yields allocates nothing per round trip once the thread exists, and sees the same values
/// as the general `resume`.
#[test]
fn a_typed_resume_round_trip_allocates_nothing() {
    use luau::{Resumed, ThreadResult, Value};
    let state = State::new().unwrap();
    state
        .register_func("tick", |ctx| ctx.yield_values(&[Value::Number(1.0)]))
        .unwrap();
    state
        .do_string("function loop(n) while n < 1000 do n = n + tick(n) end return n, 'done' end")
        .unwrap();
    let thread = state
        .create_thread(&state.get_function("loop").unwrap())
        .unwrap();
    assert_eq!(
        thread.resume(&[Value::Number(0.0)]).unwrap(),
        ThreadResult::Yielded(vec![Value::Number(1.0)])
    );
    assert_eq!(
        thread.resume_typed::<_, f64>((1.0,)).unwrap(),
        Resumed::Yielded(1.0)
    );
    let before = allocs();
    for _ in 0..100 {
        assert!(thread.resume_typed::<_, f64>((1.0,)).unwrap().is_yielded());
    }
    assert_eq!(allocs() - before, 0, "allocations in 100 typed round trips");
    // The end: returned values, converted; a value that does not convert is an error.
    let mut last = thread.resume_typed::<_, f64>((1.0,)).unwrap();
    while last.is_yielded() {
        last = thread.resume_typed::<_, f64>((1.0,)).unwrap();
    }
    assert_eq!(last, Resumed::Returned(1000.0));
    state
        .do_string("function pair(n) return n, 'done' end")
        .unwrap();
    let pair = state
        .create_thread(&state.get_function("pair").unwrap())
        .unwrap();
    assert_eq!(
        pair.resume_typed::<_, (f64, String)>((7.0,)).unwrap(),
        Resumed::Returned((7.0, "done".to_owned()))
    );
    let t2 = state
        .create_thread(&state.get_function("loop").unwrap())
        .unwrap();
    let err = t2.resume_typed::<_, String>((0.0,)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conversion, "{err}");
}
