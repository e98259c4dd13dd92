//! `airm committees add|list`: oversight committees, their members and quorum.

use anyhow::Context as _;

use crate::cli::CommitteesCmd;
use crate::context::{record, Context};
use crate::output::{Printer, Table};

pub async fn run(cmd: CommitteesCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    match cmd {
        CommitteesCmd::Add {
            name,
            members,
            quorum,
        } => {
            let c = store
                .create_committee(&name, &members, quorum)
                .await
                .context("cannot create the committee")?;
            record(
                &store,
                "committee.create",
                Some(&c.id),
                serde_json::json!({"name": c.name, "members": c.members, "quorum": c.quorum}),
            )
            .await?;
            p.note(&format!("Created committee `{}` ({})", c.name, c.id));
            p.data(&c, || {
                format!(
                    "{} quorum {} of {}\n",
                    c.name,
                    c.quorum,
                    c.members.join(", ")
                )
            });
        }
        CommitteesCmd::List => {
            let list = store.list_committees().await?;
            p.data(&list, || {
                let mut t = Table::new(&["NAME", "QUORUM", "MEMBERS"]);
                for c in &list {
                    t.row(vec![
                        c.name.clone(),
                        c.quorum.to_string(),
                        c.members.join(", "),
                    ]);
                }
                t.render()
            });
        }
    }
    Ok(0)
}
