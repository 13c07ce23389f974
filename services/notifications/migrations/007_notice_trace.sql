-- The trace context (W3C traceparent and tracestate) of the work that recorded each notice:
-- the event's consumer span, so that its deliveries are sent in that trace
-- (plumbing.tracing). Notices of the scheduler start traces of their own.
ALTER TABLE notices ADD COLUMN traceparent text, ADD COLUMN tracestate text;
