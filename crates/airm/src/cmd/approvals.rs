//! `airm approvals request|vote|list`: committee decisions. Only members of the deciding
//! committee vote (checked by `airm-govern`); every request, vote and decision is recorded.

use anyhow::Context as _;

use airm_core::Approval;
use airm_store::{ApprovalFilter, NewApproval, Page};

use crate::cli::ApprovalsCmd;
use crate::context::{cli_actor, record, Context};
use crate::output::{Printer, Table};

pub async fn run(cmd: ApprovalsCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    match cmd {
        ApprovalsCmd::Request {
            subject,
            action,
            committee,
            reason,
            requester,
        } => {
            let c = store.get_committee(&committee).await?.with_context(|| {
                format!("no committee `{committee}` (see `airm committees list`)")
            })?;
            airm_govern::approvals::validate_request(&subject, &action, &c)?;
            let a = store
                .create_approval(NewApproval {
                    subject,
                    action,
                    committee: c.id,
                    requested_by: requester.unwrap_or_else(|| cli_actor().id),
                    reason,
                })
                .await?;
            record(
                &store,
                "approval.request",
                Some(&a.id),
                serde_json::json!({"subject": a.subject, "action": a.action, "committee": a.committee,
                    "quorum": a.quorum, "requested_by": a.requested_by}),
            )
            .await?;
            p.note(&format!(
                "Requested approval {} from `{}`",
                a.id, a.committee
            ));
            p.data(&a, || table(std::slice::from_ref(&a)));
        }
        ApprovalsCmd::Vote {
            id,
            choice,
            voter,
            comment,
        } => {
            let a =
                airm_server::governance::vote(&store, &cli_actor(), &id, &voter, choice, comment)
                    .await?;
            p.note(&format!("Vote recorded; approval {} is {}", a.id, a.status));
            p.data(&a, || table(std::slice::from_ref(&a)));
        }
        ApprovalsCmd::List { status, member } => {
            let list = store
                .list_approvals(
                    &ApprovalFilter {
                        status,
                        committee: None,
                        member,
                    },
                    Page::new(500, 0),
                )
                .await?;
            p.data(&list.items, || table(&list.items));
        }
    }
    Ok(0)
}

fn table(items: &[Approval]) -> String {
    let mut t = Table::new(&["ID", "SUBJECT", "ACTION", "COMMITTEE", "STATUS", "VOTES"]);
    for a in items {
        let (yes, no) = airm_govern::approvals::tally(a);
        t.row(vec![
            a.id.clone(),
            a.subject.clone(),
            a.action.clone(),
            a.committee.clone(),
            a.status.to_string(),
            format!("{yes} approve / {no} reject (quorum {})", a.quorum),
        ]);
    }
    t.render()
}
