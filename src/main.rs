//! The `qcd` binary: parses arguments, runs a command from the `qcd` library,
//! and maps the outcome to the exit code (0 success, 1 negative answer, 2 error).

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
