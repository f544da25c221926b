/**
 * A real SMTP server on 127.0.0.1 (smtp-server) for tests: keeps what it
 * receives, and can refuse (@refuse.example) or hold (@hold.example)
 * recipients. Started and stopped by the test that uses it.
 */
import { SMTPServer, type SMTPServerSession } from "smtp-server";

export const FROM = "invites@relay.example";
export const SMTP_USER = "grove-relay";
export const SMTP_PASS = "smtp-Pa55-9d1e";

export interface Received {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives and can refuse or stall recipients. */
export class TestSmtp {
  readonly received: Received[] = [];
  connections = 0;
  /** Recipients held at RCPT TO until released: a server that has not answered yet. */
  readonly held: (() => void)[] = [];
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<TestSmtp> {
    let self: TestSmtp | undefined;
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      authMethods: ["PLAIN", "LOGIN"],
      onConnect(_session, callback) {
        self!.connections++;
        callback();
      },
      onAuth(auth, _session, callback) {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASS) {
          return callback(null, { user: auth.username });
        }
        callback(new Error("bad credentials"));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith("@refuse.example")) {
          const err = Object.assign(new Error("no such mailbox here"), { responseCode: 550 });
          return callback(err);
        }
        if (address.address.endsWith("@hold.example")) {
          self!.held.push(() => callback());
          return;
        }
        callback();
      },
      onData(stream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const from = session.envelope.mailFrom;
          self!.received.push({
            mailFrom: from ? from.address : "",
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
          });
          callback(null, "queued");
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.server.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
    self = new TestSmtp(server, port);
    return self;
  }

  get url(): string {
    return `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    for (const release of this.held.splice(0)) release();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
