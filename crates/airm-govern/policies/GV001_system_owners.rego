# GV001 system-without-owners: every AI system has an accountable owner and a named risk
# owner, and for high-importance systems (importance 4 or 5) they are different people.
package airm.gv001

import rego.v1

severity(s) := "high" if s.importance >= 4

else := "medium"

violations contains v if {
	some s in input.systems
	s.lifecycle != "retired"
	not s.owner
	v := {
		"object": s.name,
		"object_id": s.id,
		"object_type": "system",
		"severity": severity(s),
		"message": sprintf("AI system `%s` has no accountable owner", [s.name]),
	}
}

violations contains v if {
	some s in input.systems
	s.lifecycle != "retired"
	not s.risk_owner
	v := {
		"object": s.name,
		"object_id": s.id,
		"object_type": "system",
		"severity": severity(s),
		"message": sprintf("AI system `%s` has no named risk owner", [s.name]),
	}
}

violations contains v if {
	some s in input.systems
	s.lifecycle != "retired"
	s.importance >= 4
	lower(s.owner) == lower(s.risk_owner)
	v := {
		"object": s.name,
		"object_id": s.id,
		"object_type": "system",
		"severity": "high",
		"message": sprintf("AI system `%s` has importance %d but its accountable owner and risk owner are the same person (%s)", [s.name, s.importance, s.owner]),
	}
}
