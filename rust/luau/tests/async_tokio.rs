//! Async host functions on tokio (issue 11 item 5), each requirement stated before its
//! check: `State` is `!Send`, so its futures run on a current-thread runtime, directly
//! (`block_on`) or as local tasks of a `LocalSet`; a host function awaiting a tokio timer
//! suspends its script, and many scripts interleave on one thread; dropping a call cancels it.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use luau::{State, Value};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

/// A state whose `sleep(ms, v)` awaits a tokio timer and returns v.
fn state() -> State {
    let state = State::new().unwrap();
    state
        .register_async("sleep", |(ms, v): (f64, f64)| async move {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            Ok(vec![Value::Number(v)])
        })
        .unwrap();
    state
}

#[test]
fn a_script_awaits_a_tokio_timer_on_a_current_thread_runtime() {
    // Requirement: do_string_async driven by tokio's block_on completes once the timer
    // fires, with the async function's value as its result.
    let state = state();
    let t0 = Instant::now();
    let out = runtime()
        .block_on(state.do_string_async("return sleep(20, 1) + sleep(10, 2)"))
        .unwrap();
    assert_eq!(out, vec![Value::Number(3.0)]);
    assert!(
        t0.elapsed() >= Duration::from_millis(30),
        "{:?}",
        t0.elapsed()
    );
}

#[test]
fn scripts_interleave_as_local_tasks_of_a_local_set() {
    // Requirement: 100 calls spawned as local tasks of one LocalSet wait concurrently on one
    // thread: all 100 are asleep in their host function at once, and each gets its own result.
    let state = Rc::new(State::new().unwrap());
    let asleep = Rc::new(Cell::new(0usize));
    let most = Rc::new(Cell::new(0usize));
    {
        let (asleep, most) = (Rc::clone(&asleep), Rc::clone(&most));
        state
            .register_async("nap", move |(v,): (f64,)| {
                let (asleep, most) = (Rc::clone(&asleep), Rc::clone(&most));
                async move {
                    asleep.set(asleep.get() + 1);
                    most.set(most.get().max(asleep.get()));
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    asleep.set(asleep.get() - 1);
                    Ok(vec![Value::Number(v)])
                }
            })
            .unwrap();
    }
    state
        .do_string("function job(i) return nap(i) * 2 end")
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let sum = local.block_on(&runtime(), async {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let state = Rc::clone(&state);
                tokio::task::spawn_local(async move {
                    let job = state.get_function("job").unwrap();
                    let out = job.call_async(&[Value::Number(i as f64)]).await.unwrap();
                    match out[..] {
                        [Value::Number(n)] => n,
                        ref other => panic!("job({i}) gave {other:?}"),
                    }
                })
            })
            .collect();
        let mut sum = 0.0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..100).map(|i| 2.0 * i as f64).sum::<f64>());
    assert_eq!(most.get(), 100, "the calls did not wait concurrently");
    assert_eq!(asleep.get(), 0);
}

#[test]
fn a_timed_out_call_is_cancelled_and_the_state_stays_usable() {
    // Requirement: tokio::time::timeout dropping a pending call cancels it (its host future
    // is dropped); the state runs the next call normally.
    let state = state();
    let rt = runtime();
    let slow = rt.block_on(async {
        tokio::time::timeout(
            Duration::from_millis(20),
            state.do_string_async("return sleep(10000, 1)"),
        )
        .await
    });
    assert!(
        slow.is_err(),
        "the 10 s sleep finished within 20 ms: {slow:?}"
    );
    let out = rt
        .block_on(state.do_string_async("return sleep(1, 7)"))
        .unwrap();
    assert_eq!(out, vec![Value::Number(7.0)]);
}
