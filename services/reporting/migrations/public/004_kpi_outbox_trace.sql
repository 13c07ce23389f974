-- The trace context (W3C traceparent and tracestate) of the work that queued each
-- kpi.updated: the relay publishes the message under a span of that trace and puts its
-- context in the AMQP headers (plumbing.tracing).
ALTER TABLE kpi_outbox ADD COLUMN traceparent text, ADD COLUMN tracestate text;
