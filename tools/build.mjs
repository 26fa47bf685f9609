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
  bench: 'tests/bench/src/main.ts',
  'bench-baseline': 'tests/bench/src/baseline-server.ts',
};

export async function buildAll() {
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(root, file)])),
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
  await buildAll();
}
