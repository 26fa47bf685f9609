import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Paths pino blanks before writing: tokens and passwords must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'adminToken',
  'config.adminToken',
];

export function createLogger(
  options: { level: string; service: string; format?: 'json' | 'pretty' },
  destination?: DestinationStream,
): Logger {
  // pretty: formatted in-process (no transport thread to resolve inside the bundled build).
  const stream =
    options.format === 'pretty'
      ? pretty({ colorize: destination === undefined, sync: true, ...(destination ? { destination } : {}) })
      : destination;
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Lets an operator jump from a log line to the request's trace in Jaeger.
      mixin() {
        const context = trace.getActiveSpan()?.spanContext();
        return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
      },
    },
    stream,
  );
}
