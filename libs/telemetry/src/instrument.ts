// Preloaded with `node --require ./dist/instrument.js`: the SDK must patch http, express, pg and
// ioredis before the service's own code loads them. Without OTEL_EXPORTER_OTLP_ENDPOINT it stays off.
import { startNodeSdk } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

if (endpoint) {
  const sdk = startNodeSdk({
    resourceAttributes: { 'service.name': process.env.OTEL_SERVICE_NAME ?? 'scimflow' },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
        scheduledDelayMillis: Number(process.env.OTEL_BSP_SCHEDULE_DELAY ?? 1000),
      }),
    ],
    // Traces only: metrics and logs have their own pipelines (pino to stdout).
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz' }),
      new ExpressInstrumentation(),
      // Statement text only: parameters can hold user data (`enhancedDatabaseReporting` stays off).
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  globalThis.__scimflowTelemetry = { shutdown: () => sdk.shutdown() };
}

declare global {
  var __scimflowTelemetry: { shutdown(): Promise<unknown> } | undefined;
}
