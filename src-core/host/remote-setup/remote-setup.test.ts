/**
 * The pure parts of Set up my server: fingerprints as OpenSSH prints them, the system check's
 * parsers and verdicts, the portal config and bridge profile, the unit, the firewall commands,
 * the pin store, and the step runner's states.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/index.js';
import { createCertificateFolder, openSslAvailable } from '../../engine/transport/internet/testdata/certs.js';
import { addCommands, manualSteps, removeCommands, rulesOf } from './firewall.js';
import { fingerprintOfPublicKeyLine, hostKeyAlgorithm } from './host-key.js';
import { compressUpload } from './install-steps.js';
import { KnownServers } from './known-servers.js';
import { bridgeProfileFor, planPortal, portalConfigFor, selfSignedPem } from './portal-config.js';
import { locatePortalBinary } from './portal-binary.js';
import { installLayout, portalUnit, writeFileCommand } from './service-unit.js';
import { shellQuote } from './shell.js';
import { SshSession } from './ssh-session.js';
import { INSTALL_STEPS, StepFailed, StepRunner } from './step-runner.js';
import { judgeSystem, parseExes, parseOsRelease, parseProbe, parseProcNetTcp, parseRange, parseSs, parseUname, type SystemProbe } from './system-check.js';

const request = { host: 'vps.example.com', user: 'ann', auth: { kind: 'agent' as const } };
const ID = '0f5d6a1c-2b3e-4f50-8a9b-0c1d2e3f4a5b';

describe('host key fingerprints', () => {
  it('are OpenSSH\'s SHA256:<base64 without padding> (ssh-keygen -lf says the same)', () => {
    // ssh-keygen -lf of this line printed SHA256:qdGOVk8X9iWIGpLyX9KKpu8Ji0C4T8rj3RaIGgpjyM4.
    const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDIQTSnrRdPgDQX356Z+ceKrxtoxScfzVAsE4+uy/RxR x';
    expect(fingerprintOfPublicKeyLine(line)).toEqual({ algorithm: 'ssh-ed25519', fingerprint: 'SHA256:qdGOVk8X9iWIGpLyX9KKpu8Ji0C4T8rj3RaIGgpjyM4' });
  });

  it('read the algorithm from the blob, and say unknown for a blob that is not one', () => {
    expect(hostKeyAlgorithm(Buffer.from([0, 0, 0, 7, ...Buffer.from('ssh-rsa'), 1, 2]))).toBe('ssh-rsa');
    expect(hostKeyAlgorithm(Buffer.from([0, 0, 9, 0]))).toBe('unknown');
    expect(hostKeyAlgorithm(Buffer.alloc(2))).toBe('unknown');
  });
});

describe('system check parsers', () => {
  it('uname, os-release', () => {
    expect(parseUname('Linux x86_64\n')).toEqual({ kernel: 'Linux', machine: 'x86_64' });
    expect(parseOsRelease(['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'NAME="Debian GNU/Linux"', 'VERSION_ID="12"'])).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(parseOsRelease(['NAME=Alpine', "VERSION_ID='3.20'"])).toBe('Alpine 3.20');
    expect(parseOsRelease([])).toBe('an unknown Linux');
  });

  it('ss -Hltnp lines, with and without the process, IPv4 and IPv6', () => {
    expect(parseSs([
      'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=812,fd=3))',
      'LISTEN 0      511        127.0.0.1:10086     0.0.0.0:*    users:(("porthole-portal",pid=9,fd=20))',
      'LISTEN 0      4096            [::]:8080         [::]:*',
      'LISTEN 0      4096               *:9090            *:*',
    ])).toEqual([
      { address: '0.0.0.0', port: 22, process: 'sshd (pid 812)' },
      { address: '127.0.0.1', port: 10086, process: 'porthole-portal (pid 9)' },
      { address: '::', port: 8080 },
      { address: '*', port: 9090 },
    ]);
  });

  it('/proc/net/tcp rows, listening ones only', () => {
    expect(parseProcNetTcp([
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 301 1',
      '   1: 0100007F:9387 0100007F:CE0E 06 00000000:00000000 03:00000B2A 00000000     0        0 0 3',
      '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 0 0',
    ])).toEqual([{ address: '0.0.0.0', port: 2024 }, { address: '::', port: 8080 }]);
  });

  it('ranges', () => {
    expect(parseRange('20000-20099')).toEqual([20000, 20099]);
    expect(() => parseRange('20099-20000')).toThrow(/first ≤ last/);
    expect(() => parseRange('1-65535')).toThrow(/10000 or fewer/);
  });
});

function probe(overrides: Partial<SystemProbe> = {}): SystemProbe {
  return {
    kernel: 'Linux', machine: 'x86_64', os: 'Debian GNU/Linux 12 (bookworm)', uid: 1000, userName: 'ann', home: '/home/ann',
    rights: 'none', systemd: 'running', tools: new Set(['gzip', 'sha256sum', 'ss']), unprivilegedPortStart: 1024, listeners: [], ...overrides,
  };
}
const ports = { linkPort: 10086, range: [20000, 20099] as [number, number] };

describe('judging the server', () => {
  it('reads the whole probe output', () => {
    const parsed = parseProbe([
      '--- uname', 'Linux aarch64', '--- os-release', 'PRETTY_NAME="Ubuntu 24.04 LTS"', '--- account', '0', 'root', '/root',
      '--- rights', 'root', '--- systemd', 'degraded', '--- tools', 'gzip', 'ufw', '--- unprivileged-port-start', '1024',
      '--- ss', 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:*', '',
    ].join('\n'));
    expect(parsed).toMatchObject({ kernel: 'Linux', machine: 'aarch64', os: 'Ubuntu 24.04 LTS', uid: 0, userName: 'root', home: '/root', rights: 'root', systemd: 'degraded', unprivilegedPortStart: 1024 });
    expect([...parsed.tools]).toEqual(['gzip', 'ufw']);
    expect(parsed.listeners).toEqual([{ address: '0.0.0.0', port: 22 }]);
    expect(judgeSystem(parsed, ports)).toMatchObject({ facts: { arch: 'arm64', scope: 'system', sudo: false, os: 'Ubuntu 24.04 LTS, aarch64' } });
  });

  it('an unprivileged account gets its own unit; sudo gets a system-wide one', () => {
    expect(judgeSystem(probe(), ports)).toMatchObject({ facts: { arch: 'x64', scope: 'user', sudo: false } });
    expect(judgeSystem(probe({ rights: 'sudo' }), ports)).toMatchObject({ facts: { scope: 'system', sudo: true } });
  });

  it('says why not, in one line', () => {
    expect(judgeSystem(probe({ kernel: 'FreeBSD' }), ports)).toEqual({ reason: 'the server runs FreeBSD: the one-file portal is for Linux' });
    expect(judgeSystem(probe({ machine: 'riscv64' }), ports)).toEqual({ reason: 'the server\'s CPU is riscv64: the one-file portal is built for x86_64 and aarch64 only' });
    expect(judgeSystem(probe({ systemd: 'offline' }), ports)).toEqual({ reason: 'systemd is not running on the server (systemctl says "offline"): the portal runs as a systemd service' });
    expect(judgeSystem(probe({ systemd: 'missing' }), ports)).toMatchObject({ reason: expect.stringContaining('no systemd') });
    expect(judgeSystem(probe(), { linkPort: 443, range: [20000, 20099] })).toEqual({ reason: 'ports below 1024 need root and ann has neither root nor password-less sudo: pick a link port and exposure range ≥ 1024, or log in as root' });
    expect(judgeSystem(probe({ unprivilegedPortStart: 0 }), { linkPort: 443, range: [20000, 20099] })).toHaveProperty('facts');
    expect(judgeSystem(probe(), { linkPort: 8443, range: [20000, 20099], challengePort: 80 })).toEqual({ reason: 'the CA checks port 80 for the certificate (HTTP-01), and ports below 1024 need root, which ann has not (nor password-less sudo): log in as root, or give certificate files already on the server' });
    expect(judgeSystem(probe({ rights: 'root', listeners: [{ address: '0.0.0.0', port: 80, process: 'nginx (pid 7)' }] }), { linkPort: 443, range: [20000, 20099], challengePort: 80 }))
      .toEqual({ reason: 'port 80 is in use on the server by nginx (pid 7), and the portal must answer the CA there to get its certificate (HTTP-01): stop it and retry, or give certificate files already on the server' });
  });

  it('a busy port is named with what listens there; the portal\'s own listener is not in the way', () => {
    expect(judgeSystem(probe({ listeners: [{ address: '0.0.0.0', port: 10086, process: 'nginx (pid 7)' }] }), ports))
      .toEqual({ reason: 'port 10086 (the link port) is in use on the server by nginx (pid 7): free it and retry, or pick another port' });
    expect(judgeSystem(probe({ listeners: [{ address: '::', port: 20050 }] }), ports))
      .toEqual({ reason: 'port 20050 (in the exposure range 20000-20099) is in use on the server (by a process this account cannot see): free it and retry, or pick another port' });
    // Node names its main thread, so ss shows the portal as MainThread: the file it runs tells.
    expect(judgeSystem(probe({ listeners: [{ address: '0.0.0.0', port: 10086, process: 'MainThread (pid 9)', exe: '/home/ann/.porthole/porthole-portal' }] }), ports)).toHaveProperty('facts');
    expect(judgeSystem(probe({ listeners: [{ address: '0.0.0.0', port: 10086, process: 'MainThread (pid 9)', exe: '/usr/bin/node' }] }), ports)).toHaveProperty('reason');
    expect(parseExes(['9 /home/ann/.porthole/porthole-portal (deleted)', '812 /usr/sbin/sshd', '13 '])).toEqual(new Map([[9, '/home/ann/.porthole/porthole-portal'], [812, '/usr/sbin/sshd']]));
    expect(parseSs(['LISTEN 0 511 127.0.0.1:10086 0.0.0.0:* users:(("MainThread",pid=9,fd=20))'], new Map([[9, '/x/porthole-portal']]))).toEqual([{ address: '127.0.0.1', port: 10086, process: 'MainThread (pid 9)', exe: '/x/porthole-portal' }]);
  });
});

describe('the portal config and the bridge profile', () => {
  it('tcp by default: VMess (alterId 0) on 10086, the range, a fresh id; the engine loads both', () => {
    const plan = planPortal(request, ID);
    expect(plan).toMatchObject({ transport: 'tcp', linkPort: 10086, range: [20000, 20099], profile: 'server vps.example.com' });
    const portal = portalConfigFor(plan);
    const config = loadConfig([{ name: 'portal.json', text: portal }]);
    const inbound = config.inbounds[0];
    expect(inbound).toMatchObject({ port: { from: 10086, to: 10086 }, protocol: 'vmess' });
    expect(JSON.stringify(inbound)).toContain(ID);
    expect(JSON.parse(portal.replace(/^\/\/.*\n/, '')).reverse.portals[0].exposures).toEqual({ ports: '20000-20099' });
    const bridge = loadConfig([{ name: 'bridge.json', text: bridgeProfileFor(plan) }]);
    expect(JSON.stringify(bridge.outbounds[1])).toContain('"address":"vps.example.com"');
    expect(bridgeProfileFor(plan)).toMatch(/"port": 10086[\s\S]*"alterId": 0/);
  });

  it('tls needs a domain; with both files the portal serves them; ws-tls has the portal end TLS and take the WebSocket itself', () => {
    expect(() => planPortal({ ...request, transport: 'tls' })).toThrow(/needs the server's domain/);
    expect(() => planPortal({ ...request, domain: 'vps.example.com', certificateFile: '/etc/ssl/cert.pem' })).toThrow('give both the certificate file and its key file on the server, or neither (the portal then gets a certificate through ACME)');
    expect(() => planPortal({ ...request, linkPort: 20010 })).toThrow('the link port 20010 is inside the exposure range 20000-20099: pick one outside it');
    const files = { certificateFile: '/etc/ssl/cert.pem', keyFile: '/etc/ssl/key.pem', domain: 'vps.example.com' };
    const tls = planPortal({ ...request, ...files }, ID);
    expect(tls).toMatchObject({ transport: 'tls', linkPort: 443 });
    const tlsPortal = JSON.parse(portalConfigFor(tls).replace(/^\/\/.*\n/, ''));
    expect(tlsPortal.inbounds[0].streamSettings).toEqual({ network: 'tcp', security: 'tls', tlsSettings: { certificates: [{ certificateFile: '/etc/ssl/cert.pem', keyFile: '/etc/ssl/key.pem' }] } });
    const ws = planPortal({ ...request, ...files, transport: 'ws-tls' }, ID);
    const wsPortal = JSON.parse(portalConfigFor(ws).replace(/^\/\/.*\n/, ''));
    expect(wsPortal.inbounds[0]).toMatchObject({ port: 443, streamSettings: { network: 'ws', security: 'tls', wsSettings: { path: '/porthole' } } });
    expect(wsPortal.inbounds[0].listen).toBeUndefined();
    const bridge = JSON.parse(bridgeProfileFor(ws, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----').replace(/^\/\/.*\n/, ''));
    expect(bridge.outbounds[1].streamSettings).toEqual({
      network: 'ws', security: 'tls', wsSettings: { path: '/porthole' },
      tlsSettings: { serverName: 'vps.example.com', certificates: [{ usage: 'verify', certificate: ['-----BEGIN CERTIFICATE-----', 'AAAA', '-----END CERTIFICATE-----'] }] },
    });
  });

  it('TLS without files: the link certificate through ACME (Let\'s Encrypt, HTTP-01 on 80 unless told), stored in the portal\'s folder', () => {
    const plan = planPortal({ ...request, domain: 'vps.example.com', transport: 'ws-tls', acme: { email: 'ops@example.com' } }, ID);
    expect(plan).toMatchObject({ transport: 'ws-tls', linkPort: 443, acme: { email: 'ops@example.com', httpPort: 80 } });
    expect(plan.certificateFile).toBeUndefined();
    const portal = JSON.parse(portalConfigFor(plan, '/opt/porthole/acme').replace(/^\/\/.*\n/, ''));
    expect(portal.inbounds[0].streamSettings).toEqual({
      network: 'ws', security: 'tls', wsSettings: { path: '/porthole' },
      tlsSettings: { serverName: 'vps.example.com', acme: { email: 'ops@example.com', storage: '/opt/porthole/acme' } },
    });
    // The engine reads it back as it will on the server: Let's Encrypt's directory, port 80.
    expect(loadConfig([{ name: 'portal.json', text: portalConfigFor(plan, '/opt/porthole/acme') }]).inbounds[0]?.streamSettings?.tls?.acme)
      .toEqual({ directory: 'https://acme-v02.api.letsencrypt.org/directory', email: 'ops@example.com', storage: '/opt/porthole/acme', httpPort: 80 });
    const other = planPortal({ ...request, domain: 'vps.example.com', acme: { directory: 'https://ca.example/acme/directory', caFile: '/etc/ca.pem', httpPort: 8080 } }, ID);
    expect(JSON.parse(portalConfigFor(other, 'a').replace(/^\/\/.*\n/, '')).inbounds[0].streamSettings.tlsSettings.acme).toEqual({ directory: 'https://ca.example/acme/directory', caFile: '/etc/ca.pem', storage: 'a', httpPort: 8080 });
    expect(() => planPortal({ ...request, domain: 'vps.example.com', acme: { httpPort: 443 } })).toThrow('the link port 443 is the port the CA checks for HTTP-01: pick another link port (443 is usual)');
    expect(() => planPortal({ ...request, domain: 'vps.example.com', exposureRange: '1-100' })).toThrow('the exposure range 1-100 includes port 80, where the CA checks for HTTP-01: pick a range outside it');
    expect(() => planPortal({ ...request, acme: {} })).toThrow('acme needs transport tls or ws-tls');
    expect(() => planPortal({ ...request, domain: 'vps.example.com', certificateFile: '/c.pem', keyFile: '/k.pem', acme: {} })).toThrow('acme is for TLS without certificate files: give the files or acme, not both');
  });

  it('a loopback server keeps both the link and the exposures on 127.0.0.1', () => {
    const portal = JSON.parse(portalConfigFor(planPortal({ ...request, host: '127.0.0.1' }, ID)).replace(/^\/\/.*\n/, ''));
    expect(portal.inbounds[0].listen).toBe('127.0.0.1');
    expect(portal.reverse.portals[0].exposures.listen).toBe('127.0.0.1');
  });

  it.skipIf(!openSslAvailable())('a self-signed certificate is trusted by itself, one a CA issued is left to the system roots', () => {
    const certs = createCertificateFolder();
    try {
      const cert = certs.make('server', 'vps.example.com');
      expect(selfSignedPem(`${cert.certPem}\n`)).toBe(cert.certPem.trim());
      expect(selfSignedPem('not a certificate')).toBeUndefined();
    } finally {
      certs.remove();
    }
  });
});

describe('unit, files and firewall', () => {
  it('the account\'s own unit under ~/.porthole, or a system-wide one through sudo', () => {
    const user = installLayout('user', '/home/ann', false);
    expect(user).toMatchObject({ folder: '/home/ann/.porthole', binary: '/home/ann/.porthole/porthole-portal', config: '/home/ann/.porthole/portal.json', unitFile: '/home/ann/.config/systemd/user/porthole-portal.service', sudo: '' });
    expect(user.systemctl).toMatch(/XDG_RUNTIME_DIR=.* systemctl --user$/);
    const unit = portalUnit(user);
    expect(unit).toContain('ExecStart=/home/ann/.porthole/porthole-portal run -c /home/ann/.porthole/portal.json');
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).not.toContain('AmbientCapabilities');
    expect(unit.split('\n')[0]).toBe('# Written by Porthole\'s "Set up my server"; "Remove from server" removes it.');
    const system = installLayout('system', '/home/ann', true);
    expect(system).toMatchObject({ folder: '/opt/porthole', unitFile: '/etc/systemd/system/porthole-portal.service', sudo: 'sudo -n ', systemctl: 'sudo -n systemctl' });
    expect(portalUnit(system)).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE');
    expect(writeFileCommand(system, '/opt/porthole/portal.json', '600')).toBe("sudo -n mkdir -p /opt/porthole && sudo -n sh -c 'umask 077 && cat > /opt/porthole/portal.json.tmp && chmod 600 /opt/porthole/portal.json.tmp && mv -f /opt/porthole/portal.json.tmp /opt/porthole/portal.json'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('firewall commands, their undo, and what to open by hand', () => {
    const open = { linkPort: 10086, range: [20000, 20099] as [number, number] };
    expect(addCommands('ufw', open, 'sudo -n ')).toEqual(['sudo -n ufw allow 10086/tcp', 'sudo -n ufw allow 20000:20099/tcp']);
    expect(removeCommands('ufw', rulesOf('ufw', open), '')).toEqual(['ufw delete allow 10086/tcp', 'ufw delete allow 20000:20099/tcp']);
    expect(addCommands('firewalld', open, '')).toEqual(['firewall-cmd --permanent --add-port=10086/tcp --add-port=20000-20099/tcp', 'firewall-cmd --reload']);
    expect(removeCommands('firewalld', rulesOf('firewalld', open), '')).toEqual(['firewall-cmd --permanent --remove-port=10086/tcp --remove-port=20000-20099/tcp', 'firewall-cmd --reload']);
    expect(manualSteps(open, [])).toEqual(['Open TCP 10086 (bridges) and TCP 20000-20099 (exposures) to the internet in your provider\'s firewall or security group, if it has one.']);
    expect(manualSteps(open, ['ufw'])).toEqual(['sudo ufw allow 10086/tcp', 'sudo ufw allow 20000:20099/tcp']);
    // With ACME the CA's port 80 is opened (and recorded for removal) beside the link's.
    const acme = { ...open, linkPort: 443, challengePort: 80 };
    expect(addCommands('ufw', acme, '')).toEqual(['ufw allow 443/tcp', 'ufw allow 80/tcp', 'ufw allow 20000:20099/tcp']);
    expect(rulesOf('firewalld', acme)).toEqual(['443/tcp', '80/tcp', '20000-20099/tcp']);
    expect(addCommands('firewalld', acme, '')).toEqual(['firewall-cmd --permanent --add-port=443/tcp --add-port=80/tcp --add-port=20000-20099/tcp', 'firewall-cmd --reload']);
    expect(manualSteps(acme, [])).toEqual(['Open TCP 443 (bridges), TCP 80 (the CA checks it for the certificate) and TCP 20000-20099 (exposures) to the internet in your provider\'s firewall or security group, if it has one.']);
  });

  it('gzip for a real link, not for loopback, unless told', () => {
    expect(compressUpload('vps.example.com', {})).toBe(true);
    expect(compressUpload('127.0.0.1', {})).toBe(false);
    expect(compressUpload('127.0.0.1', { PORTHOLE_SSH_GZIP: '1' })).toBe(true);
    expect(compressUpload('vps.example.com', { PORTHOLE_SSH_GZIP: '0' })).toBe(false);
  });

  it('a missing portal binary names the file and the command that builds it', async () => {
    expect(await locatePortalBinary('arm64', ['/nonexistent/a'])).toEqual({ reason: 'porthole-portal-linux-arm64 is missing (looked in /nonexistent/a): build it with npm run dist:portal' });
  });
});

describe('known servers', () => {
  it('pins keys and remembers servers in known-servers.json (0600); forgetting a server keeps its key', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'porthole-known-'));
    try {
      const known = new KnownServers(folder);
      await known.pin('VPS.example.com', 22, { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:x' });
      const server = { host: 'vps.example.com', port: 22, user: 'ann', hostKey: { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:x', known: true }, profile: 'p', transport: 'tcp' as const, linkPort: 10086, folder: '/home/ann/.porthole', unit: { name: 'porthole-portal.service', scope: 'user' as const }, installedAt: 1 };
      await known.remember(server);
      expect(statSync(join(folder, 'known-servers.json')).mode & 0o777).toBe(0o600);
      const again = new KnownServers(folder);
      expect(await again.pinned('vps.example.com', 22)).toMatchObject({ fingerprint: 'SHA256:x' });
      expect(await again.servers()).toEqual([server]);
      await again.forget('vps.example.com', 22, 'ann');
      expect(JSON.parse(readFileSync(join(folder, 'known-servers.json'), 'utf8'))).toMatchObject({ servers: [], hostKeys: { 'vps.example.com:22': { fingerprint: 'SHA256:x' } } });
      const memory = new KnownServers(undefined);
      await memory.pin('a', 1, { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:y' });
      expect(await memory.pinned('a', 1)).toMatchObject({ fingerprint: 'SHA256:y' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('logging in', () => {
  it('a server that hangs up after its banner, without an error, fails the login with a reason (no endless wait)', async () => {
    const server = net.createServer((socket) => {
      socket.write('SSH-2.0-OpenSSH_9.2\r\n');
      setTimeout(() => socket.end(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const folder = mkdtempSync(join(tmpdir(), 'porthole-login-'));
    const keyFile = join(folder, 'id_ed25519');
    writeFileSync(keyFile, utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
    try {
      const login = SshSession.connect({ target: { host: '127.0.0.1', port, user: 'u', auth: { kind: 'key', keyFile } }, checkHostKey: () => true, readyTimeoutMs: 60_000 });
      await expect(login).rejects.toMatchObject({ kind: 'unreachable', message: `127.0.0.1:${port} closed the connection before the login finished: retry` });
    } finally {
      server.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('the step runner', () => {
  it('runs in order, copies out each change, fails with the reason, resumes at the failed step', async () => {
    const run = StepRunner.newRun('rs-00000000', 'install', { host: 'h', port: 22, user: 'u' }, INSTALL_STEPS);
    const seen: string[] = [];
    let broken = true;
    const runner = new StepRunner(run, {
      connect: async () => ({ detail: 'in' }),
      'host-key': async () => ({ detail: 'known' }),
      'check-system': async () => {
        if (broken) throw new StepFailed('port 10086 is in use');
        return { detail: 'ok' };
      },
      firewall: async () => ({ state: 'skipped', manual: ['open 10086'] }),
    }, () => seen.push(`${run.revision} ${run.state}:${run.steps.map((step) => step.state[0]).join('')}`), () => {});
    await runner.resume('connect');
    expect(run.state).toBe('failed');
    expect(run.steps[2]).toMatchObject({ state: 'failed', reason: 'port 10086 is in use' });
    broken = false;
    await runner.resume('check-system');
    expect(run.state).toBe('done');
    expect(run.steps.find((step) => step.id === 'firewall')).toMatchObject({ state: 'skipped', manual: ['open 10086'] });
    expect(seen[0]).toBe('1 running:ppppppppp');
    expect(seen.some((line) => / failed:ddfpppppp$/.test(line))).toBe(true);
    // Each copy sent out is newer than the one before: a late answer can be told from a fresh event.
    expect(seen.map((line) => Number(line.split(' ')[0]))).toEqual(seen.map((_line, index) => index + 1));
  });

  it('a long step\'s progress shows as its detail, at most twice a second, and its outcome replaces it', async () => {
    const run = StepRunner.newRun('rs-00000001', 'install', { host: 'h', port: 22, user: 'u' }, ['upload']);
    const details: Array<string | undefined> = [];
    const runner = new StepRunner(run, {
      upload: async (_step, report) => {
        report('1 of 109 MiB sent…');
        report('2 of 109 MiB sent…');
        return { detail: '109 MiB in 4.2 s' };
      },
    }, () => details.push(run.steps[0]?.detail), () => {});
    await runner.resume('upload');
    expect(details).toEqual([undefined, undefined, '1 of 109 MiB sent…', '109 MiB in 4.2 s', '109 MiB in 4.2 s']);
  });
});
