export interface ScimResponse {
  readonly status: number;
  readonly headers: Headers;
  // Tests inspect arbitrary JSON; a loose record keeps assertions readable.
  readonly body: Record<string, unknown> & { Resources?: Record<string, unknown>[] };
  readonly text: string;
}

/** What an identity provider does: bearer token, SCIM media type, JSON bodies. */
export class ScimClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  withToken(token: string): ScimClient {
    return new ScimClient(this.baseUrl, token);
  }

  get(path: string, headers: Record<string, string> = {}): Promise<ScimResponse> {
    return this.request('GET', path, undefined, headers);
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<ScimResponse> {
    return this.request('POST', path, body, headers);
  }

  put(path: string, body: unknown, headers: Record<string, string> = {}): Promise<ScimResponse> {
    return this.request('PUT', path, body, headers);
  }

  patch(path: string, operations: unknown[], headers: Record<string, string> = {}): Promise<ScimResponse> {
    return this.request(
      'PATCH',
      path,
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations },
      headers,
    );
  }

  delete(path: string, headers: Record<string, string> = {}): Promise<ScimResponse> {
    return this.request('DELETE', path, undefined, headers);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ScimResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/scim+json',
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: ScimResponse['body'] = {};
    if (text) {
      try {
        parsed = JSON.parse(text) as ScimResponse['body'];
      } catch {
        parsed = {};
      }
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }
}
