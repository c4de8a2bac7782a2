//! The `blockdeck` command.

fn main() -> std::process::ExitCode {
    blockdeck::cli::main()
}
