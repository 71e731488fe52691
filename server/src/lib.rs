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

/// Parses the command line, runs the command and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
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
