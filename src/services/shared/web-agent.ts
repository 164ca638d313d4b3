// lablb's own servers (agents/), started in a node: what http-text, http-whoami and tcp-stream
// share.
import { z } from 'zod';
import { agentArgv, kindAgentArgv, type AgentName } from '../../agents/launch.js';
import type { ServiceContext } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import type { Op } from '../../kinds/ops.js';
import { netns } from '../../runtime/netns/netns.js';
import { TOKEN_VAR } from '../../token.js';

/** "10.0.0.81:80" */
export const Endpoint = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, { error: 'an address:port such as 10.0.0.81:80' })
  .meta({ title: 'address:port' });

export interface Listen {
  address: string;
  port: number;
}

export function resolveListen(listen: string, ctx: ServiceContext): Listen {
  const [address, port] = listen.split(':');
  if (Number(port) < 1 || Number(port) > 65535) ctx.report(['listen'], `port ${port} is out of range 1-65535`);
  return { address, port: Number(port) };
}

/** A program of lablb's run in the service's node: marked with its token, ready once it has
 *  written its pid file (after it has bound what it serves). */
function agentDaemon(s: LabService, argv: string[]): Op {
  return {
    kind: 'daemon',
    argv: netns.exec(s.node, [...argv, '--pidfile', s.pidfile]),
    env: { [TOKEN_VAR]: s.token },
    ready: s.pidfile,
    logfile: s.logfile,
    creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token, pidfile: s.pidfile }],
  };
}

/** One of lablb's agents as a service's daemon: it listens, then writes its pid file. */
export function startAgent(s: LabService<Listen>, agent: AgentName, args: string[]): Op[] {
  return [agentDaemon(s, agentArgv(agent, ['--listen', `${s.spec.address}:${s.spec.port}`, ...args]))];
}

/** A kind's own agent (its folder's agent.ts) as the service's daemon. */
export function startKindAgent(s: LabService, kind: string, args: string[]): Op {
  return agentDaemon(s, kindAgentArgv(kind, args));
}
