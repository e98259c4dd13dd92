//! One module per subcommand. Each returns the process exit code (0 or 1) or an error
//! (exit 2, printed by `main`).

mod audit;
mod guard;
mod monitor;
mod rules;
mod scan;
mod serve;
mod systems;
mod tokens;
mod users;

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::output::Printer;

pub async fn run(cli: Cli, printer: &Printer) -> anyhow::Result<u8> {
    match cli.command {
        // Rules need no store.
        Command::Rules(ref c) => rules::run(c, printer),
        // Drift reports and profiles work on files only.
        Command::Monitor(ref c) if !c.needs_store() => monitor::run_files(c, printer),
        _ => {
            let ctx = Context::new(&cli)?;
            match cli.command {
                Command::Systems(c) => systems::run(c, &ctx, printer).await,
                Command::Users(c) => users::run(c, &ctx, printer).await,
                Command::Tokens(c) => tokens::run(c, &ctx, printer).await,
                Command::Serve(a) => serve::run(a, &ctx, printer).await,
                Command::Audit(c) => audit::run(c, &ctx, printer).await,
                Command::Scan(a) => scan::run(a, &ctx, printer).await,
                Command::Guard(c) => guard::run(c, &ctx, printer).await,
                Command::Monitor(c) => monitor::run(c, &ctx, printer).await,
                Command::Rules(_) => Ok(0),
            }
        }
    }
}
