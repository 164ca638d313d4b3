// The namespace runtime: a node that is a network namespace of its own, nothing more. Its
// members are made in one `ip -batch` and reached by name (netns.ts).
import type { MemberRuntime } from '../runtime.js';
import { netns } from './netns.js';

export const namespaceRuntime: MemberRuntime = {
  name: 'netns',
  description: 'a network namespace of its own',
  fields: {},
  resolve: () => undefined,
  joinsAtRunTime: true,
  tools: [],
  create: (_lab, nodes) => [
    { id: 'members:netns', title: `Namespaces: one per node (${nodes.length})`, after: [], ops: [netns.create(nodes.map((n) => n.name))] },
  ],
  // It makes no ops of its own: everything it does is a plain command.
  apply: async () => {
    throw new Error('the namespace runtime has no ops of its own');
  },
  inNetwork: (node, argv) => netns.execNet(node.name, argv),
  enter: async (node, argv) => netns.exec(node.name, argv),
};
