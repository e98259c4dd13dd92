//! `airm rules list|explain`: prints from the one sorted registry of every rule airm has.

use airm_core::RuleMeta;

use crate::cli::RulesCmd;
use crate::output::{Printer, Table};

/// Every rule of every crate, sorted by id.
pub fn registry() -> Vec<&'static RuleMeta> {
    let mut all: Vec<&'static RuleMeta> = airm_scan::rules();
    all.extend(airm_guard::rules());
    all.extend(airm_govern::rules());
    all.extend(airm_gateway::rules());
    all.sort_by_key(|r| r.id);
    all
}

pub fn run(cmd: &RulesCmd, p: &Printer) -> anyhow::Result<u8> {
    let rules = registry();
    match cmd {
        RulesCmd::List { target } => {
            let shown: Vec<&RuleMeta> = rules
                .into_iter()
                .filter(|r| target.is_none_or(|t| r.target == t))
                .collect();
            p.data(&shown, || {
                let mut t = Table::new(&["ID", "NAME", "SEVERITY", "STATUS", "SUMMARY"]);
                for r in &shown {
                    t.row(vec![
                        r.id.into(),
                        r.name.into(),
                        r.severity.to_string(),
                        r.status.to_string(),
                        r.summary.into(),
                    ]);
                }
                t.render()
            });
        }
        RulesCmd::Explain { id } => {
            let rule = rules
                .into_iter()
                .find(|r| r.id.eq_ignore_ascii_case(id) || r.name == id)
                .ok_or_else(|| anyhow::anyhow!("no rule `{id}` (see `airm rules list`)"))?;
            p.data(rule, || rule.to_markdown());
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_is_valid() {
        airm_core::validate_registry(&super::registry()).unwrap();
    }
}
