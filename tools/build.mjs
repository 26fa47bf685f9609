// Bundles each runnable entry point into dist/<name>.js. Our own libs are inlined (tsconfig
// paths); npm packages stay external so OpenTelemetry's require hooks can patch them.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export const entries = {
  instrument: 'libs/telemetry/src/instrument.ts',
  migrate: 'libs/db/src/migrate-cli.ts',
  ingress: 'services/ingress/src/main.ts',
  admin: 'services/ingress/src/admin-cli.ts',
  worker: 'services/worker/src/main.ts',
  notifier: 'services/notifier/src/main.ts',
  bench: 'tests/bench/src/main.ts',
  'bench-baseline': 'tests/bench/src/baseline-server.ts',
  'bench-floor': 'tests/bench/src/shape-floor.ts',
  'bench-group-floor': 'tests/bench/src/group-commit-floor.ts',
  conformance: 'tests/conformance/src/main.ts',
  fuzz: 'tests/fuzz/src/main.ts',
};

/** Builds the named entries (all of them by default), e.g. `node tools/build.mjs ingress worker`. */
export async function buildAll(names = Object.keys(entries)) {
  const unknown = names.filter((name) => !(name in entries));
  if (unknown.length > 0) throw new Error(`unknown entries: ${unknown.join(', ')}`);
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(names.map((name) => [name, path.join(root, entries[name])])),
    outdir: path.join(root, 'dist'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  await buildAll(names.length > 0 ? names : undefined);
}
