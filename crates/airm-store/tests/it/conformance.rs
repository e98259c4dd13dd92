//! The behaviour every `Store` must have, whatever the engine.

use std::collections::BTreeSet;

use airm_core::{
    ActorKind, Asset, AssetKind, ContentHash, DataCategory, Exposure, Finding, FindingStatus,
    LifecycleStage, Location, Outcome, Provenance, Role, Severity, Timestamp,
};
use airm_store::*;

use crate::backends;

pub(crate) fn system(name: &str) -> NewSystem {
    NewSystem {
        name: name.to_string(),
        purpose: format!("{name} purpose"),
        owner: Some("owner@example.com".into()),
        risk_owner: None,
        importance: 3,
        lifecycle: LifecycleStage::Development,
        exposure: Exposure::Internal,
        data_categories: vec![DataCategory::Internal],
        eu_ai_act_tier: None,
        llm: false,
        gateway_policy: None,
        impact_assessed_at: None,
        controls: vec![],
    }
}

pub(crate) fn asset(name: &str, sha: Option<&str>, systems: &[&str]) -> Asset {
    Asset {
        id: String::new(),
        kind: AssetKind::Model,
        name: name.into(),
        location: format!("/models/{name}"),
        hashes: sha
            .map(|h| {
                vec![ContentHash {
                    alg: "sha256".into(),
                    hex: h.into(),
                }]
            })
            .unwrap_or_default(),
        format: Some("safetensors".into()),
        size: Some(42),
        provenance: Provenance::default(),
        systems: systems.iter().map(|s| s.to_string()).collect(),
        first_seen: Timestamp(0),
        last_seen: Timestamp(0),
    }
}

pub(crate) fn finding(fp: &str, sev: Severity, asset_id: Option<String>) -> Finding {
    Finding {
        id: String::new(),
        rule_id: "MF001".into(),
        severity: sev,
        asset_id,
        location: Location {
            path: "/models/x.pkl".into(),
            offset: Some(12),
            ..Location::default()
        },
        message: "pickle calls `os.system`".into(),
        evidence: Some("os.system".into()),
        status: FindingStatus::Open,
        first_seen: Timestamp(0),
        last_seen: Timestamp(0),
        fingerprint: fp.into(),
    }
}

fn event(action: &str, actor: &str) -> NewEvent {
    NewEvent {
        time: Timestamp::now(),
        actor_kind: ActorKind::User,
        actor_id: actor.into(),
        action: action.into(),
        target: Some("sys_1".into()),
        outcome: Outcome::Success,
        details: serde_json::json!({"k": "v"}),
        request_id: None,
    }
}

#[tokio::test]
async fn systems_create_get_list_update() {
    for b in backends("systems") {
        let s = b.open().await;
        let a = s.create_system(system("Support-Bot")).await.unwrap();
        assert_eq!(a.version, 1);
        assert!(a.id.starts_with("sys_"));
        // Names are unique case-insensitively.
        let dup = s.create_system(system("support-bot")).await.unwrap_err();
        assert!(matches!(dup, StoreError::AlreadyExists { .. }), "{dup}");
        // Lookup by id or any-case name.
        assert_eq!(s.get_system(&a.id).await.unwrap().unwrap(), a);
        assert_eq!(s.get_system("SUPPORT-BOT").await.unwrap().unwrap().id, a.id);
        assert!(s.get_system("nope").await.unwrap().is_none());
        // Invalid input is a user error naming the field.
        let mut bad = system("x");
        bad.importance = 9;
        let e = s.create_system(bad).await.unwrap_err();
        assert!(e.to_string().contains("importance") && e.class() == ErrorClass::User);

        for i in 0..7 {
            let mut n = system(&format!("sys-{i}"));
            n.exposure = if i % 2 == 0 {
                Exposure::Public
            } else {
                Exposure::Internal
            };
            n.importance = (i % 5 + 1) as u8;
            s.create_system(n).await.unwrap();
        }
        let all = s
            .list_systems(&SystemFilter::default(), Page::new(3, 0))
            .await
            .unwrap();
        assert_eq!(all.total, 8);
        assert_eq!(all.items.len(), 3);
        let rest = s
            .list_systems(&SystemFilter::default(), Page::new(500, 3))
            .await
            .unwrap();
        assert_eq!(rest.items.len(), 5);
        let public = s
            .list_systems(
                &SystemFilter {
                    exposure: Some(Exposure::Public),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(public.total, 4);
        assert!(public.items.iter().all(|x| x.exposure == Exposure::Public));
        let q = s
            .list_systems(
                &SystemFilter {
                    query: Some("SYS-1".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(q.total, 1);
        // LIKE wildcards in the query are literal.
        let none = s
            .list_systems(
                &SystemFilter {
                    query: Some("%".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0);

        let patch = SystemPatch {
            importance: Some(5),
            lifecycle: Some(LifecycleStage::Production),
            add_data_categories: vec![DataCategory::Personal],
            ..Default::default()
        };
        let u = s
            .update_system("support-bot", &patch, Some(1))
            .await
            .unwrap();
        assert_eq!((u.version, u.importance), (2, 5));
        assert!(u.data_categories.contains(&DataCategory::Personal));
        assert!(u.data_categories.contains(&DataCategory::Internal));
        // A stale version is refused.
        let e = s.update_system(&a.id, &patch, Some(1)).await.unwrap_err();
        assert!(matches!(e, StoreError::VersionConflict { .. }));
        let e = s.update_system("missing", &patch, None).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }));
    }
}

#[tokio::test]
async fn concurrent_writers_on_two_instances_lose_nothing() {
    for b in backends("concurrent") {
        let s1 = b.open().await;
        let s2 = b.open().await;
        s1.create_system(system("shared")).await.unwrap();
        // Two "processes" each add distinct data categories to the same system, and each
        // registers its own systems, concurrently.
        let cats = DataCategory::ALL.to_vec();
        let (c1, c2): (Vec<_>, Vec<_>) = cats.iter().enumerate().partition(|(i, _)| i % 2 == 0);
        let run = |s: DynStore, mine: Vec<DataCategory>, tag: &'static str| async move {
            for (i, c) in mine.into_iter().enumerate() {
                let p = SystemPatch {
                    add_data_categories: vec![c],
                    ..Default::default()
                };
                s.update_system("shared", &p, None).await.unwrap();
                s.create_system(system(&format!("{tag}-{i}")))
                    .await
                    .unwrap();
                s.append_event(event("system.update", tag)).await.unwrap();
            }
        };
        let h1 = tokio::spawn(run(s1.clone(), c1.into_iter().map(|x| *x.1).collect(), "a"));
        let h2 = tokio::spawn(run(s2.clone(), c2.into_iter().map(|x| *x.1).collect(), "b"));
        h1.await.unwrap();
        h2.await.unwrap();
        let shared = s1.get_system("shared").await.unwrap().unwrap();
        let got: BTreeSet<_> = shared.data_categories.iter().copied().collect();
        let want: BTreeSet<_> = DataCategory::ALL.iter().copied().collect();
        assert_eq!(got, want, "an update was lost");
        assert_eq!(shared.version, 1 + DataCategory::ALL.len() as i64);
        let n = s2
            .list_systems(&SystemFilter::default(), Page::default())
            .await
            .unwrap()
            .total;
        assert_eq!(n, 1 + DataCategory::ALL.len() as u64);
        // Event sequence numbers are gap-free.
        let ev = s1
            .list_events(&EventFilter::default(), Page::new(500, 0))
            .await
            .unwrap();
        let seqs: Vec<i64> = ev.items.iter().map(|e| e.seq).rev().collect();
        assert_eq!(
            seqs,
            (0..DataCategory::ALL.len() as i64).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn assets_deduplicate_and_link_systems() {
    for b in backends("assets") {
        let s = b.open().await;
        s.create_system(system("bot")).await.unwrap();
        let a1 = s
            .upsert_asset(asset("m1", Some("ab12"), &["bot"]))
            .await
            .unwrap();
        assert!(a1.id.starts_with("ast_"));
        assert_eq!(a1.systems, vec!["bot".to_string()]);
        // Same content elsewhere is the same asset.
        let mut moved = asset("m1-copy", Some("ab12"), &[]);
        moved.location = "/elsewhere/m1".into();
        let a2 = s.upsert_asset(moved).await.unwrap();
        assert_eq!(a2.id, a1.id);
        assert_eq!(a2.location, "/elsewhere/m1");
        assert_eq!(a2.systems, vec!["bot".to_string()]);
        // Without a hash, kind + location identify it.
        let n1 = s.upsert_asset(asset("svc", None, &[])).await.unwrap();
        let n2 = s.upsert_asset(asset("svc", None, &[])).await.unwrap();
        assert_eq!(n1.id, n2.id);
        let e = s
            .upsert_asset(asset("m3", Some("cd"), &["nope"]))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound { what: "system", .. }));

        let by_sys = s
            .list_assets(
                &AssetFilter {
                    system: Some("BOT".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(by_sys.total, 1);
        let all = s
            .list_assets(&AssetFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(all.total, 2);
        let models = s
            .list_assets(
                &AssetFilter {
                    kind: Some(AssetKind::Dataset),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(models.total, 0);
    }
}

#[tokio::test]
async fn findings_keep_user_decisions_across_rescans() {
    for b in backends("findings") {
        let s = b.open().await;
        let a = s.upsert_asset(asset("m", Some("ff"), &[])).await.unwrap();
        let f = s
            .upsert_finding(finding("fp1", Severity::Critical, Some(a.id.clone())))
            .await
            .unwrap();
        s.upsert_finding(finding("fp2", Severity::Low, None))
            .await
            .unwrap();
        s.upsert_finding(finding("fp3", Severity::High, Some(a.id.clone())))
            .await
            .unwrap();
        let f = s
            .set_finding_status(&f.id, FindingStatus::Accepted)
            .await
            .unwrap();
        assert_eq!(f.status, FindingStatus::Accepted);
        // A re-scan refreshes the finding but keeps the decision and id.
        let again = s
            .upsert_finding(finding("fp1", Severity::Critical, Some(a.id.clone())))
            .await
            .unwrap();
        assert_eq!(
            (again.id.as_str(), again.status),
            (f.id.as_str(), FindingStatus::Accepted)
        );
        assert_eq!(again.first_seen, f.first_seen);

        let all = s
            .list_findings(&FindingFilter::default(), Page::default())
            .await
            .unwrap();
        let sevs: Vec<_> = all.items.iter().map(|f| f.severity).collect();
        assert_eq!(
            sevs,
            vec![Severity::Critical, Severity::High, Severity::Low]
        );
        let high = s
            .list_findings(
                &FindingFilter {
                    min_severity: Some(Severity::High),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(high.total, 2);
        let open = s
            .list_findings(
                &FindingFilter {
                    status: Some(FindingStatus::Open),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(open.total, 2);
        let by_asset = s
            .list_findings(
                &FindingFilter {
                    asset_id: Some(a.id.clone()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(by_asset.total, 2);
        assert!(matches!(
            s.set_finding_status("fnd_missing", FindingStatus::Fixed)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let c = s.counts().await.unwrap();
        assert_eq!(c.findings, 3);
        assert_eq!(c.open_by_severity[Severity::High.rank() as usize], 1);
        assert_eq!(c.open_by_severity[Severity::Critical.rank() as usize], 0);
    }
}

#[tokio::test]
async fn users_tokens_and_sessions() {
    for b in backends("users") {
        let s = b.open().await;
        let u = s
            .create_user(NewUser {
                email: "Ana@Example.com".into(),
                name: "Ana".into(),
                role: Role::Viewer,
            })
            .await
            .unwrap();
        assert_eq!(u.email, "ana@example.com");
        let dup = s
            .create_user(NewUser {
                email: "ana@example.com".into(),
                name: "A".into(),
                role: Role::Admin,
            })
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::AlreadyExists { .. }));
        assert!(s
            .create_user(NewUser {
                email: "a b".into(),
                name: "x".into(),
                role: Role::Admin
            })
            .await
            .is_err());
        let now = Timestamp::now();
        let t = s
            .create_token(&u.id, "laptop", "hash-1", None)
            .await
            .unwrap();
        let p = s.authenticate_token("hash-1", now).await.unwrap().unwrap();
        assert_eq!(
            (p.user.id.as_str(), p.token.unwrap().id),
            (u.id.as_str(), t.id.clone())
        );
        assert!(s.authenticate_token("hash-2", now).await.unwrap().is_none());
        // Expired tokens do not authenticate.
        s.create_token(&u.id, "old", "hash-old", Some(Timestamp(now.millis() - 1)))
            .await
            .unwrap();
        assert!(s
            .authenticate_token("hash-old", now)
            .await
            .unwrap()
            .is_none());
        // Unknown user.
        assert!(matches!(
            s.create_token("usr_missing", "x", "hash-x", None).await,
            Err(StoreError::NotFound { .. })
        ));
        // Roles change; inactive users cannot authenticate; revoked tokens neither.
        assert_eq!(
            s.set_user_role("ana@example.com", Role::Auditor)
                .await
                .unwrap()
                .role,
            Role::Auditor
        );
        s.set_user_active(&u.id, false).await.unwrap();
        assert!(s.authenticate_token("hash-1", now).await.unwrap().is_none());
        s.set_user_active(&u.id, true).await.unwrap();
        let r = s.revoke_token(&t.id).await.unwrap();
        assert!(r.revoked_at.is_some());
        assert!(s.authenticate_token("hash-1", now).await.unwrap().is_none());
        assert_eq!(s.list_tokens(Some(&u.id)).await.unwrap().len(), 2);

        // Sessions.
        s.create_session("sess-1", &u.id, "csrf-1", now.plus_days(1))
            .await
            .unwrap();
        let sess = s.get_session("sess-1", now).await.unwrap().unwrap();
        assert_eq!(
            (sess.csrf.as_str(), sess.user.role),
            ("csrf-1", Role::Auditor)
        );
        assert!(s
            .get_session("sess-1", now.plus_days(2))
            .await
            .unwrap()
            .is_none());
        s.delete_session("sess-1").await.unwrap();
        assert!(s.get_session("sess-1", now).await.unwrap().is_none());

        let viewers = s
            .list_users(
                &UserFilter {
                    role: Some(Role::Auditor),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(viewers.total, 1);
    }
}

#[tokio::test]
async fn bootstrap_happens_once_even_when_racing() {
    for b in backends("bootstrap") {
        let s1 = b.open().await;
        let s2 = b.open().await;
        let (r1, r2) = tokio::join!(
            s1.bootstrap_admin("admin@airm.local", "boot-1"),
            s2.bootstrap_admin("admin@airm.local", "boot-2"),
        );
        let made: Vec<_> = [r1.unwrap(), r2.unwrap()].into_iter().flatten().collect();
        assert_eq!(made.len(), 1, "exactly one instance bootstraps");
        assert_eq!(made[0].role, Role::Admin);
        let ok1 = s1
            .authenticate_token("boot-1", Timestamp::now())
            .await
            .unwrap()
            .is_some();
        let ok2 = s1
            .authenticate_token("boot-2", Timestamp::now())
            .await
            .unwrap()
            .is_some();
        assert!(ok1 ^ ok2);
        assert!(s2
            .bootstrap_admin("admin@airm.local", "boot-3")
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn events_filter_and_persist_across_reopen() {
    for b in backends("events") {
        let s = b.open().await;
        for i in 0..5 {
            s.append_event(event(
                if i < 3 {
                    "system.create"
                } else {
                    "token.revoke"
                },
                "ana",
            ))
            .await
            .unwrap();
        }
        s.append_event(event("auth.login", "bob")).await.unwrap();
        let f = |action: &str| EventFilter {
            action: Some(action.into()),
            ..Default::default()
        };
        assert_eq!(
            s.list_events(&f("system."), Page::default())
                .await
                .unwrap()
                .total,
            3
        );
        assert_eq!(
            s.list_events(&f("token.revoke"), Page::default())
                .await
                .unwrap()
                .total,
            2
        );
        let bob = EventFilter {
            actor: Some("bob".into()),
            ..Default::default()
        };
        let got = s.list_events(&bob, Page::default()).await.unwrap();
        assert_eq!((got.total, got.items[0].seq), (1, 5));
        assert_eq!(got.items[0].details, serde_json::json!({"k": "v"}));
        drop(s);
        // A new instance sees everything committed by the old one.
        let s = b.open().await;
        assert_eq!(s.counts().await.unwrap().events, 6);
        if let Some(dir) = b.sqlite_dir() {
            assert!(dir.join("airm.db").exists());
            let direct = SqliteStore::open_dir(&dir).await.unwrap();
            direct.integrity_check().await.unwrap();
        }
    }
}

#[tokio::test]
async fn bad_database_urls_are_user_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = match airm_store::open(Some("mysql://x"), dir.path()).await {
        Err(e) => e,
        Ok(_) => panic!("mysql url accepted"),
    };
    assert_eq!(e.class(), ErrorClass::User);
    let e = match airm_store::open(Some("postgres://u:pw@127.0.0.1:1/x"), dir.path()).await {
        Err(e) => e,
        Ok(_) => panic!("unreachable postgres accepted"),
    };
    assert!(!e.to_string().contains("pw@"), "password leaked: {e}");
}

#[tokio::test]
async fn ledger_chain_checkpoints_and_append_only() {
    for b in backends("ledger") {
        let s1 = b.open().await;
        let s2 = b.open().await;
        // Many concurrent batches from two instances through group commit.
        let log1 = EventLog::start(s1.clone());
        let log2 = EventLog::start(s2.clone());
        let mut tasks = Vec::new();
        for i in 0..200 {
            let log = if i % 2 == 0 {
                log1.clone()
            } else {
                log2.clone()
            };
            tasks.push(tokio::spawn(async move {
                log.append(event("scan.run", &format!("w{i}")))
                    .await
                    .unwrap()
            }));
        }
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap().seq);
        }
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (0..200).collect::<Vec<i64>>(),
            "acknowledged seqs are unique and gap-free"
        );
        let batch = s1
            .append_events(vec![event("a.b", "x"), event("a.c", "y")])
            .await
            .unwrap();
        assert_eq!((batch[0].event.seq, batch[1].event.seq), (200, 201));
        assert_eq!(batch[1].prev_hash, batch[0].entry_hash);

        let state = s2.ledger_state().await.unwrap();
        assert_eq!(state.size, 202);
        let key = airm_ledger::SigningKey::from_seed([7; 32]);
        let entries = s1.ledger_entries(0, 10_000).await.unwrap();
        let root =
            airm_ledger::verify_entries(&entries, airm_ledger::ChainState::empty(), &[], None)
                .unwrap()
                .root;
        let cp = key.sign_checkpoint(state.size, root, Timestamp::now());
        s1.add_checkpoint(&cp).await.unwrap();
        s2.add_checkpoint(&cp).await.unwrap(); // idempotent
        let cps = s1.checkpoints().await.unwrap();
        assert_eq!(cps, vec![cp.clone()]);
        let summary = airm_ledger::verify_entries(
            &entries,
            airm_ledger::ChainState::empty(),
            &cps,
            Some(&key.public_key()),
        )
        .unwrap();
        assert_eq!(
            (summary.checkpoints_verified, summary.uncovered_tail),
            (1, 0)
        );
        let leaves = s1.leaf_hashes(0, state.size).await.unwrap();
        assert_eq!(leaves.len(), 202);
        assert_eq!(leaves[5], entries[5].leaf_hash());
        let page = s1.ledger_entries(150, 10).await.unwrap();
        assert_eq!(page.first().map(|e| e.event.seq), Some(150));
        assert_eq!(page.len(), 10);
        // The database itself refuses to change or remove entries.
        let last = b
            .raw_exec("UPDATE events SET action = 'x' WHERE seq = 3")
            .await;
        assert!(last.unwrap_err().contains("append-only"));
        let last = b.raw_exec("DELETE FROM events WHERE seq = 3").await;
        assert!(last.unwrap_err().contains("append-only"));
        let last = b.raw_exec("DELETE FROM checkpoints").await;
        assert!(last.unwrap_err().contains("append-only"));
    }
}

#[tokio::test]
async fn verification_names_edited_columns_and_bytes() {
    for b in backends("tamper") {
        let s = b.open().await;
        for i in 0..6 {
            s.append_event(event("system.create", &format!("user{i}")))
                .await
                .unwrap();
        }
        let key = airm_ledger::SigningKey::from_seed([9; 32]);
        airm_store::audit::checkpoint_now(&s, &key).await.unwrap();
        let pk = key.public_key();
        airm_store::audit::verify_store(&s, Some(&pk))
            .await
            .unwrap();
        let drop_guard = match b {
            crate::Backend::Sqlite(_) => "DROP TRIGGER events_no_update",
            crate::Backend::Postgres { .. } => "DROP TRIGGER events_append_only ON events",
        };
        b.raw_exec(drop_guard).await.unwrap();
        // A searchable column edited: named by the index check.
        b.raw_exec("UPDATE events SET actor_id = 'mallory' WHERE seq = 4")
            .await
            .unwrap();
        let e = airm_store::audit::verify_store(&s, Some(&pk))
            .await
            .unwrap_err();
        assert!(
            matches!(e, airm_store::audit::AuditFailure::IndexMismatch { seq: 4 }),
            "{e}"
        );
        b.raw_exec("UPDATE events SET actor_id = 'user4' WHERE seq = 4")
            .await
            .unwrap();
        airm_store::audit::verify_store(&s, Some(&pk))
            .await
            .unwrap();
        // The signed bytes edited: named by the hash chain.
        b.raw_exec(
            "UPDATE events SET canonical = REPLACE(canonical, 'user2', 'userX') WHERE seq = 2",
        )
        .await
        .unwrap();
        let e = airm_store::audit::verify_store(&s, Some(&pk))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("entry 2"), "{e}");
    }
}

#[tokio::test]
async fn verification_names_a_rewritten_link() {
    for b in backends("links") {
        let s = b.open().await;
        for i in 0..4 {
            s.append_event(event("a.b", &format!("u{i}")))
                .await
                .unwrap();
        }
        let drop_guard = match b {
            crate::Backend::Sqlite(_) => "DROP TRIGGER events_no_update",
            crate::Backend::Postgres { .. } => "DROP TRIGGER events_append_only ON events",
        };
        b.raw_exec(drop_guard).await.unwrap();
        b.raw_exec("UPDATE events SET prev_hash = entry_hash WHERE seq = 3")
            .await
            .unwrap();
        let e = airm_store::audit::verify_store(&s, None).await.unwrap_err();
        assert!(
            matches!(e, airm_store::audit::AuditFailure::IndexMismatch { seq: 3 }),
            "{e}"
        );
    }
}

// --- asset facts (discovery inventory; migration 0004) ---

#[tokio::test]
async fn asset_facts_are_replaced_per_asset() {
    for b in backends("facts") {
        let s = b.open().await;
        let a = s.upsert_asset(asset("m", Some("fa"), &[])).await.unwrap();
        assert_eq!(s.asset_facts(&a.id).await.unwrap(), None);
        let f1 = serde_json::json!({"architecture": "llama", "parameters": 7});
        s.set_asset_facts(&a.id, &f1).await.unwrap();
        assert_eq!(s.asset_facts(&a.id).await.unwrap(), Some(f1));
        let f2 = serde_json::json!({"columns": ["email"]});
        s.set_asset_facts(&a.id, &f2).await.unwrap();
        assert_eq!(s.asset_facts(&a.id).await.unwrap(), Some(f2));
        // Facts belong to an existing asset.
        assert!(s
            .set_asset_facts("ast_missing", &serde_json::json!({}))
            .await
            .is_err());
    }
}

// --- gateway virtual keys (airm-gateway) ---

#[tokio::test]
async fn gateway_keys_create_resolve_revoke() {
    for b in backends("gwkeys") {
        let s = b.open().await;
        let missing = s
            .create_gateway_key(
                NewGatewayKey {
                    name: "k".into(),
                    system: "nope".into(),
                    models: vec![],
                    policy: "default".into(),
                    requests_per_minute: None,
                    tokens_per_minute: None,
                    expires_at: None,
                },
                "h0",
            )
            .await
            .unwrap_err();
        assert!(matches!(
            missing,
            StoreError::NotFound { what: "system", .. }
        ));
        let sys = s.create_system(system("Chatbot")).await.unwrap();
        let new = |name: &str, expires_at| NewGatewayKey {
            name: name.into(),
            system: "chatbot".into(),
            models: vec!["gpt-4o*".into()],
            policy: "strict".into(),
            requests_per_minute: Some(60),
            tokens_per_minute: Some(10_000),
            expires_at,
        };
        let k = s
            .create_gateway_key(new("web", None), "hash-1")
            .await
            .unwrap();
        assert!(k.id.starts_with("gwk_"));
        assert_eq!(k.system_id, sys.id);
        let dup = s.create_gateway_key(new("dup", None), "hash-1").await;
        assert!(matches!(dup, Err(StoreError::AlreadyExists { .. })));
        let expired = s
            .create_gateway_key(new("old", Some(Timestamp(1))), "hash-2")
            .await
            .unwrap();
        let now = Timestamp::now();
        let got = s.gateway_key_by_hash("hash-1", now).await.unwrap().unwrap();
        assert_eq!(got, k);
        assert_eq!(got.models, vec!["gpt-4o*".to_string()]);
        assert_eq!(got.requests_per_minute, Some(60));
        assert!(s
            .gateway_key_by_hash("hash-2", now)
            .await
            .unwrap()
            .is_none());
        assert!(s.gateway_key_by_hash("other", now).await.unwrap().is_none());
        let listed = s.list_gateway_keys().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|x| x.id == expired.id));
        let r = s.revoke_gateway_key(&k.id).await.unwrap();
        assert!(r.revoked_at.is_some());
        let again = s.revoke_gateway_key(&k.id).await.unwrap();
        assert_eq!(again.revoked_at, r.revoked_at);
        assert!(s
            .gateway_key_by_hash("hash-1", now)
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            s.revoke_gateway_key("gwk_missing").await,
            Err(StoreError::NotFound { .. })
        ));
    }
}
