// keepalived tells its state changes in its log ("(VR_1) Entering MASTER STATE"): read there,
// not by a process per poll, wherever a kind runs keepalived (a VRRP pair, an amphora).

/** Every state change in keepalived's log text, in order. */
export function vrrpTransitions(text: string): { instance: string; state: string }[] {
  return [...text.matchAll(/\((\S+)\) Entering (\w+) STATE/g)].map((m) => ({ instance: m[1], state: m[2] }));
}
