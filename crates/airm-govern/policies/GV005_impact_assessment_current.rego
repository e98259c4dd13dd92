# GV005 impact-assessment-missing-or-stale: systems processing personal, special-category
# or children's data have a completed impact assessment younger than 12 months.
package airm.gv005

import rego.v1

personal := {"personal", "special-category", "children"}

max_age_days := 365

day_ms := 86400000

processes_personal(s) if {
	some c in s.data_categories
	c in personal
}

violations contains v if {
	some s in input.systems
	not s.lifecycle in {"design", "retired"}
	processes_personal(s)
	not s.impact_assessed_ms
	v := {
		"object": s.name,
		"object_id": s.id,
		"object_type": "system",
		"message": sprintf("AI system `%s` processes personal data but has no completed impact assessment", [s.name]),
	}
}

violations contains v if {
	some s in input.systems
	not s.lifecycle in {"design", "retired"}
	processes_personal(s)
	age_days := floor((input.now_ms - s.impact_assessed_ms) / day_ms)
	age_days > max_age_days
	v := {
		"object": s.name,
		"object_id": s.id,
		"object_type": "system",
		"message": sprintf("AI system `%s` processes personal data and its last impact assessment is %d days old (limit %d)", [s.name, age_days, max_age_days]),
	}
}
