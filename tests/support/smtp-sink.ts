import type { Readable } from 'node:stream';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** An in-process SMTP server that keeps every message it accepts, parsed. */
export class SmtpSink {
  readonly messages: ParsedMail[] = [];
  /** How many of the next messages to refuse with a 451 (a temporary failure). */
  refuseNext = 0;
  refused = 0;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    /** Resolves to the SMTP answer: nothing (accepted) or an error with its response code. */
    const receive = async (stream: Readable): Promise<Error | undefined> => {
      const mail = await simpleParser(stream);
      if (sink && sink.refuseNext > 0) {
        sink.refuseNext--;
        sink.refused++;
        return Object.assign(new Error('Try again later'), { responseCode: 451 });
      }
      sink?.messages.push(mail);
      return undefined;
    };
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        // smtp-server's onData answers through its callback, whatever the promise does.
        // oxlint-disable-next-line promise/no-callback-in-promise
        void receive(stream).then(callback, callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    sink = new SmtpSink(server, address.port);
    return sink;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
