// conntrackd.conf in the shape of Neutron's (neutron/agent/linux/conntrackd.py): FTFW sync
// over multicast on the HA interface, every path in the node's own dir.
import type { LabService } from '../../model.js';
import type { ConntrackdSpec } from './conntrackd.js';

export function renderConntrackdConf(s: LabService<ConntrackdSpec>): string {
  const c = s.spec;
  return `General {
    HashSize 32768
    HashLimit 131072
    Syslog off
    LogFile ${s.logfile}
    LockFile ${c.lockfile}
    UNIX {
        Path ${c.socket}
        Backlog 20
    }
    SocketBufferSize 262142
    SocketBufferSizeMaxGrown 655355
    Filter From Kernelspace {
        Protocol Accept {
            TCP
            SCTP
            DCCP
            UDP
            ICMP
            IPv6-ICMP
        }
        Address Ignore {
            IPv4_address 127.0.0.1
            IPv6_address ::1
            IPv4_address ${c.address}
        }
    }
}

Sync {
    Mode FTFW {
    }
    Multicast Default {
        IPv4_address ${c.multicast}
        IPv4_interface ${c.address}
        Interface ${c.interface}
        Group ${c.group}
        SndSocketBuffer 1249280
        RcvSocketBuffer 1249280
        Checksum on
    }
}
`;
}
