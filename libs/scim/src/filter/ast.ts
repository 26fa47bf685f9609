/** `[uri:]attr[.sub]` (RFC 7644 §3.10). `uri` is kept as written; resolution happens against a schema. */
export interface AttrPath {
  readonly uri?: string;
  readonly attr: string;
  readonly sub?: string;
}

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompValue = string | number | boolean | null;

export type FilterNode =
  | { readonly type: 'compare'; readonly path: AttrPath; readonly op: CompareOp; readonly value: CompValue }
  | { readonly type: 'present'; readonly path: AttrPath }
  | { readonly type: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly type: 'not'; readonly operand: FilterNode }
  /** `emails[type eq "work"]`: some element of a multi-valued attribute matches `filter` (paths inside are relative). */
  | { readonly type: 'valuePath'; readonly path: AttrPath; readonly filter: FilterNode };

export const compareOps: ReadonlySet<string> = new Set<CompareOp>([
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'ge',
  'lt',
  'le',
]);

export function isCompareOp(op: string): op is CompareOp {
  return compareOps.has(op);
}

export function formatAttrPath(path: AttrPath): string {
  const name = path.sub ? `${path.attr}.${path.sub}` : path.attr;
  return path.uri ? `${path.uri}:${name}` : name;
}
