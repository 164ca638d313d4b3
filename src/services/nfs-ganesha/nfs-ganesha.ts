// A Manila share server's NFS: nfs-ganesha (userspace NFSv4, the kernel's server is the host's
// and cannot serve a namespace of its own) exporting one directory in the node's dir as
// /<share>. Everything it would keep host-wide (recovery state, credential cache, id mapping)
// is kept in the node's dir instead, and no rpcbind or dbus is needed: NFSv4 only.
import { join } from 'node:path';
import { z } from 'zod';
import { Name } from '../../kinds/fields.js';
import { serviceKind, type Row } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { netns } from '../../runtime/netns/netns.js';
import { TOKEN_VAR } from '../../token.js';

export interface NfsGaneshaSpec {
  share: string;
  /** The exported directory, in the node's dir. */
  exportDir: string;
  /** Its own state: the config, recovery, credential cache, id mapping. */
  stateDir: string;
}

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('nfs-ganesha'),
    share: Name.describe("the share: exported as /<share> (NFSv4 pseudo path), from a directory in the node's dir"),
  })
  .describe("nfs-ganesha serving one share over NFSv4 (a Manila share server's export)");

/** ganesha's config: NFSv4 only (no rpcbind, no lock manager, no quota), one export, its state
 *  under `stateDir`. Only names checked by the schema and paths lablb made reach it. */
export function renderGaneshaConfig(spec: NfsGaneshaSpec): string {
  return [
    'NFS_CORE_PARAM {',
    '    Protocols = 4;',
    '    Enable_NLM = false;',
    '    Enable_RQUOTA = false;',
    '    NFS_Port = 2049;',
    '}',
    'NFSV4 {',
    '    Graceless = true;',
    '    RecoveryBackend = fs;',
    `    RecoveryRoot = ${join(spec.stateDir, 'recovery')};`,
    `    IdmapConf = ${join(spec.stateDir, 'idmapd.conf')};`,
    '    Only_Numeric_Owners = true;',
    '}',
    'NFS_KRB5 {',
    '    Active_krb5 = false;',
    `    CCacheDir = ${join(spec.stateDir, 'ccache')};`,
    '}',
    'EXPORT {',
    '    Export_Id = 1;',
    `    Path = ${spec.exportDir};`,
    `    Pseudo = /${spec.share};`,
    '    Protocols = 4;',
    '    Access_Type = RW;',
    '    Squash = No_Root_Squash;',
    '    SecType = sys;',
    '    FSAL { Name = VFS; }',
    '}',
    '',
  ].join('\n');
}

const IDMAPD = '[General]\nDomain = localdomain\n[Translation]\nMethod = nsswitch\n';

function rows(s: LabService<NfsGaneshaSpec>): Row[] {
  return [[{ text: `${s.node}/${s.name}`, tone: 'bold' }, { text: ` NFSv4 export /${s.spec.share} (nfs-ganesha)` }]];
}

export const nfsGanesha = serviceKind<NfsGaneshaSpec, z.infer<typeof Block>>({
  kind: 'nfs-ganesha',
  schema: Block,
  example: '{ name: nfs, kind: nfs-ganesha, share: share_nfs }',
  tools: [{ command: 'ganesha.nfsd', pkg: 'nfs-ganesha', versionArgs: ['-v'], why: "a Manila share server's NFS (userspace NFSv4)" }],
  resolve: (b, ctx) => {
    const stateDir = join(ctx.node.dir, b.name);
    return { share: b.share, exportDir: join(stateDir, 'export'), stateDir };
  },
  describe: (s) => `NFSv4 server exporting /${s.spec.share}`,
  start: (s) => {
    const config = join(s.spec.stateDir, 'ganesha.conf');
    return [
      { kind: 'mkdir', paths: [s.spec.exportDir, join(s.spec.stateDir, 'recovery'), join(s.spec.stateDir, 'ccache')] },
      { kind: 'write', path: join(s.spec.stateDir, 'idmapd.conf'), content: IDMAPD },
      { kind: 'write', path: config, content: renderGaneshaConfig(s.spec) },
      {
        kind: 'daemon',
        argv: netns.exec(s.node, ['ganesha.nfsd', '-F', '-L', s.logfile, '-f', config, '-p', s.pidfile, '-N', 'NIV_EVENT']),
        env: { [TOKEN_VAR]: s.token },
        ready: s.pidfile,
        logfile: s.logfile,
        creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token, pidfile: s.pidfile }],
      },
    ];
  },
  rows: (s) => rows(s),
});
