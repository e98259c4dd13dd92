//! `airm tokens create|list|revoke`: API tokens, made offline against the store. The
//! secret is printed once and stored only as a hash.

use anyhow::Context as _;

use airm_core::Timestamp;

use crate::cli::TokensCmd;
use crate::context::{record, Context};
use crate::output::{Printer, Table};

pub async fn run(cmd: TokensCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    match cmd {
        TokensCmd::Create {
            user,
            name,
            expires_in_days,
        } => {
            let person = store
                .get_user(&user)
                .await?
                .with_context(|| format!("no user `{user}` (add one with `airm users add`)"))?;
            anyhow::ensure!(person.active, "user {} is deactivated", person.email);
            let (token, hash) = airm_server::new_token();
            let expires = expires_in_days.map(|d| Timestamp::now().plus_days(i64::from(d)));
            let info = store
                .create_token(&person.id, &name, &hash, expires)
                .await?;
            record(
                &store,
                "token.create",
                Some(&info.id),
                serde_json::json!({"user": person.email, "name": info.name}),
            )
            .await?;
            p.note(&format!(
                "Token {} for {} ({}). It is shown once; store it safely:",
                info.id, person.email, person.role
            ));
            p.data(
                &serde_json::json!({"id": info.id, "user": person.email, "role": person.role,
                                    "expires_at": info.expires_at, "token": token}),
                || format!("{token}\n"),
            );
        }
        TokensCmd::List { user } => {
            let user_id = match &user {
                Some(u) => Some(
                    store
                        .get_user(u)
                        .await?
                        .with_context(|| format!("no user `{u}`"))?
                        .id,
                ),
                None => None,
            };
            let tokens = store.list_tokens(user_id.as_deref()).await?;
            let now = Timestamp::now();
            p.data(&tokens, || {
                let mut t = Table::new(&["ID", "USER", "NAME", "CREATED", "EXPIRES", "STATE"]);
                for tk in &tokens {
                    let state = if tk.revoked_at.is_some() {
                        "revoked"
                    } else if tk.is_usable(now) {
                        "active"
                    } else {
                        "expired"
                    };
                    t.row(vec![
                        tk.id.clone(),
                        tk.user_id.clone(),
                        tk.name.clone(),
                        tk.created_at.date(),
                        tk.expires_at.map_or("never".into(), |e| e.date()),
                        state.into(),
                    ]);
                }
                t.render()
            });
        }
        TokensCmd::Revoke { id } => {
            let info = store
                .revoke_token(&id)
                .await
                .context("cannot revoke the token")?;
            record(
                &store,
                "token.revoke",
                Some(&info.id),
                serde_json::json!({}),
            )
            .await?;
            p.note(&format!("Revoked {}", info.id));
            p.data(&info, String::new);
        }
    }
    Ok(0)
}
