//! Logging with `tracing`: text or JSON lines on standard error.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::cli::LogFormat;

/// Installs the global subscriber for `serve`. An invalid filter falls back to `info`.
pub fn init_service(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|error| {
        eprintln!("warning: invalid log filter ({error}); using `info`");
        EnvFilter::new("info")
    });
    // A closed standard error (a log pipe that went away) must not stop the service: by default
    // tracing-subscriber reports a failed write with eprintln!, which then panics.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE)
        .log_internal_errors(false);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.with_ansi(false).init(),
    }
}

/// Installs a quiet subscriber for the administrative commands: warnings and errors only.
pub fn init_cli() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .init();
}
