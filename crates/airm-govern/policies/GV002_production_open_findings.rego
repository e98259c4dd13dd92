# GV002 production-asset-with-open-findings: no asset with open critical or high findings
# is used by a production system. Approved, unexpired exceptions suppress the violation.
package airm.gv002

import rego.v1

violations contains v if {
	some a in input.assets
	a.production
	n := a.open_findings.critical + a.open_findings.high
	n > 0
	v := {
		"object": a.id,
		"object_type": "asset",
		"severity": severity(a),
		"message": sprintf("asset `%s` is used in production by %s with %d open critical or high findings", [a.name, concat(", ", a.production_systems), n]),
	}
}

severity(a) := "critical" if a.open_findings.critical > 0

else := "high"
