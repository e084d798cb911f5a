/** The bench's handle on the router stub process (bench/router-stub.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import type { StubCommand, StubResults } from './router-stub.js';

export class RouterStub {
  private constructor(
    private readonly child: ChildProcess,
    /** Base URL; wakes go to `${url}/internal/wake`. */
    readonly url: string,
  ) {}

  static async start(): Promise<RouterStub> {
    const child = fork(new URL('./router-stub.ts', import.meta.url).pathname, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: 'inherit' });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`router stub exited with ${code}`)));
    });
    return new RouterStub(child, `http://127.0.0.1:${port}`);
  }

  /** Starts a measurement of `n` distinct wakes; resolves when all arrived, rejects after `timeoutMs`. */
  expect(n: number, timeoutMs: number): Promise<void> {
    this.send({ type: 'expect', n });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onDone);
        reject(new Error(`not all ${n} wakes arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const onDone = (m: { type: string }) => {
        if (m.type !== 'done') return;
        clearTimeout(timer);
        this.child.off('message', onDone);
        resolve();
      };
      this.child.on('message', onDone);
    });
  }

  /** Opens `connections` WebSockets to a chronosd stream at `url`, whose wakes are recorded and acked; resolves once all are open. */
  listen(url: string, headers: Record<string, string>, connections: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const on = (m: { type: string; error?: string }) => {
        if (m.type !== 'connected') return;
        this.child.off('message', on);
        if (m.error) reject(new Error(m.error));
        else resolve();
      };
      this.child.on('message', on);
      this.send({ type: 'listen', url, headers, connections });
    });
  }

  /** Closes the stream connections. */
  unlisten(): void {
    this.send({ type: 'unlisten' });
  }

  /** What arrived since the last expect. */
  results(): Promise<StubResults> {
    return new Promise((resolve) => {
      const on = (m: StubResults) => {
        if (m.type !== 'results') return;
        this.child.off('message', on);
        resolve(m);
      };
      this.child.on('message', on);
      this.send({ type: 'results' });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.disconnect();
    await exited;
  }

  private send(command: StubCommand): void {
    this.child.send(command);
  }
}
