import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { AuthHttpModule } from '@huizhen/auth';
import { PlatformModule } from '@huizhen/platform-http';
import { type TestSchema, startTestApp } from '@huizhen/testing';
import { ImagingModule } from '../../../apps/imaging/src/imaging.module';

/** The imaging app as its process runs it, plus the login route so tests can get tokens. */
export function startImagingForTest(schema: TestSchema, env: Record<string, string> = {}) {
  return startTestApp(schema.env(env), (config) => {
    @Module({
      imports: [PlatformModule.forRoot({ config, database: true }), AuthHttpModule, ImagingModule],
    })
    class ImagingUnderTest {}
    return ImagingUnderTest;
  });
}

export function multipartRelated(
  parts: Buffer[],
  type = 'application/dicom',
): { body: Buffer; contentType: string } {
  const boundary = `test-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\n\r\n`),
      p,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="${type}"; boundary=${boundary}`,
  };
}

export async function stow(
  url: string,
  token: string,
  parts: Buffer[],
  path = '/dicom-web/studies',
) {
  const { body, contentType } = multipartRelated(parts);
  const res = await fetch(url + path, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': contentType,
      accept: 'application/dicom+json',
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

/** Splits a multipart/related response into its parts (headers + body). */
export function parseMultipart(
  body: Buffer,
  contentType: string,
): { headers: Record<string, string>; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delim = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let at = body.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(delim, headerEnd);
    const headers: Record<string, string> = {};
    for (const line of body
      .subarray(start + 2, headerEnd)
      .toString()
      .split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: body.subarray(headerEnd + 4, next - 2) });
    at = next;
  }
  return parts;
}

export async function get(url: string, token: string, path: string, accept?: string) {
  const res = await fetch(url + path, {
    headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) },
  });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    body,
    json: () => JSON.parse(body.toString()),
  };
}
