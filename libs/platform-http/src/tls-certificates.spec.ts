import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@huizhen/config';
import { loadTlsMaterial } from './tls-certificates';

const machine = { ipv4: ['192.168.1.20'], ipv6: ['fd00::2'], hostname: 'clinic-pc' };
const config = (dataDir: string, files: { certFile?: string; keyFile?: string } = {}) => ({
  dataDir,
  tls: { httpsPort: 3443, certFile: files.certFile ?? null, keyFile: files.keyFile ?? null },
});

describe('loadTlsMaterial', () => {
  it('makes a local CA once and a server certificate for the machine it signs, kept across starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huizhen-tls-'));
    const first = await loadTlsMaterial(config(dir), machine);
    expect(first).toMatchObject({ source: 'generated', created: { ca: true, server: true } });
    const cert = new X509Certificate(first.cert);
    const ca = new X509Certificate(first.ca!.certPem);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    for (const ip of ['192.168.1.20', 'fd00::2', '127.0.0.1', '::1'])
      expect(cert.checkIP(ip)).toBe(ip);
    for (const host of ['clinic-pc', 'localhost']) expect(cert.checkHost(host)).toBe(host);
    expect(cert.checkIP('10.0.0.9')).toBeUndefined();
    // Browsers refuse longer server certificates.
    expect(new Date(cert.validTo).getTime() - Date.now()).toBeLessThan(398 * 86_400_000);
    expect(statSync(join(dir, 'tls', 'ca.pem')).mode & 0o077).toBe(0);
    expect(statSync(join(dir, 'tls', 'server.pem')).mode & 0o077).toBe(0);
    expect(readFileSync(join(dir, 'tls', 'ca.crt'), 'utf8')).toBe(first.ca!.certPem);
    expect(first.ca!.certPem).not.toContain('PRIVATE');

    const again = await loadTlsMaterial(config(dir), machine);
    expect(again).toMatchObject({
      key: first.key,
      cert: first.cert,
      created: { ca: false, server: false },
    });

    // A new address (DHCP, another network): a new server certificate from the same CA.
    const moved = await loadTlsMaterial(config(dir), { ...machine, ipv4: ['10.0.0.9'] });
    expect(moved.created).toEqual({ ca: false, server: true });
    expect(new X509Certificate(moved.cert).checkIP('10.0.0.9')).toBe('10.0.0.9');
    expect(moved.ca!.fingerprint256).toBe(first.ca!.fingerprint256);

    // Near its end: renewed at start.
    const later = await loadTlsMaterial(
      config(dir),
      { ...machine, ipv4: ['10.0.0.9'] },
      new Date(Date.now() + 380 * 86_400_000),
    );
    expect(later.created.server).toBe(true);
  });

  it('serves TLS_CERT_FILE/TLS_KEY_FILE when given, and refuses a key of another certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huizhen-tls-'));
    const a = await loadTlsMaterial(config(join(dir, 'a')), machine);
    const b = await loadTlsMaterial(config(join(dir, 'b')), machine);
    writeFileSync(join(dir, 'cert.pem'), a.cert);
    writeFileSync(join(dir, 'key.pem'), a.key);
    writeFileSync(join(dir, 'other-key.pem'), b.key);
    const files = await loadTlsMaterial(
      config(join(dir, 'c'), { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') }),
      machine,
    );
    expect(files).toMatchObject({ source: 'files', ca: null, cert: a.cert, key: a.key });
    expect(files.names).toContain('192.168.1.20');
    await expect(
      loadTlsMaterial(
        config(dir, { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'other-key.pem') }),
        machine,
      ),
    ).rejects.toThrow(ConfigError);
    await expect(
      loadTlsMaterial(
        config(dir, { certFile: join(dir, 'key.pem'), keyFile: join(dir, 'key.pem') }),
        machine,
      ),
    ).rejects.toThrow(/TLS_CERT_FILE.*holds no PEM certificate/);
  });
});
