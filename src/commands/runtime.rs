//! The one async runtime a networked command (`scan`, `demo`, `simulate`)
//! runs on, and every command's signal handling: SIGINT, SIGTERM and SIGHUP
//! end a scan in order (every row written, no temporary file left) once it
//! has started, and end the process at once before; they end `headers` and
//! `merge` at once, their partial reports removed.

use crate::Outcome;
use anyhow::{Context, Result};
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

/// Builds the runtime, runs `setup` inside it (so that it may install
/// signal handlers and spawn tasks), then drives the future it returns to
/// the end. Every networked command goes through here: one runtime per run.
pub fn block_on<F, T>(setup: impl FnOnce() -> Result<F>) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let work = {
        let _guard = runtime.enter();
        setup()?
    };
    runtime.block_on(work)
}

/// Whether the scan proper has started (the report is open). Before, a
/// signal ends the process at once; after, it stops the scan in order.
static RUN_STARTED: AtomicBool = AtomicBool::new(false);

/// A stop flag raised by SIGINT, SIGTERM or SIGHUP.
/// The handlers are in place when this returns (not at the task's first
/// poll), so a signal that comes right after start-up is not lost. Call it
/// inside the runtime.
pub fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let signal = shutdown_signal();
    tokio::spawn(async move {
        signal.await;
        if !RUN_STARTED.load(Ordering::SeqCst) {
            // Still setting up (perhaps reading a stalled stdin's header): no
            // report is open yet, so end at once.
            end_now("interrupted before the scan started; no report written");
        }
        eprintln!("exchange-exposure: stopping; rows not yet probed are reported as not-scanned");
        let _ = tx.send(true);
    });
    rx
}

/// For commands that do not stop in order on a signal (`headers`, `merge`):
/// SIGINT, SIGTERM or SIGHUP removes the temporary files of the reports
/// not yet committed and ends the process with status 2, so no temporary
/// file outlives a signal. These commands run no async runtime of their
/// own, so the listener gets a thread with a single-threaded one. The
/// handlers are in place when this returns.
pub fn remove_partial_reports_on_signal() -> Result<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => return drop(ready_tx.send(Err(e))),
        };
        let signal = {
            let _guard = runtime.enter();
            shutdown_signal()
        };
        let _ = ready_tx.send(Ok(()));
        runtime.block_on(signal);
        end_now("interrupted; no report written");
    })?;
    ready_rx.recv().map_err(io::Error::other)?.context("cannot start the signal handler")?;
    Ok(())
}

/// Ends the process on a signal: no temporary report file left behind,
/// `message` on stderr, the status of an incomplete run.
fn end_now(message: &str) -> ! {
    crate::report::remove_partial_files();
    eprintln!("exchange-exposure: {message}");
    std::process::exit(i32::from(Outcome::Incomplete.exit_code()));
}

/// Marks the start of the scan proper: a signal now stops it in order.
pub fn scanning() {
    RUN_STARTED.store(true, Ordering::SeqCst);
    tracing::info!("signal handlers installed; scanning");
}

/// SIGINT, SIGTERM or SIGHUP (a closed terminal or session: handled like
/// SIGTERM, so the report is still written and no temporary file is left).
/// The listeners are registered when this is called (it must be called
/// inside the runtime); the returned future waits for one.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listeners = signal(SignalKind::interrupt())
            .and_then(|int| Ok((int, signal(SignalKind::terminate())?, signal(SignalKind::hangup())?)));
        async move {
            match listeners {
                Ok((mut int, mut term, mut hup)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                        _ = hup.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `-v` logs on stderr; colour codes only when `--color` says so.
pub fn init_logging(color: bool) {
    let _ = tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(color)
        .with_target(false)
        .with_max_level(tracing::Level::DEBUG)
        .try_init();
}
