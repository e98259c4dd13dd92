//! `airm users add|list|set-role`: people and their roles.

use anyhow::Context as _;

use airm_store::{NewUser, Page, UserFilter};

use crate::cli::UsersCmd;
use crate::context::{record, Context};
use crate::output::{Printer, Table};

pub async fn run(cmd: UsersCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    match cmd {
        UsersCmd::Add { email, role, name } => {
            let u = store
                .create_user(NewUser { email, name, role })
                .await
                .context("cannot add the user")?;
            record(
                &store,
                "user.create",
                Some(&u.email),
                serde_json::json!({"role": u.role}),
            )
            .await?;
            p.note(&format!("Added {} as {} ({})", u.email, u.role, u.id));
            p.note("Create a token for them with `airm tokens create --user EMAIL`.");
            p.data(&u, || format!("{}\n", u.id));
        }
        UsersCmd::List { role } => {
            let list = store
                .list_users(&UserFilter { role, active: None }, Page::new(500, 0))
                .await?;
            p.data(&list.items, || {
                let mut t = Table::new(&["EMAIL", "NAME", "ROLE", "ACTIVE", "ID"]);
                for u in &list.items {
                    t.row(vec![
                        u.email.clone(),
                        u.name.clone(),
                        u.role.to_string(),
                        if u.active { "yes".into() } else { "no".into() },
                        u.id.clone(),
                    ]);
                }
                t.render()
            });
        }
        UsersCmd::SetRole { user, role } => {
            let u = store
                .set_user_role(&user, role)
                .await
                .context("cannot change the role")?;
            record(
                &store,
                "user.update",
                Some(&u.email),
                serde_json::json!({"role": u.role}),
            )
            .await?;
            p.note(&format!("{} is now {}", u.email, u.role));
            p.data(&u, String::new);
        }
    }
    Ok(0)
}
