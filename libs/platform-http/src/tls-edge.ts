import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { type HuizhenConfig, hostOf, isLoopbackHost } from '@huizhen/config';

/** Paths of the local CA: its certificate, and the page telling how to trust it (both public, on HTTP and HTTPS). */
export const CA_CERT_PATH = '/ca.crt';
export const CA_PAGE_PATH = '/ca';

/**
 * Whether the client reached us over TLS: its own socket, or a trusted proxy's X-Forwarded-Proto
 * (TRUSTED_PROXIES) for one terminating TLS in front of us.
 */
export function isSecureRequest(
  req: IncomingMessage,
  trust: (addr: string, i: number) => boolean,
): boolean {
  const socket = req.socket as TLSSocket;
  if (socket.encrypted) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  return (
    typeof forwarded === 'string' &&
    trust(socket.remoteAddress ?? '', 0) &&
    forwarded.split(',')[0].trim().toLowerCase() === 'https'
  );
}

/**
 * What the edge does for HTTPS on a LAN: serves the local CA's certificate and its page, and sends
 * a browser that opens a page over plain HTTP at a non-loopback host (where it would get no camera,
 * and its room would hang) to the same host on HTTPS_PORT. Loopback hosts (secure contexts over
 * HTTP) and everything that is not a page navigation (API, DICOMweb, sockets, scripts) pass as
 * before. Returns true when it answered.
 */
export function tlsEdgeHandler(
  config: Pick<HuizhenConfig, 'dataDir' | 'tls'>,
  trust: (addr: string, i: number) => boolean,
) {
  const httpsPort = config.tls.httpsPort;
  const caFile = join(config.dataDir, 'tls', 'ca.crt');
  const generated = httpsPort > 0 && !config.tls.certFile;
  let cached: { mtimeMs: number; pem: string; fingerprint: string } | null = null;
  const ca = () => {
    try {
      const { mtimeMs } = statSync(caFile);
      if (cached?.mtimeMs !== mtimeMs) {
        const pem = readFileSync(caFile, 'utf8');
        const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        const fingerprint = (
          createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? []
        ).join(':');
        cached = { mtimeMs, pem, fingerprint };
      }
      return cached;
    } catch {
      return null;
    }
  };

  return (req: IncomingMessage, res: ServerResponse, secure: boolean): boolean => {
    if (!httpsPort || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const path = (req.url ?? '/').split('?')[0];
    if (generated && (path === CA_CERT_PATH || path === CA_PAGE_PATH)) {
      const c = ca();
      if (!c) return false;
      if (path === CA_CERT_PATH) {
        res.writeHead(200, {
          'Content-Type': 'application/x-x509-ca-cert',
          'Content-Disposition': 'attachment; filename="huizhen-local-ca.crt"',
          'Cache-Control': 'no-cache',
        });
      } else {
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-cache',
        });
      }
      res.end(
        req.method === 'HEAD'
          ? undefined
          : path === CA_CERT_PATH
            ? c.pem
            : caPage(c.fingerprint, httpsUrl(req.headers.host, httpsPort, '/')),
      );
      return true;
    }
    if (secure || !isPageNavigation(req) || isLoopbackHost(req.headers.host)) return false;
    // Behind a trusted proxy, the proxy decides the scheme.
    if (trust(req.socket.remoteAddress ?? '', 0)) return false;
    const target = httpsUrl(req.headers.host, httpsPort, req.url ?? '/');
    if (!target) return false;
    const caUrl = generated ? `http://${req.headers.host}${CA_PAGE_PATH}` : null;
    res.writeHead(302, {
      Location: target,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : redirectPage(target, caUrl));
    return true;
  };
}

/** A browser opening a page (not a script's or an app's request): GET/HEAD asking for HTML. */
function isPageNavigation(req: IncomingMessage): boolean {
  const mode = req.headers['sec-fetch-mode'];
  if (typeof mode === 'string' && mode !== 'navigate') return false;
  return /\btext\/html\b/.test(String(req.headers.accept ?? ''));
}

/** https://host:port/path for the Host the browser used (null for a Host that is no plain name or address). */
export function httpsUrl(host: string | undefined, port: number, path: string): string | null {
  if (!host) return null;
  const name = hostOf(host);
  const literal = name.includes(':') ? `[${name}]` : name;
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(name) && !/^[0-9A-Fa-f:.]{2,45}$/.test(name)) return null;
  return `https://${literal}${port === 443 ? '' : `:${port}`}${path.startsWith('/') ? path : '/'}`;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function redirectPage(target: string, caUrl: string | null): string {
  const t = escape(target);
  const caZh = caUrl
    ? `如果浏览器提示证书不受信任，请先在本机安装会诊平台的根证书：<a href="${escape(caUrl)}">${escape(caUrl)}</a>。`
    : '';
  const caEn = caUrl
    ? ` If the browser says the certificate is not trusted, install this server's CA certificate first: <a href="${escape(caUrl)}">${escape(caUrl)}</a>.`
    : '';
  return `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>请使用安全连接 · Use the secure address</title>
<p>视频会诊需要摄像头和麦克风，浏览器只在安全连接（HTTPS）上允许使用。正在转到 <a href="${t}">${t}</a>。${caZh}</p>
<p lang="en">Video consultation needs the camera and microphone, which browsers allow only on secure (HTTPS) pages. Going to <a href="${t}">${t}</a>.${caEn}</p>
</html>\n`;
}

function caPage(fingerprint: string, httpsHome: string | null): string {
  const home = httpsHome ? escape(httpsHome) : '';
  return `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>信任本机证书 · Trust this server's certificate</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.6}code{word-break:break-all}</style>
<h1>信任会诊平台的证书</h1>
<p>本服务器使用自己生成的根证书（CA）签发 HTTPS 证书。每台电脑或手机只需安装并信任一次：</p>
<ol>
<li>下载 <a href="${CA_CERT_PATH}" download>根证书 huizhen-local-ca.crt</a>，核对 SHA-256 指纹：<br><code>${fingerprint}</code></li>
<li>Windows：双击证书 →“安装证书” →“本地计算机” →“将所有的证书都放入下列存储” →“受信任的根证书颁发机构”。</li>
<li>macOS：双击导入“钥匙串访问”，打开该证书 →“信任” →“始终信任”。</li>
<li>Android：设置 → 安全 → 加密与凭据 → 安装证书 → CA 证书。iOS：安装描述文件后，在 通用 → 关于本机 → 证书信任设置 中打开。</li>
<li>Linux 上的 Chrome/Chromium：设置 → 隐私和安全 → 安全 → 管理证书 → 授权机构 → 导入；Firefox：设置 → 证书 → 查看证书 → 证书颁发机构 → 导入。</li>
</ol>
<p>然后打开 <a href="${home}">${home}</a>。</p>
<h2 lang="en">Trust this server's certificate</h2>
<div lang="en">
<p>This server signs its HTTPS certificate with a certificate authority (CA) it generated itself. Install and trust it once on each computer or phone:
download <a href="${CA_CERT_PATH}" download>huizhen-local-ca.crt</a>, check its SHA-256 fingerprint above, then add it to the trusted root
certification authorities (Windows: Install Certificate → Local Machine → Trusted Root Certification Authorities; macOS: Keychain Access → Always Trust;
Android: Install certificate → CA certificate; iOS: install the profile, then enable it in Certificate Trust Settings; Chrome on Linux and Firefox:
Certificates → Authorities → Import). Then open <a href="${home}">${home}</a>.</p>
<p>Only trust a certificate whose fingerprint matches what the server's administrator sees (in the server's start log).</p>
</div>
</html>\n`;
}
