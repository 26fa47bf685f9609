import type { Response } from 'express';
import { noteScimError } from './response-locals';
import { formatVersion, scimErrorBody, type ScimErrorData, type StoredResource } from '@scimflow/scim';

const CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Writes a SCIM JSON body directly (Express's res.json adds work SCIM responses don't need). */
export function sendScim(res: Response, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/** Starts a streamed SCIM body: no Content-Length, so Node sends it chunked. */
export function startScimStream(res: Response, status: number): void {
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPE);
}

export function sendScimError(res: Response, error: ScimErrorData): void {
  noteScimError(res, error);
  sendScim(res, error.status, scimErrorBody(error));
}

/** RFC 7644 §3.14: the ETag header carries the same version as meta.version. */
export function setVersionHeaders(res: Response, resource: StoredResource): void {
  res.setHeader('ETag', formatVersion(resource.version));
}
