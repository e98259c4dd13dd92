//! Approval decisions and who may take them: only members of the deciding committee vote,
//! once each; quorum of approving votes approves, and a request that can no longer reach
//! quorum is rejected. Only `admin` and `risk-owner` grant exceptions.
//!
//! Pure functions over core types; the caller stores the result and records each vote
//! and decision in the activity log.

use airm_core::{Approval, ApprovalStatus, Committee, Role, Timestamp, Vote, VoteChoice};

use crate::GovernError;

/// Approving and rejecting votes cast so far.
pub fn tally(a: &Approval) -> (u32, u32) {
    let yes = a
        .votes
        .iter()
        .filter(|v| v.choice == VoteChoice::Approve)
        .count();
    let no = a.votes.len() - yes;
    (
        u32::try_from(yes).unwrap_or(u32::MAX),
        u32::try_from(no).unwrap_or(u32::MAX),
    )
}

/// Whether `email` is a member of `committee` (case-insensitive).
pub fn is_member(committee: &Committee, email: &str) -> bool {
    committee
        .members
        .iter()
        .any(|m| m.eq_ignore_ascii_case(email.trim()))
}

/// The status after the votes cast so far, for a committee of `members` people.
pub fn decide(a: &Approval, members: usize) -> ApprovalStatus {
    let (yes, no) = tally(a);
    let members = u32::try_from(members).unwrap_or(u32::MAX);
    if yes >= a.quorum {
        ApprovalStatus::Approved
    } else if members.saturating_sub(no) < a.quorum {
        ApprovalStatus::Rejected
    } else {
        ApprovalStatus::Pending
    }
}

/// Casts `voter`'s vote on a pending request of `committee`; returns the vote and the
/// request's new status. Fails if the voter is not a member, has voted already, or the
/// request is decided.
pub fn cast_vote(
    approval: &Approval,
    committee: &Committee,
    voter: &str,
    choice: VoteChoice,
    comment: Option<String>,
    now: Timestamp,
) -> Result<(Vote, ApprovalStatus), GovernError> {
    if !approval.committee.eq_ignore_ascii_case(&committee.name) {
        return Err(GovernError::Invalid(format!(
            "approval {} is decided by `{}`, not `{}`",
            approval.id, approval.committee, committee.name
        )));
    }
    if approval.status != ApprovalStatus::Pending {
        return Err(GovernError::Conflict(format!(
            "approval {} is already {}",
            approval.id, approval.status
        )));
    }
    if !is_member(committee, voter) {
        return Err(GovernError::Forbidden(format!(
            "{voter} is not a member of committee `{}`; only members vote",
            committee.name
        )));
    }
    if approval
        .votes
        .iter()
        .any(|v| v.voter.eq_ignore_ascii_case(voter.trim()))
    {
        return Err(GovernError::Conflict(format!(
            "{voter} has already voted on approval {}",
            approval.id
        )));
    }
    if comment.as_ref().is_some_and(|c| c.len() > 4000) {
        return Err(GovernError::Invalid(
            "comment must be at most 4000 bytes".into(),
        ));
    }
    let vote = Vote {
        voter: voter.trim().to_lowercase(),
        choice,
        comment,
        at: now,
    };
    let mut next = approval.clone();
    next.votes.push(vote.clone());
    let status = decide(&next, committee.members.len());
    Ok((vote, status))
}

/// Only `admin` and `risk-owner` may grant or end exceptions.
pub fn may_grant_exception(role: Role) -> Result<(), GovernError> {
    match role {
        Role::Admin | Role::RiskOwner => Ok(()),
        other => Err(GovernError::Forbidden(format!(
            "role `{other}` may not grant exceptions; only admin and risk-owner may"
        ))),
    }
}

/// Checks an approval request before it is stored: a kebab-case action, a subject and a
/// committee whose quorum is reachable.
pub fn validate_request(
    subject: &str,
    action: &str,
    committee: &Committee,
) -> Result<(), GovernError> {
    if subject.trim().is_empty() || subject.len() > 300 {
        return Err(GovernError::Invalid("subject must be 1-300 bytes".into()));
    }
    airm_core::validate_control(action).map_err(|_| {
        GovernError::Invalid(format!(
            "action `{action}` must be kebab-case, e.g. production"
        ))
    })?;
    committee.validate().map_err(GovernError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Committee {
        Committee {
            id: "com_1".into(),
            name: "AI board".into(),
            members: vec!["a@x".into(), "b@x".into(), "c@x".into()],
            quorum: 2,
            created_at: Timestamp(0),
        }
    }

    fn request() -> Approval {
        Approval {
            id: "apr_1".into(),
            subject: "support-bot".into(),
            action: "production".into(),
            committee: "AI board".into(),
            quorum: 2,
            requested_by: "r@x".into(),
            reason: "ready".into(),
            status: ApprovalStatus::Pending,
            votes: vec![],
            created_at: Timestamp(0),
            decided_at: None,
        }
    }

    fn apply(
        a: &mut Approval,
        voter: &str,
        choice: VoteChoice,
    ) -> Result<ApprovalStatus, GovernError> {
        let (v, s) = cast_vote(a, &board(), voter, choice, None, Timestamp(1))?;
        a.votes.push(v);
        a.status = s;
        Ok(s)
    }

    #[test]
    fn quorum_of_members_approves() {
        let mut a = request();
        assert_eq!(
            apply(&mut a, "A@x", VoteChoice::Approve).unwrap(),
            ApprovalStatus::Pending
        );
        assert!(matches!(
            apply(&mut a, "a@x", VoteChoice::Approve),
            Err(GovernError::Conflict(_))
        ));
        assert!(matches!(
            apply(&mut a, "z@x", VoteChoice::Approve),
            Err(GovernError::Forbidden(_))
        ));
        assert_eq!(
            apply(&mut a, "b@x", VoteChoice::Approve).unwrap(),
            ApprovalStatus::Approved
        );
        assert!(matches!(
            apply(&mut a, "c@x", VoteChoice::Reject),
            Err(GovernError::Conflict(_))
        ));
    }

    #[test]
    fn rejected_once_quorum_is_unreachable() {
        let mut a = request();
        assert_eq!(
            apply(&mut a, "a@x", VoteChoice::Reject).unwrap(),
            ApprovalStatus::Pending
        );
        assert_eq!(
            apply(&mut a, "b@x", VoteChoice::Reject).unwrap(),
            ApprovalStatus::Rejected
        );
    }

    #[test]
    fn only_admin_and_risk_owner_grant_exceptions() {
        assert!(may_grant_exception(Role::Admin).is_ok());
        assert!(may_grant_exception(Role::RiskOwner).is_ok());
        assert!(may_grant_exception(Role::Auditor).is_err());
        assert!(may_grant_exception(Role::Viewer).is_err());
    }

    #[test]
    fn requests_are_validated() {
        assert!(validate_request("x", "production", &board()).is_ok());
        assert!(validate_request("x", "Go Live", &board()).is_err());
        assert!(validate_request("", "production", &board()).is_err());
    }
}
