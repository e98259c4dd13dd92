//! `airm systems add|list|show|set|link`: the register of AI systems, and which assets
//! they use.

use anyhow::Context as _;

use airm_core::AiSystem;
use airm_store::{NewSystem, Page, SystemFilter, SystemPatch};

use crate::cli::SystemsCmd;
use crate::context::{record, Context};
use crate::output::{Printer, Table};

pub async fn run(cmd: SystemsCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    match cmd {
        SystemsCmd::Add(a) => {
            let sys = store
                .create_system(NewSystem {
                    name: a.name,
                    purpose: a.purpose,
                    owner: a.owner,
                    risk_owner: a.risk_owner,
                    importance: a.importance,
                    lifecycle: a.lifecycle,
                    exposure: a.exposure,
                    data_categories: a.data,
                    eu_ai_act_tier: a.eu_tier,
                    llm: a.llm,
                    gateway_policy: a.gateway_policy,
                    impact_assessed_at: a.impact_assessed,
                    controls: a.controls,
                })
                .await
                .context("cannot register the system")?;
            record(
                &store,
                "system.create",
                Some(&sys.id),
                serde_json::json!({"name": sys.name}),
            )
            .await?;
            p.note(&format!("Registered AI system `{}` ({})", sys.name, sys.id));
            p.data(&sys, || detail(&sys));
        }
        SystemsCmd::List(l) => {
            let filter = SystemFilter {
                query: l.query,
                owner: None,
                lifecycle: l.lifecycle,
                exposure: l.exposure,
                min_importance: l.min_importance,
            };
            let list = store.list_systems(&filter, Page::new(l.limit, 0)).await?;
            p.data(&list.items, || {
                let mut t =
                    Table::new(&["NAME", "IMPORTANCE", "STAGE", "EXPOSURE", "DATA", "OWNER"]);
                for s in &list.items {
                    t.row(vec![
                        s.name.clone(),
                        s.importance.to_string(),
                        s.lifecycle.to_string(),
                        s.exposure.to_string(),
                        categories(s),
                        s.owner.clone().unwrap_or_else(|| "-".into()),
                    ]);
                }
                t.render()
            });
            if list.total > list.items.len() as u64 {
                p.note(&format!(
                    "Showing {} of {} systems (use --limit).",
                    list.items.len(),
                    list.total
                ));
            }
        }
        SystemsCmd::Show { system } => {
            let sys = store
                .get_system(&system)
                .await?
                .with_context(|| format!("no AI system named `{system}`"))?;
            p.data(&sys, || detail(&sys));
        }
        SystemsCmd::Set(s) => {
            let patch = SystemPatch {
                purpose: s.purpose,
                owner: if s.no_owner {
                    Some(None)
                } else {
                    s.owner.map(Some)
                },
                risk_owner: if s.no_risk_owner {
                    Some(None)
                } else {
                    s.risk_owner.map(Some)
                },
                importance: s.importance,
                lifecycle: s.lifecycle,
                exposure: s.exposure,
                data_categories: s.data,
                add_data_categories: s.add_data,
                eu_ai_act_tier: if s.no_eu_tier {
                    Some(None)
                } else {
                    s.eu_tier.map(Some)
                },
                llm: s.llm,
                gateway_policy: if s.no_gateway_policy {
                    Some(None)
                } else {
                    s.gateway_policy.map(Some)
                },
                impact_assessed_at: s.impact_assessed.map(Some),
                controls: None,
                add_controls: s.add_controls,
                remove_controls: s.remove_controls,
            };
            if patch.is_empty() {
                anyhow::bail!(
                    "nothing to change: give at least one option (see `airm systems set --help`)"
                );
            }
            let sys = store
                .update_system(&s.system, &patch, s.if_version)
                .await
                .context("cannot change the system")?;
            record(
                &store,
                "system.update",
                Some(&sys.id),
                serde_json::json!({"name": sys.name, "version": sys.version}),
            )
            .await?;
            p.note(&format!("Updated `{}` (version {})", sys.name, sys.version));
            p.data(&sys, || detail(&sys));
        }
        SystemsCmd::Link { system, assets } => {
            let sys = store
                .get_system(&system)
                .await?
                .with_context(|| format!("no AI system named `{system}`"))?;
            let mut linked = Vec::new();
            for id in &assets {
                let mut a = store
                    .get_asset(id)
                    .await?
                    .with_context(|| format!("no asset with id `{id}`"))?;
                if !a.systems.contains(&sys.name) {
                    a.systems.push(sys.name.clone());
                }
                // Upserting the same asset (same hash, or kind + location) adds the link.
                let a = store.upsert_asset(a).await?;
                record(
                    &store,
                    "asset.link",
                    Some(&a.id),
                    serde_json::json!({"system": sys.name}),
                )
                .await?;
                linked.push(a);
            }
            p.note(&format!(
                "Linked {} asset(s) to `{}`",
                linked.len(),
                sys.name
            ));
            p.data(&linked, || {
                linked
                    .iter()
                    .map(|a| format!("{}  {}  {}\n", a.id, a.name, a.systems.join(",")))
                    .collect()
            });
        }
        SystemsCmd::Raci {
            system,
            assign,
            unassign,
        } => {
            let sys = store
                .get_system(&system)
                .await?
                .with_context(|| format!("no AI system named `{system}`"))?;
            let changes = assign
                .into_iter()
                .map(|(r, p)| (r, p, true))
                .chain(unassign.into_iter().map(|(r, p)| (r, p, false)));
            for (role, person, assigned) in changes {
                store.set_raci(&sys.id, role, &person, assigned).await?;
                record(
                    &store,
                    if assigned {
                        "system.raci.assign"
                    } else {
                        "system.raci.unassign"
                    },
                    Some(&sys.id),
                    serde_json::json!({"name": sys.name, "role": role, "person": person}),
                )
                .await?;
            }
            let list = store.list_raci(Some(&sys.id)).await?;
            p.data(&list, || {
                let mut t = Table::new(&["ROLE", "PERSON"]);
                for r in &list {
                    t.row(vec![r.role.to_string(), r.person.clone()]);
                }
                t.render()
            });
        }
    }
    Ok(0)
}

fn categories(s: &AiSystem) -> String {
    if s.data_categories.is_empty() {
        "-".into()
    } else {
        s.data_categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn detail(s: &AiSystem) -> String {
    let mut t = Table::new(&["FIELD", "VALUE"]);
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    for (k, v) in [
        ("name", s.name.clone()),
        ("id", s.id.clone()),
        (
            "purpose",
            if s.purpose.is_empty() {
                "-".into()
            } else {
                s.purpose.clone()
            },
        ),
        ("owner", opt(&s.owner)),
        ("risk owner", opt(&s.risk_owner)),
        ("importance", format!("{}/5", s.importance)),
        ("lifecycle", s.lifecycle.to_string()),
        ("exposure", s.exposure.to_string()),
        ("data", categories(s)),
        (
            "EU AI Act tier",
            s.eu_ai_act_tier
                .map_or("not classified".into(), |t| t.to_string()),
        ),
        ("LLM", if s.llm { "yes" } else { "no" }.to_string()),
        (
            "gateway policy",
            s.gateway_policy
                .clone()
                .unwrap_or_else(|| "not fronted".into()),
        ),
        (
            "impact assessed",
            s.impact_assessed_at.map_or("never".into(), |t| t.date()),
        ),
        (
            "controls",
            if s.controls.is_empty() {
                "-".into()
            } else {
                s.controls.join(",")
            },
        ),
        ("created", s.created_at.to_string()),
        ("updated", s.updated_at.to_string()),
        ("version", s.version.to_string()),
    ] {
        t.row(vec![k.to_string(), v]);
    }
    t.render()
}
