"""Prometheus metrics of the notifications service.

- ``kerjasama_notifications_sent_total{channel, rule}``: deliveries sent;
- ``kerjasama_notifications_failed_total{channel, rule}``: deliveries that stay failed
  after the last attempt (``channel="none"``: the recipient has no address);
- ``kerjasama_notifications_attempt_errors_total{channel, rule}``: failed attempts,
  retried or not;
- ``kerjasama_notifications_send_seconds{channel}``: time of one attempt;
- ``kerjasama_notifications_backlog``: deliveries pending or being sent (whole database);
- ``kerjasama_notifications_recorded_total{rule, source}``: notices recorded, by event
  or by the scheduler.
- ``kerjasama_notifications_skipped_total{rule}``: deliveries recorded as skipped, not
  sent (old history).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SENT = Counter("kerjasama_notifications_sent_total", "Notifications delivered, by channel "
               "and rule.", ["channel", "rule"])
FAILED = Counter("kerjasama_notifications_failed_total", "Notifications that stay failed "
                 "after their last attempt, by channel and rule.", ["channel", "rule"])
ATTEMPT_ERRORS = Counter("kerjasama_notifications_attempt_errors_total", "Failed delivery "
                         "attempts (retried or final), by channel and rule.",
                         ["channel", "rule"])
SEND_SECONDS = Histogram("kerjasama_notifications_send_seconds", "Time of one delivery "
                         "attempt.", ["channel"],
                         buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
BACKLOG = Gauge("kerjasama_notifications_backlog", "Deliveries pending or being sent.")
RECORDED = Counter("kerjasama_notifications_recorded_total", "Notices recorded (each fires "
                   "once), by rule and source (event or schedule).", ["rule", "source"])
SKIPPED = Counter("kerjasama_notifications_skipped_total", "Deliveries recorded as skipped "
                  "and not sent (notices of old history), by rule.", ["rule"])
