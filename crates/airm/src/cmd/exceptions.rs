//! `airm exceptions add|list|expire`: risk acceptances. The approving (or ending) person
//! is named and must be an `admin` or `risk-owner` user; refusals are recorded too.

use anyhow::Context as _;

use airm_core::{PolicyException, Timestamp};
use airm_store::ExceptionFilter;

use crate::cli::ExceptionsCmd;
use crate::context::{cli_actor, Context};
use crate::output::{Printer, Table};

pub async fn run(cmd: ExceptionsCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    let role_of = |email: String| {
        let store = store.clone();
        async move {
            store
                .get_user(&email)
                .await?
                .filter(|u| u.active)
                .map(|u| (u.email, u.role))
                .with_context(|| format!("no active user `{email}` (see `airm users list`)"))
        }
    };
    match cmd {
        ExceptionsCmd::Add {
            policy,
            object,
            justification,
            expires,
            approver,
        } => {
            let (email, role) = role_of(approver).await?;
            let e = airm_server::governance::grant_exception(
                &store,
                &cli_actor(),
                role,
                PolicyException {
                    id: String::new(),
                    policy: policy.trim().to_uppercase(),
                    object: object.trim().to_string(),
                    justification,
                    approver: email,
                    created_at: Timestamp::now(),
                    expires_at: expires,
                    revoked_at: None,
                },
            )
            .await?;
            p.note(&format!(
                "Granted exception {} until {}",
                e.id,
                e.expires_at.date()
            ));
            p.data(&e, || table(std::slice::from_ref(&e)));
        }
        ExceptionsCmd::List {
            active,
            expiring_within_days,
        } => {
            let now = Timestamp::now();
            let list = store
                .list_exceptions(&ExceptionFilter {
                    active_at: active.then_some(now),
                    expiring_before: expiring_within_days
                        .map(|d| now.plus_days(i64::from(d.min(36_500)))),
                    policy: None,
                })
                .await?;
            p.data(&list, || table(&list));
        }
        ExceptionsCmd::Expire { id, by } => {
            let (_, role) = role_of(by).await?;
            let e =
                airm_server::governance::expire_exception(&store, &cli_actor(), role, &id).await?;
            p.note(&format!("Exception {} ended", e.id));
            p.data(&e, || table(std::slice::from_ref(&e)));
        }
    }
    Ok(0)
}

fn table(items: &[PolicyException]) -> String {
    let now = Timestamp::now();
    let mut t = Table::new(&["ID", "POLICY", "OBJECT", "APPROVER", "EXPIRES", "STATE"]);
    for e in items {
        t.row(vec![
            e.id.clone(),
            e.policy.clone(),
            e.object.clone(),
            e.approver.clone(),
            e.expires_at.date(),
            if e.revoked_at.is_some() {
                "ended"
            } else if e.is_active(now) {
                "active"
            } else {
                "expired"
            }
            .into(),
        ]);
    }
    t.render()
}
