import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('scimflow');

/** The active span's W3C traceparent, to carry across a queue; undefined when tracing is off. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * Starts a span in the trace of the request that issued a queued command. Batched commands
 * share one job span (and its SQL spans); this gives each request its own span for the work,
 * linked to that shared job span.
 */
export function startSpanFromTraceparent(
  name: string,
  traceparent: string | undefined,
  attributes: Record<string, string>,
): Span {
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  const shared = trace.getActiveSpan()?.spanContext();
  return tracer.startSpan(name, { attributes, links: shared ? [{ context: shared }] : [] }, parent);
}

export function endSpan(span: Span, error?: string): void {
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end();
}

/**
 * BullMQ's OpenTelemetry integration, when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT): without an
 * exporter it would still propagate context and make no-op spans for every job.
 */
export function queueTelemetry<T>(endpoint: string | undefined, make: () => T): { telemetry?: T } {
  return endpoint ? { telemetry: make() } : {};
}
