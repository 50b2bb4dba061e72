import { spawn } from 'node:child_process';

const ENV = {
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
    const child = spawn(tool, args, { env: ENV });
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
