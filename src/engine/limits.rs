//! The wall-clock budget of user code. One evaluation of the rules (and, separately, one rendering
//! of the report template) gets `--rule-timeout` of wall time: a watchdog thread raises a shared
//! [`Stop`] flag when the time is up, and the first customer whose rule fails raises it too, so
//! the customers still running stop at their next operation instead of running to their own
//! operation limit. The budget belongs to one run: the flag is reset when a watchdog starts.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

/// The default wall-clock budget of the rules (and of the report template).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long user code may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time for evaluating all rules of a run (derived metrics, tiers and checks together),
    /// and again for rendering the report template.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A duration as a person reads it: `10 s`, `0.5 s`, `120 s`.
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s", self.0.as_secs_f64())
    }
}

/// Why running user code was told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// Another customer's evaluation failed: the rest is not needed.
    Cancelled,
    /// The wall-clock budget is spent.
    TimedOut,
}

const RUNNING: u8 = 0;
const CANCELLED: u8 = 1;
const TIMED_OUT: u8 = 2;

/// A flag every piece of running user code checks (Rhai at each operation, templates at each
/// loop iteration, the native fast path at each customer).
#[derive(Debug, Default)]
pub struct Stop(AtomicU8);

impl Stop {
    /// Whether, and why, to stop.
    pub fn get(&self) -> Option<Halt> {
        match self.0.load(Ordering::Relaxed) {
            RUNNING => None,
            CANCELLED => Some(Halt::Cancelled),
            _ => Some(Halt::TimedOut),
        }
    }

    /// Asks everything still running to stop because a result is already decided (a failure).
    /// A timeout already raised stays.
    pub fn cancel(&self) {
        let _ = self
            .0
            .compare_exchange(RUNNING, CANCELLED, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Lowers a cancellation again (to re-check customers in order); false when the budget is
    /// spent meanwhile.
    pub fn resume(&self) -> bool {
        self.0
            .compare_exchange(CANCELLED, RUNNING, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
            || self.get().is_none()
    }

    fn reset(&self) {
        self.0.store(RUNNING, Ordering::Relaxed);
    }

    fn expire(&self) {
        self.0.store(TIMED_OUT, Ordering::Relaxed);
    }
}

/// Raises [`Halt::TimedOut`] on a [`Stop`] when the budget is spent, unless dropped first.
pub struct Watchdog {
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Lowers `stop` and starts counting `timeout` from now.
    pub fn start(stop: Arc<Stop>, timeout: Duration) -> Watchdog {
        stop.reset();
        let (done, wait) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("powerbase-watchdog".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
                    stop.expire();
                }
            })
            // Without a thread there is no wall-clock limit, but the operation limits still hold.
            .ok();
        Watchdog {
            done: Some(done),
            thread,
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_raises_the_flag_when_time_is_up_and_not_after_it_is_dropped() {
        let stop = Arc::new(Stop::default());
        let dog = Watchdog::start(stop.clone(), Duration::from_millis(1));
        while stop.get().is_none() {
            std::thread::yield_now();
        }
        assert_eq!(stop.get(), Some(Halt::TimedOut));
        drop(dog);
        let dog = Watchdog::start(stop.clone(), Duration::from_secs(3600));
        assert_eq!(stop.get(), None, "a new run starts with the flag lowered");
        drop(dog);
        assert_eq!(
            stop.get(),
            None,
            "dropping the watchdog ends it without a timeout"
        );
    }

    #[test]
    fn a_cancellation_does_not_hide_a_timeout() {
        let stop = Stop::default();
        stop.cancel();
        assert_eq!(stop.get(), Some(Halt::Cancelled));
        assert!(stop.resume());
        assert_eq!(stop.get(), None);
        stop.expire();
        stop.cancel();
        assert_eq!(stop.get(), Some(Halt::TimedOut));
        assert!(!stop.resume());
    }

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(Seconds(Duration::from_secs(10)).to_string(), "10 s");
        assert_eq!(Seconds(Duration::from_millis(500)).to_string(), "0.5 s");
    }
}
