/**
 * Opening the link port and the exposure range in the server's firewall: ufw when active,
 * firewalld when running, each through `sudo -n` when the account is not root. When neither is
 * there, or the account may not change it, the step is skipped and `manual` says exactly what to
 * open. Pure: the commands, and the script that finds which firewall runs.
 */
export type FirewallTool = 'ufw' | 'firewalld';

export interface FirewallPorts {
  linkPort: number;
  range: [number, number];
  /** The CA's HTTP-01 port, when the portal gets its certificate through ACME. */
  challengePort?: number | undefined;
}

/** The single ports to open: the link's, then the CA's. */
function singlePorts(ports: FirewallPorts): number[] {
  return ports.challengePort === undefined ? [ports.linkPort] : [ports.linkPort, ports.challengePort];
}

/** Prints `ufw` or `firewalld` when one is active (root needed to ask ufw), else nothing. */
export function detectScript(sudo: string): string {
  return [
    `if command -v ufw >/dev/null 2>&1 && ${sudo}ufw status 2>/dev/null | grep -q '^Status: active'; then echo ufw; fi`,
    `if command -v firewall-cmd >/dev/null 2>&1 && ${sudo}firewall-cmd --state 2>/dev/null | grep -q '^running'; then echo firewalld; fi`,
    'true',
  ].join('\n');
}

export function addCommands(tool: FirewallTool, ports: FirewallPorts, sudo: string): string[] {
  const [first, last] = ports.range;
  if (tool === 'ufw') return [...singlePorts(ports).map((port) => `${sudo}ufw allow ${port}/tcp`), `${sudo}ufw allow ${first}:${last}/tcp`];
  return [`${sudo}firewall-cmd --permanent ${singlePorts(ports).map((port) => `--add-port=${port}/tcp`).join(' ')} --add-port=${first}-${last}/tcp`, `${sudo}firewall-cmd --reload`];
}

/** Undoes exactly what `addCommands` did (the rules recorded for the server). */
export function removeCommands(tool: FirewallTool, rules: readonly string[], sudo: string): string[] {
  if (tool === 'ufw') return rules.map((rule) => `${sudo}ufw delete allow ${rule}`);
  return [`${sudo}firewall-cmd --permanent ${rules.map((rule) => `--remove-port=${rule}`).join(' ')}`, `${sudo}firewall-cmd --reload`];
}

/** The rules `addCommands` adds, as removal takes them. */
export function rulesOf(tool: FirewallTool, ports: FirewallPorts): string[] {
  const [first, last] = ports.range;
  return [...singlePorts(ports).map((port) => `${port}/tcp`), tool === 'ufw' ? `${first}:${last}/tcp` : `${first}-${last}/tcp`];
}

/** What to open by hand where no firewall could be changed from here. */
export function manualSteps(ports: FirewallPorts, present: FirewallTool[]): string[] {
  const [first, last] = ports.range;
  const challenge = ports.challengePort === undefined ? '' : `, TCP ${ports.challengePort} (the CA checks it for the certificate)`;
  if (present.length === 0) return [`Open TCP ${ports.linkPort} (bridges)${challenge} and TCP ${first}-${last} (exposures) to the internet in your provider's firewall or security group, if it has one.`];
  return present.flatMap((tool) => addCommands(tool, ports, 'sudo '));
}
