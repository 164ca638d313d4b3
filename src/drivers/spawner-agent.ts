// lablb's spawner: a small Node process that starts commands for lablb, sent over its IPC
// channel. Node forks its whole address space for every child and blocks until the child has
// exec'd; from lablb's own process, with a large heap and a busy machine, that cost ~3.6 ms of
// its one thread per command (most of a thousand routers' build). Forked from this small
// process it is cheap, and lablb's thread goes on meanwhile. Node's builtins only.
import { runToEnd } from './run-to-end.js';

interface Request {
  id: number;
  argv: string[];
  input?: string;
  env?: Record<string, string>;
  timeoutMs: number;
}

process.on('message', (req: Request) => {
  void runToEnd(req.argv, req.input, req.env, req.timeoutMs).then((finished) => process.send?.({ id: req.id, ...finished }));
});
// lablb gone (its channel closed): nothing more will come.
process.on('disconnect', () => process.exit(0));
