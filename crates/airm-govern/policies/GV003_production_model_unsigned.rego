# GV003 production-model-unsigned: models used by production systems carry a signature
# that verified. While airm cannot verify signatures (`input.signing.available` is false)
# the policy reports the missing evidence at severity info.
package airm.gv003

import rego.v1

violations contains v if {
	some a in input.assets
	a.production
	a.kind == "model"
	not a.signed_by
	v := {
		"object": a.id,
		"object_type": "asset",
		"severity": severity,
		"message": message(a),
	}
}

severity := "high" if input.signing.available

else := "info"

message(a) := sprintf("production model `%s` has no verified signature", [a.name]) if input.signing.available

else := sprintf("no evidence: production model `%s` has no recorded signature (airm cannot verify model signatures yet)", [a.name])
