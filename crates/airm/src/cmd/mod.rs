//! One module per subcommand. Each returns the process exit code (0 or 1) or an error
//! (exit 2, printed by `main`).

mod approvals;
mod audit;
mod bom;
mod committees;
mod discover;
mod exceptions;
mod gateway;
mod guard;
mod inventory;
mod monitor;
mod policy;
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
        // Listing and explaining built-in policies needs no store either.
        Command::Policy(crate::cli::PolicyCmd::List) => policy::list(printer),
        Command::Policy(crate::cli::PolicyCmd::Explain { ref id }) => policy::explain(id, printer),
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
                Command::Discover(a) => discover::run(a, &ctx, printer).await,
                Command::Inventory(c) => inventory::run(c, &ctx, printer).await,
                Command::Bom(a) => bom::run(a, &ctx, printer).await,
                Command::Guard(c) => guard::run(c, &ctx, printer).await,
                Command::Policy(c) => policy::run(c, &ctx, printer).await,
                Command::Committees(c) => committees::run(c, &ctx, printer).await,
                Command::Approvals(c) => approvals::run(c, &ctx, printer).await,
                Command::Exceptions(c) => exceptions::run(c, &ctx, printer).await,
                Command::Gateway(a) => gateway::run(a, &ctx, printer).await,
                Command::Monitor(c) => monitor::run(c, &ctx, printer).await,
                Command::Rules(_) => Ok(0),
            }
        }
    }
}
