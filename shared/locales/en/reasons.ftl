# Why a day was held or paid less: one short reason per anti-cheat rule, in the order
# the rules run. The detailed English reasons stay with the record for reviewers.

reason-manual-entry = Manually entered steps need an admin's approval before they earn coins.
reason-relabelled-day = This day was first reported from one source and later from another.
reason-before-signup = This day is before you joined FitKart: its steps count in your history but don't earn coins.
reason-day-never-began = Your time zone change skipped this day, so it doesn't earn coins.
reason-daily-limit = This day has more steps than we credit without a person's check.
reason-new-account-probation = New accounts' biggest days are checked by a person.
reason-hours-missing = The day came without its hourly counts, which your phone usually sends.
reason-hours-stopped = Your phone stopped sending hourly counts.
reason-shared-device = This phone sends steps for another account too.
reason-personal-spike = This day is far above your usual day.
reason-sustained-high-days = Several days in a row far above your usual day.
reason-implausible-stride = The distance doesn't fit the steps.
reason-steps-without-distance = Many steps were recorded without any distance.
reason-calories-per-step = The energy burned doesn't fit the steps.
reason-impossible-cadence = Some hours have more steps than people can walk.
reason-machine-flat-hours = Several hours have almost exactly the same steps, as a machine would.
reason-night-walking = Many steps were recorded in the middle of the night.
reason-lowered-then-raised = The day was lowered and then raised again.
reason-late-backfill = This day was sent long after it happened.
reason-late-increase = This day's steps went up long after it happened.
reason-steady-hours = The steps kept one pace for many hours, as a machine would.
reason-hovering-under-limits = Several recent days sat just under a limit.
reason-unlisted-writer = Most steps came from an app we don't accept steps from.
reason-provenance-shift = Most steps came from an app your recent days never used.
reason-same-hours-as-other-accounts = Other accounts sent exactly the same hours for this day.
reason-implausible-pushes = The pushes don't fit how people push a wheelchair.
reason-anomaly-model = The day looks unlike honest days to our checks.
