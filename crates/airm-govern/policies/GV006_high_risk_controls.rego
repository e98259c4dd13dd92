# GV006 high-risk-system-without-oversight: systems in the EU AI Act high-risk tier have
# human-oversight (Art. 14) and logging (Art. 12) controls recorded.
package airm.gv006

import rego.v1

required := ["human-oversight", "logging"]

violations contains v if {
	some s in input.systems
	s.eu_ai_act_tier == "high"
	s.lifecycle != "retired"
	some c in required
	not c in s.controls
	v := {
		"object": s.name,
		"object_id": s.id,
		"object_type": "system",
		"message": sprintf("high-risk AI system `%s` has no `%s` control recorded", [s.name, c]),
	}
}
