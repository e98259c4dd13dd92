# GV004 public-llm-without-gateway: public-facing LLM systems are fronted by the airm
# gateway with a guard policy.
package airm.gv004

import rego.v1

violations contains v if {
	some s in input.systems
	s.llm
	s.exposure == "public"
	not s.lifecycle in {"design", "retired"}
	not s.gateway_policy
	v := {
		"object": s.name,
		"object_id": s.id,
		"object_type": "system",
		"message": sprintf("public-facing LLM system `%s` is not fronted by the airm gateway with a guard policy", [s.name]),
	}
}
