import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe('createLogger', () => {
  it('never writes tokens or passwords', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
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
