// haproxy's stats socket: `show stat` answered as CSV.

export interface StatRow {
  pxname: string;
  svname: string;
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (going up), MAINT, no check, OPEN ... */
  status: string;
  scur: number;
  stot: number;
  checkStatus: string;
  lastchg: number;
}

export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.replace(/^# /, '').split(',') ?? [];
  const col = (name: string) => header.indexOf(name);
  return lines.map((line) => {
    const f = line.split(',');
    return {
      pxname: f[col('pxname')] ?? '',
      svname: f[col('svname')] ?? '',
      status: f[col('status')] ?? '',
      scur: Number(f[col('scur')] || 0),
      stot: Number(f[col('stot')] || 0),
      checkStatus: f[col('check_status')] ?? '',
      lastchg: Number(f[col('lastchg')] || 0),
    };
  });
}
