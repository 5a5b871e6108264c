//! Async host function requirements (issue 11 item 5), each stated before its check: a
//! pending future suspends the Luau thread and the driving future; a wake resumes it; results,
//! errors (with identity) and panics cross as for synchronous host functions; dropping the
//! driver cancels cleanly; any executor (here a minimal one, and a real cross-thread wake).

use std::cell::Cell;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use luau::{ErrorKind, State, Value};

/// Counts wakes; `block_on` parks until one arrives.
struct Flag {
    wakes: AtomicUsize,
    thread: std::thread::Thread,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// A minimal executor: polls, and parks until woken. Returns the output and the poll count.
fn block_on<F: Future>(f: F) -> (F::Output, usize) {
    let flag = Arc::new(Flag {
        wakes: AtomicUsize::new(0),
        thread: std::thread::current(),
    });
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return (v, polls);
        }
        while flag.wakes.swap(0, Ordering::SeqCst) == 0 {
            std::thread::park();
        }
    }
}

/// Pending `n` times (waking itself each time), then ready.
struct YieldTimes(usize);

impl Future for YieldTimes {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A value another thread delivers after `ms`, waking the task from that thread.
struct FromThread {
    shared: Arc<Mutex<(Option<f64>, Option<Waker>)>>,
}

fn from_thread(v: f64, ms: u64) -> FromThread {
    let shared: Arc<Mutex<(Option<f64>, Option<Waker>)>> = Arc::new(Mutex::new((None, None)));
    let s2 = Arc::clone(&shared);
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let mut g = s2.lock().unwrap();
        g.0 = Some(v);
        if let Some(w) = g.1.take() {
            w.wake();
        }
    });
    FromThread { shared }
}

impl Future for FromThread {
    type Output = f64;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<f64> {
        let mut g = self.shared.lock().unwrap();
        match g.0 {
            Some(v) => Poll::Ready(v),
            None => {
                g.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[derive(Debug)]
struct Refused(u32);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused {}", self.0)
    }
}

impl StdError for Refused {}

fn state() -> State {
    let state = State::new().unwrap();
    state
        .register_async("pause", |(n, v): (f64, f64)| async move {
            YieldTimes(n as usize).await;
            Ok(vec![Value::Number(v)])
        })
        .unwrap();
    state
        .register_async("remote", |(v, ms): (f64, f64)| async move {
            Ok(vec![Value::Number(from_thread(v, ms as u64).await)])
        })
        .unwrap();
    state
        .register_async("refuse", |(code,): (f64,)| async move {
            YieldTimes(1).await;
            Err(luau::Error::external(Refused(code as u32)))
        })
        .unwrap();
    state
}

#[test]
fn a_pending_future_suspends_the_script_and_its_value_becomes_the_result() {
    let state = state();
    let (out, polls) = block_on(
        state.do_string_async("local a = pause(3, 1) local b = pause(0, 2) return a + b, 'done'"),
    );
    assert_eq!(out.unwrap(), [Value::Number(3.0), Value::from("done")]);
    assert_eq!(polls, 4, "one poll per pending step plus the final one");
}

#[test]
fn a_wake_from_another_thread_resumes_the_script() {
    let state = state();
    state
        .do_string("function sum(n) local s = 0 for i = 1, n do s += remote(i, 5) end return s end")
        .unwrap();
    let f = state.get_function("sum").unwrap();
    let (out, polls) = block_on(f.call_async(&[Value::Number(3.0)]));
    assert_eq!(out.unwrap(), [Value::Number(6.0)]);
    assert_eq!(polls, 4);
}

#[test]
fn an_async_error_keeps_its_identity_and_pcall_catches_it() {
    let state = state();
    let (out, _) = block_on(state.do_string_async("refuse(7)"));
    let err = out.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Host);
    assert_eq!(
        err.source()
            .and_then(|s| s.downcast_ref::<Refused>())
            .map(|r| r.0),
        Some(7)
    );
    let (out, _) = block_on(state.do_string_async("local ok, e = pcall(refuse, 8) return ok, e"));
    assert_eq!(
        out.unwrap(),
        [Value::Boolean(false), Value::from("refused 8")]
    );
}

#[test]
fn calling_an_async_function_outside_an_async_call_is_a_clean_error() {
    let state = state();
    let err = state.do_string("return pause(0, 1)").unwrap_err();
    assert!(err.message().contains("outside an async call"), "{err}");
    assert_eq!(
        state.do_string("return 'usable'").unwrap(),
        [Value::from("usable")]
    );
}

#[test]
fn a_ready_future_completes_in_one_poll() {
    let state = state();
    let (out, polls) = block_on(state.do_string_async("return pause(0, 5)"));
    assert_eq!(out.unwrap(), [Value::Number(5.0)]);
    assert_eq!(polls, 1);
}

#[test]
fn dropping_the_driver_cancels_the_pending_host_future() {
    struct Guard(Rc<Cell<bool>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let state = State::new().unwrap();
    let dropped = Rc::new(Cell::new(false));
    let d = Rc::clone(&dropped);
    state
        .register_async("forever", move |()| {
            let guard = Guard(Rc::clone(&d));
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
                Ok(vec![])
            }
        })
        .unwrap();
    {
        let mut call = Box::pin(state.do_string_async("forever() return 1"));
        let waker = Waker::from(Arc::new(Flag {
            wakes: AtomicUsize::new(0),
            thread: std::thread::current(),
        }));
        assert!(call
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        assert!(!dropped.get());
    }
    assert!(dropped.get(), "dropping the driver dropped the host future");
    assert_eq!(
        state.do_string("return 'usable'").unwrap(),
        [Value::from("usable")]
    );
}

#[test]
fn two_async_calls_on_one_state_interleave() {
    let state = state();
    state
        .do_string("function job(k, n) return pause(n, k) * 10 end")
        .unwrap();
    let job = state.get_function("job").unwrap();
    let a = job.call_async(&[Value::Number(1.0), Value::Number(3.0)]);
    let b = job.call_async(&[Value::Number(2.0), Value::Number(1.0)]);
    let ((ra, rb), _) = block_on(async move {
        let (mut a, mut b) = (Box::pin(a), Box::pin(b));
        let (mut ra, mut rb) = (None, None);
        std::future::poll_fn(|cx| {
            if ra.is_none() {
                if let Poll::Ready(v) = a.as_mut().poll(cx) {
                    ra = Some(v);
                }
            }
            if rb.is_none() {
                if let Poll::Ready(v) = b.as_mut().poll(cx) {
                    rb = Some(v);
                }
            }
            if ra.is_some() && rb.is_some() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        (ra.unwrap(), rb.unwrap())
    });
    assert_eq!(ra.unwrap(), [Value::Number(10.0)]);
    assert_eq!(rb.unwrap(), [Value::Number(20.0)]);
}

#[test]
fn a_host_panic_in_an_async_function_is_resumed_by_the_driver() {
    let state = State::new().unwrap();
    state
        .register_async("boom", |()| async move {
            YieldTimes(1).await;
            panic!("async boom")
        })
        .unwrap();
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block_on(state.do_string_async("pcall(boom) return 'swallowed'"))
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"async boom"));
    assert_eq!(
        state.do_string("return 'usable'").unwrap(),
        [Value::from("usable")]
    );
}
