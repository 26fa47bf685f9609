/** Flushes spans if the preloaded SDK is running (see instrument.ts); a no-op otherwise. */
export async function shutdownTelemetry(): Promise<void> {
  await globalThis.__scimflowTelemetry?.shutdown();
}
