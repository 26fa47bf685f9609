import { Writable } from 'node:stream';
import { createLogger } from './logger';

function collect(): { sink: Writable; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { sink, lines };
}

describe('createLogger', () => {
  it('writes LOG_FORMAT=pretty as readable lines, still redacted', () => {
    const { sink, lines } = collect();
    createLogger({ level: 'info', service: 'test', format: 'pretty' }, sink).info(
      { token: 'sf_x' },
      'ingress listening',
    );
    const out = lines.join('');
    expect(out).toMatch(/INFO.*ingress listening/);
    expect(out).not.toMatch(/^\{/);
    expect(out).not.toContain('sf_x');
  });

  it('never writes tokens or passwords', () => {
    const { sink, lines } = collect();
    const logger = createLogger({ level: 'info', service: 'test' }, sink);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer sf_secret_token' } },
        token: 'sf_other',
        body: { password: 'hunter2' },
      },
      'request',
    );
    const out = lines.join('');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('sf_secret_token');
    expect(out).not.toContain('sf_other');
    expect(out).not.toContain('hunter2');
  });
});
