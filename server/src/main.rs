//! The `cardseal-server` binary; see the library crate for the service itself.

fn main() -> std::process::ExitCode {
    cardseal_server::run()
}
