// Where the agents lablb runs inside namespaces live, and how to start one.
import { fileURLToPath } from 'node:url';

export type AgentName = 'http-responder' | 'prober';

export function agentArgv(agent: AgentName, args: string[]): string[] {
  return [process.execPath, fileURLToPath(new URL(`./${agent}.js`, import.meta.url)), ...args];
}

/** The variable that marks every process lablb starts (see model.ts, ServiceBase.token). */
export const TOKEN_VAR = 'LABLB_TOKEN';
