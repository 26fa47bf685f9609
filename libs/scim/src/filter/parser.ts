import { ScimError } from '../errors';
import { isCompareOp, type AttrPath, type CompValue, type FilterNode } from './ast';
import { isStorableText } from '../storable-text';
import { tokenize, type Token } from './lexer';

/** A PATCH target (RFC 7644 §3.5.2): `attrPath` or `attrPath[valFilter]`, either optionally followed by `.sub`. */
export interface PatchPath {
  readonly path: AttrPath;
  /** Selects elements of the multi-valued attribute `path.attr`. */
  readonly filter?: FilterNode;
}

const ATTR_NAME = /^[A-Za-z$][A-Za-z0-9_$-]*$/;
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const MAX_DEPTH = 64;

type ErrorKind = 'invalidFilter' | 'invalidPath';

/** Parses a `filter` query parameter into an AST (RFC 7644 §3.4.2.2). Throws `400 invalidFilter`. */
export function parseFilter(text: string): FilterNode {
  const parser = new Parser(tokenize(text, 'invalidFilter'), 'invalidFilter');
  if (parser.atEnd()) throw ScimError.badRequest('invalidFilter', 'Filter is empty');
  const node = parser.parseOr(0, false);
  parser.expectEnd();
  return node;
}

/** Parses a PATCH `path`. Throws `400 invalidPath`. */
export function parsePatchPath(text: string): PatchPath {
  const parser = new Parser(tokenize(text, 'invalidPath'), 'invalidPath');
  const result = parser.parsePatchPath();
  parser.expectEnd();
  return result;
}

/** Splits `urn:...:attr.sub` or `attr.sub`. The last `:` ends the URN because attribute names can't contain one. */
export function parseAttrPath(word: string, kind: ErrorKind): AttrPath {
  let uri: string | undefined;
  let rest = word;
  if (/^urn:/i.test(word)) {
    const colon = word.lastIndexOf(':');
    uri = word.slice(0, colon);
    rest = word.slice(colon + 1);
  }
  const parts = rest.split('.');
  const [attr, sub] = parts;
  if (parts.length > 2 || !attr || !ATTR_NAME.test(attr) || (sub !== undefined && !ATTR_NAME.test(sub))) {
    throw ScimError.badRequest(kind, `'${word}' is not a valid attribute path`);
  }
  return { ...(uri ? { uri } : {}), attr, ...(sub ? { sub } : {}) };
}

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly kind: ErrorKind,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  expectEnd(): void {
    const token = this.tokens[this.pos];
    if (token) this.fail(`Unexpected ${describe(token)} at position ${token.at + 1}`);
  }

  parsePatchPath(): PatchPath {
    const path = this.parsePathWord();
    if (this.peek()?.kind !== '[') return { path };
    if (path.sub) this.fail(`A value filter can't follow the sub-attribute in '${path.attr}.${path.sub}'`);
    this.pos++;
    const filter = this.parseOr(1, true);
    this.expect(']');
    const sub = this.parseTrailingSub();
    return { path: sub ? { ...path, sub } : path, filter };
  }

  /** or-expression; `and` binds tighter than `or` (RFC 7644 §3.4.2.2, Table 5). */
  parseOr(depth: number, inValuePath: boolean): FilterNode {
    let left = this.parseAnd(depth, inValuePath);
    while (this.peekKeyword('or')) {
      this.pos++;
      left = { type: 'or', left, right: this.parseAnd(depth, inValuePath) };
    }
    return left;
  }

  private parseAnd(depth: number, inValuePath: boolean): FilterNode {
    let left = this.parseUnary(depth, inValuePath);
    while (this.peekKeyword('and')) {
      this.pos++;
      left = { type: 'and', left, right: this.parseUnary(depth, inValuePath) };
    }
    return left;
  }

  private parseUnary(depth: number, inValuePath: boolean): FilterNode {
    if (depth > MAX_DEPTH) this.fail(`Expression nests deeper than ${MAX_DEPTH} levels`);
    if (this.peekKeyword('not') && this.tokens[this.pos + 1]?.kind === '(') {
      this.pos++;
      return { type: 'not', operand: this.parseGroup(depth, inValuePath) };
    }
    if (this.peek()?.kind === '(') return this.parseGroup(depth, inValuePath);
    return this.parseAttributeExpression(depth, inValuePath);
  }

  private parseGroup(depth: number, inValuePath: boolean): FilterNode {
    this.expect('(');
    const node = this.parseOr(depth + 1, inValuePath);
    this.expect(')');
    return node;
  }

  private parseAttributeExpression(depth: number, inValuePath: boolean): FilterNode {
    const path = this.parsePathWord();
    if (this.peek()?.kind === '[') {
      if (inValuePath) this.fail('Value filters cannot be nested');
      if (path.sub) this.fail(`A value filter can't follow the sub-attribute in '${path.attr}.${path.sub}'`);
      this.pos++;
      const filter = this.parseOr(depth + 1, true);
      this.expect(']');
      // Entra sends `emails[type eq "work"].value eq "x"`: the element must match both parts.
      const sub = this.parseTrailingSub();
      if (!sub) return { type: 'valuePath', path, filter };
      const condition = this.parseCondition({ attr: sub });
      return { type: 'valuePath', path, filter: { type: 'and', left: filter, right: condition } };
    }
    return this.parseCondition(path);
  }

  private parseCondition(path: AttrPath): FilterNode {
    const opToken = this.next('an operator');
    const op = opToken.kind === 'word' ? opToken.value.toLowerCase() : '';
    if (op === 'pr') return { type: 'present', path };
    if (!isCompareOp(op)) return this.fail(`Unknown operator ${describe(opToken)} at position ${opToken.at + 1}`);
    return { type: 'compare', path, op, value: this.parseValue() };
  }

  private parseValue(): CompValue {
    const token = this.next('a comparison value');
    if ((token.kind === 'string' || token.kind === 'word') && !isStorableText(token.value)) {
      this.fail(`The value at position ${token.at + 1} contains a NUL character or an unpaired surrogate`);
    }
    if (token.kind === 'string') return token.value;
    if (token.kind !== 'word') return this.fail(`Expected a comparison value at position ${token.at + 1}`);
    const lower = token.value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (JSON_NUMBER.test(token.value)) return Number(token.value);
    // Entra has been seen sending `externalId eq jyoung`; an unquoted word is read as a string.
    return token.value;
  }

  private parseTrailingSub(): string | undefined {
    const token = this.peek();
    if (token?.kind !== 'word' || !token.value.startsWith('.')) return undefined;
    this.pos++;
    const sub = token.value.slice(1);
    if (!ATTR_NAME.test(sub)) this.fail(`'${token.value}' is not a valid sub-attribute`);
    return sub;
  }

  private parsePathWord(): AttrPath {
    const token = this.next('an attribute path');
    if (token.kind !== 'word') return this.fail(`Expected an attribute path at position ${token.at + 1}`);
    return parseAttrPath(token.value, this.kind);
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private peekKeyword(keyword: string): boolean {
    const token = this.tokens[this.pos];
    return token?.kind === 'word' && token.value.toLowerCase() === keyword;
  }

  private next(expected: string): Token {
    const token = this.tokens[this.pos++];
    if (!token) return this.fail(`Expected ${expected} but the expression ended`);
    return token;
  }

  private expect(kind: '(' | ')' | '[' | ']'): void {
    const token = this.tokens[this.pos++];
    if (token?.kind !== kind)
      this.fail(
        token ? `Expected '${kind}' at position ${token.at + 1}` : `Expected '${kind}' but the expression ended`,
      );
  }

  private fail(detail: string): never {
    throw ScimError.badRequest(this.kind, detail);
  }
}

function describe(token: Token): string {
  if (token.kind === 'word') return `'${token.value}'`;
  if (token.kind === 'string') return `string ${JSON.stringify(token.value)}`;
  return `'${token.kind}'`;
}
