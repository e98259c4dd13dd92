# GV007 alert-past-sla-not-escalated: open alerts older than their SLA are escalated.
package airm.gv007

import rego.v1

hour_ms := 3600000

violations contains v if {
	some a in input.alerts
	a.status == "open"
	not a.escalated
	age_hours := floor((input.now_ms - a.opened_ms) / hour_ms)
	age_hours >= a.sla_hours
	v := {
		"object": a.id,
		"object_type": "alert",
		"message": sprintf("alert `%s` on `%s` has been open %d hours, past its %d-hour SLA, and is not escalated", [a.id, a.system, age_hours, a.sla_hours]),
	}
}
