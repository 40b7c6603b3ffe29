/** A baseline server in its own process (one of bench/lib/*-server.ts): it prints {"port"} on stdout when it listens. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildServer { port: number; pid: number | undefined; stop(): Promise<void> }

export async function startServer(script: string, args: string[] = []): Promise<ChildServer> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${script} did not listen within 20 s`)); }, 20_000);
    child.stdout!.once('data', (d: Buffer) => { clearTimeout(timer); resolve((JSON.parse(d.toString()) as { port: number }).port); });
    void exited.then(() => { clearTimeout(timer); reject(new Error(`${script} exited before listening`)); });
  });
  return { port, pid: child.pid, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; } };
}
