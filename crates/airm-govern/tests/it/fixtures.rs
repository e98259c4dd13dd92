//! Every built-in policy fires on each of its `bad_*` input documents and stays silent on
//! each `ok_*` one (suppressed violations count as silent).

use airm_govern::{builtin_policies, PolicySet};

use crate::{fixtures_dir, read_json};

#[test]
fn every_builtin_policy_passes_and_fails_its_fixtures() {
    let mut set = PolicySet::new(&[]).unwrap();
    for p in builtin_policies() {
        let dir = fixtures_dir().join(p.meta.id);
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let (mut ok, mut bad) = (0, 0);
        for name in names {
            let eval = set.evaluate(read_json(&dir.join(&name)));
            assert!(eval.errors.is_empty(), "{name}: {:?}", eval.errors);
            let hits: Vec<_> = eval.active().filter(|v| v.policy == p.meta.id).collect();
            if name.starts_with("bad_") {
                bad += 1;
                assert!(
                    !hits.is_empty(),
                    "{} {name}: expected a violation",
                    p.meta.id
                );
            } else if name.starts_with("ok_") {
                ok += 1;
                assert!(hits.is_empty(), "{} {name}: unexpected {hits:?}", p.meta.id);
            } else {
                panic!("fixture {name} must start with ok_ or bad_");
            }
        }
        assert!(
            ok > 0 && bad > 0,
            "{} needs ok_ and bad_ fixtures",
            p.meta.id
        );
    }
}

#[test]
fn violations_of_bad_fixtures_snapshot() {
    let mut set = PolicySet::new(&[]).unwrap();
    let mut lines = Vec::new();
    for p in builtin_policies() {
        let dir = fixtures_dir().join(p.meta.id);
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("bad_"))
            .collect();
        names.sort();
        for name in names {
            for v in set.evaluate(read_json(&dir.join(&name))).violations {
                lines.push(format!(
                    "{}/{name}: {} {} {} -- {}",
                    p.meta.id, v.policy, v.severity, v.object, v.message
                ));
            }
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn active_exception_suppresses_and_expired_does_not() {
    let mut set = PolicySet::new(&[]).unwrap();
    let eval = set.evaluate(read_json(
        &fixtures_dir().join("GV002/ok_active_exception.json"),
    ));
    let v = eval
        .violations
        .iter()
        .find(|v| v.policy == "GV002")
        .unwrap();
    assert_eq!(v.suppressed_by.as_deref(), Some("exc_1"));
    assert_eq!(eval.max_severity(), None);
    let eval = set.evaluate(read_json(
        &fixtures_dir().join("GV002/bad_expired_exception.json"),
    ));
    let v = eval
        .violations
        .iter()
        .find(|v| v.policy == "GV002")
        .unwrap();
    assert_eq!(v.suppressed_by, None);
    assert_eq!(eval.max_severity(), Some(airm_core::Severity::High));
}

#[test]
fn disabled_policies_do_not_run() {
    let doc = read_json(&fixtures_dir().join("GV004/bad_public_unfronted.json"));
    let mut set = PolicySet::new(&["GV004".into()]).unwrap();
    let eval = set.evaluate(doc);
    assert!(eval.violations.iter().all(|v| v.policy != "GV004"));
    assert!(!eval.policies.contains(&"GV004".to_string()));
}
