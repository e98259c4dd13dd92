//! Governance storage on every engine: system governance fields, committees, approvals
//! and votes (with concurrency checks), exceptions, violation tracking, notifications and
//! the aggregated facts policies read.

use airm_core::{
    ApprovalStatus, FindingStatus, LifecycleStage, Notification, PolicyException, Severity,
    Timestamp, ViolationRecord, Vote, VoteChoice,
};
use airm_store::*;

use crate::backends;
use crate::conformance::{asset, finding, system};

#[tokio::test]
async fn system_governance_fields_round_trip() {
    for b in backends("govsys") {
        let s = b.open().await;
        let mut n = system("bot");
        n.llm = true;
        n.controls = vec!["logging".into(), "human-oversight".into(), "logging".into()];
        let created = s.create_system(n).await.unwrap();
        assert!(created.llm);
        assert_eq!(created.controls, vec!["human-oversight", "logging"]);
        let patch = SystemPatch {
            gateway_policy: Some(Some("default".into())),
            impact_assessed_at: Some(Some(Timestamp(86_400_000))),
            add_controls: vec!["accuracy-testing".into()],
            remove_controls: vec!["logging".into()],
            ..Default::default()
        };
        let u = s.update_system("bot", &patch, None).await.unwrap();
        assert_eq!(u.gateway_policy.as_deref(), Some("default"));
        assert_eq!(u.impact_assessed_at, Some(Timestamp(86_400_000)));
        assert_eq!(u.controls, vec!["accuracy-testing", "human-oversight"]);
        let back = s.get_system("bot").await.unwrap().unwrap();
        assert_eq!(back, u);
        let bad = SystemPatch {
            add_controls: vec!["Not Kebab".into()],
            ..Default::default()
        };
        assert!(matches!(
            s.update_system("bot", &bad, None).await,
            Err(StoreError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn committees_approvals_and_votes() {
    for b in backends("approvals") {
        let s = b.open().await;
        let members = vec!["A@x.com".to_string(), "b@x.com".into(), "c@x.com".into()];
        let c = s.create_committee("AI board", &members, 2).await.unwrap();
        assert_eq!(c.members, vec!["a@x.com", "b@x.com", "c@x.com"]);
        assert!(matches!(
            s.create_committee("ai BOARD", &members, 2).await,
            Err(StoreError::AlreadyExists { .. })
        ));
        assert!(matches!(
            s.create_committee("tiny", &members, 4).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(s.get_committee("ai board").await.unwrap().unwrap().id, c.id);

        let a = s
            .create_approval(NewApproval {
                subject: "support-bot".into(),
                action: "production".into(),
                committee: "AI board".into(),
                requested_by: "r@x.com".into(),
                reason: "ready".into(),
            })
            .await
            .unwrap();
        assert_eq!(
            (a.status, a.quorum, a.committee.as_str()),
            (ApprovalStatus::Pending, 2, "AI board")
        );
        let vote = |voter: &str, at| Vote {
            voter: voter.into(),
            choice: VoteChoice::Approve,
            comment: None,
            at: Timestamp(at),
        };
        let a1 = s
            .record_vote(&a.id, &vote("a@x.com", 1), 0, ApprovalStatus::Pending)
            .await
            .unwrap();
        assert_eq!(a1.votes.len(), 1);
        // Stale count: another vote landed since the caller read the request.
        assert!(matches!(
            s.record_vote(&a.id, &vote("b@x.com", 2), 0, ApprovalStatus::Approved)
                .await,
            Err(StoreError::VersionConflict { .. })
        ));
        assert!(matches!(
            s.record_vote(&a.id, &vote("a@x.com", 2), 1, ApprovalStatus::Pending)
                .await,
            Err(StoreError::AlreadyExists { .. })
        ));
        let a2 = s
            .record_vote(&a.id, &vote("b@x.com", 3), 1, ApprovalStatus::Approved)
            .await
            .unwrap();
        assert_eq!(
            (a2.status, a2.decided_at),
            (ApprovalStatus::Approved, Some(Timestamp(3)))
        );
        // Decided requests take no more votes.
        assert!(s
            .record_vote(&a.id, &vote("c@x.com", 4), 2, ApprovalStatus::Approved)
            .await
            .is_err());

        let pending_for_c = s
            .list_approvals(
                &ApprovalFilter {
                    member: Some("c@x.com".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(pending_for_c.total, 1);
        let none = s
            .list_approvals(
                &ApprovalFilter {
                    member: Some("z@x.com".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0);
        let approved = s
            .list_approvals(
                &ApprovalFilter {
                    status: Some(ApprovalStatus::Approved),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(approved.items[0].votes.len(), 2);
        assert!(matches!(
            s.create_approval(NewApproval {
                subject: "x".into(),
                action: "production".into(),
                committee: "missing".into(),
                requested_by: "r".into(),
                reason: String::new(),
            })
            .await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn exceptions_expire_and_revoke() {
    for b in backends("exceptions") {
        let s = b.open().await;
        let now = Timestamp::now();
        let e = s
            .create_exception(PolicyException {
                id: String::new(),
                policy: "GV002".into(),
                object: "ast_1".into(),
                justification: "Vendor patch due next week".into(),
                approver: "ro@x.com".into(),
                created_at: now,
                expires_at: now.plus_days(10),
                revoked_at: None,
            })
            .await
            .unwrap();
        assert!(e.id.starts_with("exc_"));
        let bad = PolicyException {
            id: String::new(),
            justification: "no".into(),
            ..e.clone()
        };
        assert!(matches!(
            s.create_exception(bad).await,
            Err(StoreError::Invalid(_))
        ));
        let active = |t| ExceptionFilter {
            active_at: Some(t),
            ..Default::default()
        };
        assert_eq!(s.list_exceptions(&active(now)).await.unwrap().len(), 1);
        assert_eq!(
            s.list_exceptions(&active(now.plus_days(11)))
                .await
                .unwrap()
                .len(),
            0
        );
        let soon = ExceptionFilter {
            expiring_before: Some(now.plus_days(14)),
            ..Default::default()
        };
        assert_eq!(s.list_exceptions(&soon).await.unwrap().len(), 1);
        let r = s.revoke_exception(&e.id, now.plus_days(1)).await.unwrap();
        assert_eq!(r.revoked_at, Some(now.plus_days(1)));
        let again = s.revoke_exception(&e.id, now.plus_days(2)).await.unwrap();
        assert_eq!(again.revoked_at, Some(now.plus_days(1)), "idempotent");
        assert_eq!(
            s.list_exceptions(&active(now.plus_days(2)))
                .await
                .unwrap()
                .len(),
            0
        );
        assert!(matches!(
            s.revoke_exception("exc_x", now).await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn facts_aggregate_open_findings_per_asset() {
    for b in backends("facts") {
        let s = b.open().await;
        let mut prod = system("prod");
        prod.lifecycle = LifecycleStage::Production;
        s.create_system(prod).await.unwrap();
        let a = s
            .upsert_asset(asset("m.pkl", Some("aa"), &["prod"]))
            .await
            .unwrap();
        s.upsert_asset(asset("other.pkl", Some("bb"), &[]))
            .await
            .unwrap();
        s.upsert_finding(finding("f1", Severity::Critical, Some(a.id.clone())))
            .await
            .unwrap();
        s.upsert_finding(finding("f2", Severity::Critical, Some(a.id.clone())))
            .await
            .unwrap();
        let fixed = s
            .upsert_finding(finding("f3", Severity::High, Some(a.id.clone())))
            .await
            .unwrap();
        s.set_finding_status(&fixed.id, FindingStatus::Fixed)
            .await
            .unwrap();
        s.upsert_finding(finding("f4", Severity::Low, Some(a.id.clone())))
            .await
            .unwrap();
        let facts = s.governance_facts().await.unwrap();
        assert_eq!(facts.systems.len(), 1);
        let fa = facts.assets.iter().find(|x| x.id == a.id).unwrap();
        assert_eq!(fa.open_findings, [0, 1, 0, 0, 2]);
        assert_eq!(fa.systems, vec!["prod".to_string()]);
        let other = facts.assets.iter().find(|x| x.id != a.id).unwrap();
        assert_eq!(other.open_findings, [0; 5]);
    }
}

#[tokio::test]
async fn violations_keep_first_seen_and_resolve() {
    for b in backends("violations") {
        let s = b.open().await;
        let v = |fp: &str| ViolationRecord {
            fingerprint: fp.into(),
            policy: "GV001".into(),
            severity: Severity::High,
            object: "bot".into(),
            message: format!("msg {fp}"),
            first_seen: Timestamp(0),
            last_seen: Timestamp(0),
            resolved_at: None,
        };
        let r1 = s
            .sync_violations(&[v("a"), v("b")], Timestamp(1000))
            .await
            .unwrap();
        assert!(r1.iter().all(|x| x.first_seen == Timestamp(1000)));
        let r2 = s.sync_violations(&[v("a")], Timestamp(2000)).await.unwrap();
        assert_eq!(r2[0].first_seen, Timestamp(1000));
        let open = s.list_violations(true, Page::default()).await.unwrap();
        assert_eq!(open.total, 1);
        let all = s.list_violations(false, Page::default()).await.unwrap();
        let b_rec = all.items.iter().find(|x| x.fingerprint == "b").unwrap();
        assert_eq!(b_rec.resolved_at, Some(Timestamp(2000)));
        // A violation that comes back starts a new episode.
        let r3 = s
            .sync_violations(&[v("a"), v("b")], Timestamp(3000))
            .await
            .unwrap();
        let b3 = r3.iter().find(|x| x.fingerprint == "b").unwrap();
        assert_eq!(b3.first_seen, Timestamp(3000));
        let many: Vec<ViolationRecord> = (0..1200).map(|i| v(&format!("m{i}"))).collect();
        assert_eq!(
            s.sync_violations(&many, Timestamp(4000))
                .await
                .unwrap()
                .len(),
            1200
        );
        assert_eq!(
            s.list_violations(true, Page::default())
                .await
                .unwrap()
                .total,
            1200
        );
    }
}

#[tokio::test]
async fn notifications_are_unique_per_violation_and_step() {
    for b in backends("notifications") {
        let s = b.open().await;
        let n = Notification {
            id: String::new(),
            fingerprint: "GV001|bot|m".into(),
            step: "owner".into(),
            recipient: "Ana@x.com".into(),
            message: "m".into(),
            created_at: Timestamp(5),
        };
        assert!(s.add_notification(&n).await.unwrap());
        assert!(!s.add_notification(&n).await.unwrap());
        let ro = Notification {
            step: "risk-owner".into(),
            recipient: "ro@x.com".into(),
            ..n.clone()
        };
        assert!(s.add_notification(&ro).await.unwrap());
        assert_eq!(
            s.list_notifications(Some("GV001|bot|m"), None, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            s.list_notifications(None, Some("ana@x.com"), 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn raci_assignments_per_system() {
    for b in backends("raci") {
        let s = b.open().await;
        s.create_system(system("bot")).await.unwrap();
        s.create_system(system("other")).await.unwrap();
        use airm_core::RaciRole::*;
        s.set_raci("bot", Accountable, "Ana@x.com", true)
            .await
            .unwrap();
        s.set_raci("bot", Responsible, "dev@x.com", true)
            .await
            .unwrap();
        let list = s
            .set_raci("bot", Responsible, "dev@x.com", true)
            .await
            .unwrap();
        assert_eq!(list.len(), 2, "idempotent");
        s.set_raci("other", Informed, "ceo@x.com", true)
            .await
            .unwrap();
        let list = s
            .set_raci("bot", Responsible, "dev@x.com", false)
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (
                list[0].role,
                list[0].person.as_str(),
                list[0].system.as_str()
            ),
            (Accountable, "ana@x.com", "bot")
        );
        assert_eq!(s.list_raci(None).await.unwrap().len(), 2);
        assert_eq!(s.governance_facts().await.unwrap().raci.len(), 2);
        assert!(matches!(
            s.set_raci("missing", Informed, "a@x.com", true).await,
            Err(StoreError::NotFound { .. })
        ));
    }
}
