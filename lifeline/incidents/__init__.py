"""事件 (incidents): fault reports, incidents run by their plan, timers, escalation, checklists,
duty cards, the outbox and the timeline.

The modules, top down; each imports only the ones below it, never one above or beside it in
a circle (function-level imports included):

    api, views, admin, tasks   HTTP, pages, admin, the worker's jobs: thin, over the actions
    vendor_api, vendor_views,  the vendors' pages and API (承建单位), and the template tags of
    templatetags               the dashboard (attention) and the incident page (vendors)
    firing        when a timer goes off: fire_due_timers, perform (may call any action below)
    lifecycle     open_incident, attach_report (triage), reclassify, set_level (tells the
                  level's roles; raised, hand_command), transition, fill_roles, assign, add_note
    checklist     the scenario: start_scenario, tick, skip, reassign, tree_position, answer
    escalation    schedule_on_open, schedule_repeat, schedule_renotify, schedule_overdue_step,
                  page, page_chain (the whole chain again while unacknowledged), tell_level (a
                  level's notify roles through its channels), page_overdue_step,
                  step_recipients, commander, notify
    cards         duty cards: activate_cards, acknowledge_card, may_acknowledge_card, ...
    vendors       承建单位: commit (a vendor's repair time), notify_overdue (the worker, once per
                  commitment), items and workbook (the vendor view, overdue first)
    timers        durable timers: schedule, schedule_sla, move_sla_timers, schedule_plan_timers,
                  add_reminder, cancel_after, cancel_step_timers, end
    leaves        intake (submit_report), levels (classification, find_level, set_deadlines),
                  outbox (write, page_body, tell_reporters), roles (lead_role, find_member,
                  holder), locking (locked, require_open), timeline (record), tracking (the
                  read-side queries of the tracking table and the dashboard; vendor_roles),
                  attention (what apps above ask the dashboard to show in red: a registry)
    models
    wording       role_title, in_plan_language (below the models: they use it)

A lower action never calls a higher one: it sets a timer (a row naming an action kind) and
firing, at the top, performs it. Refusals are lifeline.core.errors.Refused.
"""
