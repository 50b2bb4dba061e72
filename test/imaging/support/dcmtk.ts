import { spawn } from 'node:child_process';

/** dcmtk's environment: its dictionary where Debian puts it, and no Nagle delay on its sockets. */
export const DCMTK_ENV = {
  ...process.env,
  TCP_NODELAY: '1',
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};

/**
 * Runs a dcmtk tool without blocking the event loop (the SCP under test lives in the test's
 * process), with its output (stdout and stderr together); killed after a minute.
 */
export function dcmtk(
  tool: string,
  args: string[],
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(tool, args, { env: DCMTK_ENV });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

/** The last C-STORE-RSP's status and error comment, as storescu -d prints them. */
export function storeResponseOf(out: string): { status: number | null; comment: string | null } {
  const at = out.lastIndexOf('C-STORE RSP');
  const rsp = at >= 0 ? out.slice(at) : '';
  const status = /DIMSE Status\s*:\s*0x([0-9a-f]{4})/i.exec(rsp);
  const comment = /\(0000,0902\) LO \[(.*)\]/.exec(rsp);
  return {
    status: status ? parseInt(status[1], 16) : null,
    comment: comment ? comment[1].trim() : null,
  };
}

/** storescu of one file as TOWNA_CT to HUIZHEN on 127.0.0.1:`port`: the response's status and comment. */
export async function storescu(
  port: number,
  file: string,
): Promise<{ status: number | null; comment: string | null }> {
  const args = ['-d', '-aet', 'TOWNA_CT', '-aec', 'HUIZHEN', '127.0.0.1', String(port), file];
  return storeResponseOf((await dcmtk('storescu', args)).out);
}

/**
 * What findscu -v printed: each pending response's identifier as keyword → value (a sequence's
 * item keywords among them).
 */
export function findscuMatches(out: string): Record<string, string>[] {
  const matches: Record<string, string>[] = [];
  for (const block of out.split(/Find Response: \d+ \(Pending\)/).slice(1)) {
    const m: Record<string, string> = {};
    for (const line of block.split('\n')) {
      // dcmtk prints a known UID by its name (=CTImageStorage), anything else in brackets.
      const e =
        /\(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w) (?:\[(.*?)\]|\(no value available\)|(=\w+))?.*#.*?\d+,\s*\S+\s+(\w+)/.exec(
          line,
        );
      if (e) m[e[6]] = (e[4] ?? e[5] ?? '').replace(/[\s\0]+$/, '');
    }
    matches.push(m);
  }
  return matches;
}
