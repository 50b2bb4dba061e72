// @peculiar/x509's dependency injection (tsyringe) needs the Reflect API before it loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  ConfigError,
  type HuizhenConfig,
  type MachineAddresses,
  machineAddresses,
} from '@huizhen/config';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** What the HTTPS server serves with, and the local CA a browser may be told to trust. */
export interface TlsMaterial {
  key: string;
  cert: string;
  source: 'files' | 'generated';
  /** The generated local CA (null with TLS_CERT_FILE). */
  ca: { certPem: string; fingerprint256: string; file: string } | null;
  /** Names and addresses the server certificate covers. */
  names: string[];
  notAfter: Date;
  /** Whether this start made a new server certificate (and a new CA). */
  created: { ca: boolean; server: boolean };
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
/** Browsers refuse server certificates valid longer than 398 days; renewed at start when 30 are left. */
const SERVER_DAYS = 397;
const RENEW_DAYS = 30;
const CA_DAYS = 20 * 365;

/** Where the generated CA and server certificate live. */
export function tlsDir(config: Pick<HuizhenConfig, 'dataDir'>): string {
  return join(config.dataDir, 'tls');
}

/** The names a generated certificate must cover: the host name, localhost, every usable address and loopback. */
export function certificateNames(machine: MachineAddresses): string[] {
  const names = [
    machine.hostname,
    'localhost',
    ...machine.ipv4,
    ...machine.ipv6,
    '127.0.0.1',
    '::1',
  ];
  return [
    ...new Set(
      names
        .filter((n) => n && (isIP(n) || /^[A-Za-z0-9.-]{1,253}$/.test(n)))
        .map((n) => n.toLowerCase()),
    ),
  ];
}

/**
 * TLS_CERT_FILE/TLS_KEY_FILE when set (checked to belong together); otherwise this machine's own:
 * a local CA made once under DATA_DIR/tls (its key never leaves there) and a server certificate it
 * signs for certificateNames(), made again when a name is missing, the CA changed, or it nears its end.
 */
export async function loadTlsMaterial(
  config: Pick<HuizhenConfig, 'dataDir' | 'tls'>,
  machine: MachineAddresses = machineAddresses(),
  now = new Date(),
): Promise<TlsMaterial> {
  if (config.tls.certFile && config.tls.keyFile)
    return fromFiles(config.tls.certFile, config.tls.keyFile);
  const dir = tlsDir(config);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { ca, created: caCreated } = await localCa(dir, now);
  const names = certificateNames(machine);
  const serverFile = join(dir, 'server.pem');
  let server = existsSync(serverFile) ? readServer(serverFile) : null;
  const stale =
    !server ||
    !server.cert.checkIssued(ca.cert) ||
    !server.cert.verify(ca.cert.publicKey) ||
    new Date(server.cert.validTo).getTime() - now.getTime() < RENEW_DAYS * DAY ||
    names.some((n) => !covers(server!.cert, n));
  if (stale) {
    server = await issueServer(ca, names, machine.hostname, now);
    writePrivate(serverFile, server.keyPem + server.certPem);
  }
  const caPem = ca.cert.toString();
  // The public half beside the key, for an administrator to copy; browsers get it from GET /ca.crt.
  const caFile = join(dir, 'ca.crt');
  if (!existsSync(caFile) || readFileSync(caFile, 'utf8') !== caPem)
    writeAtomic(caFile, caPem, 0o644);
  return {
    key: server!.keyPem,
    cert: server!.certPem,
    source: 'generated',
    ca: { certPem: caPem, fingerprint256: ca.cert.fingerprint256, file: caFile },
    names,
    notAfter: new Date(server!.cert.validTo),
    created: { ca: caCreated, server: stale },
  };
}

function fromFiles(certFile: string, keyFile: string): TlsMaterial {
  const certPem = readFileSync(certFile, 'utf8');
  const keyPem = readFileSync(keyFile, 'utf8');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new ConfigError([
      `TLS_CERT_FILE=${JSON.stringify(certFile)} holds no PEM certificate (${(e as Error).message})`,
    ]);
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (e) {
    throw new ConfigError([
      `TLS_KEY_FILE=${JSON.stringify(keyFile)} holds no PEM private key (${(e as Error).message})`,
    ]);
  }
  if (!matches)
    throw new ConfigError([
      `TLS_KEY_FILE=${JSON.stringify(keyFile)} is not the key of the certificate in TLS_CERT_FILE=${JSON.stringify(certFile)}`,
    ]);
  const names = (cert.subjectAltName ?? '')
    .split(', ')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  return {
    key: keyPem,
    cert: certPem,
    source: 'files',
    ca: null,
    names,
    notAfter: new Date(cert.validTo),
    created: { ca: false, server: false },
  };
}

interface LocalCa {
  cert: X509Certificate;
  key: webcrypto.CryptoKey;
  /** @peculiar/x509's view, for issuing. */
  x: x509.X509Certificate;
}

/** The local CA's key and certificate, in one private file made once (a racing second process reads the first one's). */
async function localCa(dir: string, now: Date): Promise<{ ca: LocalCa; created: boolean }> {
  const file = join(dir, 'ca.pem');
  let created = false;
  if (!existsSync(file)) {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: [{ CN: [`Huizhen local CA ${randomBytes(4).toString('hex')}`] }, { O: ['Huizhen'] }],
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + CA_DAYS * DAY),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(
      tmp,
      pkcs8Pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) +
        cert.toString('pem') +
        '\n',
      { mode: 0o600 },
    );
    try {
      linkSync(tmp, file); // create-if-absent: of two processes starting at once, one CA wins
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const pem = readFileSync(file, 'utf8');
  const cert = new X509Certificate(firstBlock(pem, 'CERTIFICATE'));
  const keyDer = createPrivateKey(firstBlock(pem, 'PRIVATE KEY')).export({
    type: 'pkcs8',
    format: 'der',
  });
  const key = await webcrypto.subtle.importKey('pkcs8', keyDer, ALG, false, ['sign']);
  return { ca: { cert, key, x: new x509.X509Certificate(cert.raw) }, created };
}

async function issueServer(
  ca: LocalCa,
  names: string[],
  hostname: string,
  now: Date,
): Promise<{ keyPem: string; certPem: string; cert: X509Certificate }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [hostname || 'localhost'] }, { O: ['Huizhen'] }],
    issuer: ca.x.subject,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + SERVER_DAYS * DAY),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.x),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  // The chain a browser needs: the server certificate, then the CA it trusts.
  const certPem = cert.toString('pem') + '\n' + ca.x.toString('pem') + '\n';
  return {
    keyPem: pkcs8Pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    certPem,
    cert: new X509Certificate(cert.toString('pem')),
  };
}

function readServer(
  file: string,
): { keyPem: string; certPem: string; cert: X509Certificate } | null {
  try {
    const pem = readFileSync(file, 'utf8');
    const keyPem = firstBlock(pem, 'PRIVATE KEY');
    const certPem = pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'));
    const cert = new X509Certificate(firstBlock(pem, 'CERTIFICATE'));
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return null;
    return { keyPem, certPem, cert };
  } catch {
    return null; // unreadable or damaged: made again
  }
}

function covers(cert: X509Certificate, name: string): boolean {
  return isIP(name)
    ? cert.checkIP(name) !== undefined
    : cert.checkHost(name, { subject: 'never', wildcards: false }) !== undefined;
}

function firstBlock(pem: string, label: string): string {
  const m = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`no ${label} in the PEM file`);
  return m[0] + '\n';
}

function pkcs8Pem(der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/** A positive 16-byte serial. */
function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b.toString('hex');
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

function writePrivate(file: string, text: string): void {
  writeAtomic(file, text, 0o600);
}
