//! Points where a test kills the process mid-write (debug builds only): with
//! `LK_TEST_PAUSE_AT=<point>` set, reaching the point prints `paused at <point>` to
//! standard error and waits forever, so that the test's SIGKILL lands exactly there.
//! Release builds compile the points out.

#[cfg(debug_assertions)]
pub(crate) async fn reach(point: &str) {
    if std::env::var("LK_TEST_PAUSE_AT").as_deref() == Ok(point) {
        eprintln!("paused at {point}");
        std::future::pending::<()>().await;
    }
}

#[cfg(not(debug_assertions))]
pub(crate) async fn reach(_point: &str) {}
