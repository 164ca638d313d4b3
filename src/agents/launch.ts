// Where the agents lablb runs inside namespaces live, and how to start one.
import { join } from 'node:path';
import { AGENT_DIR } from '../paths.js';

export type AgentName = 'http-responder' | 'prober' | 'stream-server';

export function agentArgv(agent: AgentName, args: string[]): string[] {
  return [process.execPath, join(AGENT_DIR, `${agent}.js`), ...args];
}

/** A kind's own agent: `agent.ts` in its folder (node's builtins only, like the agents here). */
export function kindAgentArgv(kind: string, args: string[]): string[] {
  return [process.execPath, join(AGENT_DIR, '..', 'services', kind, 'agent.js'), ...args];
}

/** The variable that marks every process lablb starts (see model.ts, ServiceBase.token). */
export const TOKEN_VAR = 'LABLB_TOKEN';
