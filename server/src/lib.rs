//! cardseal-server: the platform's decryption service.
//!
//! It publishes the public keys browsers seal card data to, lets shops create checkout sessions,
//! opens sealed envelopes, checks that each one is fresh, unused and meant for the shop's session,
//! authorizes through an acquirer (the simulated one by default) and returns a masked result.
//!
//! # Security notes
//! - Card numbers and CVCs exist only inside [`cardseal_core::card::Card`] values while a payment
//!   is authorized. They are never logged, stored, or put in an HTTP answer; a payment keeps brand,
//!   last four digits, expiry and a keyed hash.
//! - Every failure to open a parsed envelope is one problem (`envelope_invalid`).
//! - Request bodies are never logged, and JSON errors never quote the input.
//! - API keys are stored as SHA-256 hashes and compared in constant time.

pub mod acquirer;
pub mod apikey;
pub mod cli;
pub mod commands;
pub mod config;
pub mod fingerprint;
pub mod http;
pub mod ids;
pub mod keystore;
pub mod logging;
pub mod metrics;
pub mod opener;
pub mod payment;
pub mod server;
pub mod store;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::config::ServeConfig;

/// Number of async worker threads: one per three cores, at least one.
///
/// RSA runs on the opener's threads, one per core (see [`opener`]), and the rest of a payment
/// (HTTP, checks, SQLite) takes about a quarter of its CPU. More async workers than that work
/// needs only wake each other: on 2 cores, one worker instead of tokio's default of two cut the
/// service's own share of the CPU from about 26% to 23% in the payments benchmark.
fn async_worker_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (cores / 3).max(1)
}

/// Parses the command line, runs the command and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // tokio's own setting, when present, wins over the default below.
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(async_worker_threads());
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };

    let result: Result<(), Box<dyn std::error::Error>> = match cli.command {
        Command::Serve(args) => {
            let config = match ServeConfig::from_args(&cli.data_dir, &args) {
                Ok(config) => config,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            };
            logging::init_service(config.log_format, &config.log_filter);
            runtime.block_on(server::serve(config)).map_err(|e| {
                tracing::error!(error = %e, "service stopped");
                e.into()
            })
        }
        Command::Keys(command) => {
            logging::init_cli();
            commands::run_keys(&cli.data_dir, command).map_err(Into::into)
        }
        Command::Shops(command) => {
            logging::init_cli();
            runtime
                .block_on(commands::run_shops(&cli.data_dir, command))
                .map_err(Into::into)
        }
    };

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
