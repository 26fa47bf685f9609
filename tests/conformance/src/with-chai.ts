/** The parts of a Postman collection the patch below looks at. */
export interface CollectionItem {
  name?: string;
  item?: CollectionItem[];
  event?: { script?: { exec?: string[] } }[];
}

/**
 * The collection's Runscope-era script uses a global `chai`; newman's sandbox offers chai only
 * through require('chai'), so that script fails against any server. This adds that one line to
 * scripts using it, and changes nothing else: every assertion runs as Okta wrote it.
 */
export function withChai(collection: CollectionItem): { collection: CollectionItem; patched: number } {
  let patched = 0;
  const patchScript = (exec: string[] | undefined): string[] | undefined => {
    if (!exec?.some((line) => /\bchai\./.test(line)) || exec.some((line) => line.includes("require('chai')")))
      return undefined;
    patched++;
    return ["var chai = require('chai');", ...exec];
  };
  const visit = (item: CollectionItem): CollectionItem => ({
    ...item,
    ...(item.item ? { item: item.item.map(visit) } : {}),
    ...(item.event
      ? {
          event: item.event.map((event) => {
            const exec = patchScript(event.script?.exec);
            return exec ? { ...event, script: { ...event.script, exec } } : event;
          }),
        }
      : {}),
  });
  return { collection: visit(collection), patched };
}
