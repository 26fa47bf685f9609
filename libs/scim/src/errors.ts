import { Urn } from './constants';

/** RFC 7644 §3.12, Table 9, and RFC 9865 §2.3. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  // RFC 9865 §2.3 (cursor pagination).
  | 'invalidCursor'
  | 'expiredCursor'
  | 'invalidCount';

export interface ScimErrorBody {
  schemas: [typeof Urn.Error];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** Plain data form of an error, safe to put in a job result or a log line. */
export interface ScimErrorData {
  status: number;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  static badRequest(scimType: ScimType, detail: string): ScimError {
    return new ScimError(400, detail, scimType);
  }

  static notFound(detail = 'Resource not found'): ScimError {
    return new ScimError(404, detail);
  }

  static fromData(data: ScimErrorData): ScimError {
    return new ScimError(data.status, data.detail, data.scimType);
  }

  toData(): ScimErrorData {
    return this.scimType
      ? { status: this.status, scimType: this.scimType, detail: this.detail }
      : { status: this.status, detail: this.detail };
  }

  toBody(): ScimErrorBody {
    return scimErrorBody(this.toData());
  }
}

export function scimErrorBody(error: ScimErrorData): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [Urn.Error], status: String(error.status), detail: error.detail };
  if (error.scimType) body.scimType = error.scimType;
  return body;
}
