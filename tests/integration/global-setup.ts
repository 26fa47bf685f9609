import { execFileSync } from 'node:child_process';
import path from 'node:path';
import globalSetup from '../support/global-setup';

/** The shared setup, plus one build of dist/ for the suites that run the services as processes. */
export default async function integrationGlobalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  execFileSync(process.execPath, [path.join(root, 'tools/build.mjs')], { cwd: root, stdio: 'inherit' });
  await globalSetup();
}
