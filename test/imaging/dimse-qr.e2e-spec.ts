import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { spawn } from 'node:child_process';
import {
  type TestSchema,
  TestSchema as Schema,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { startImagingForTest } from './support/dicomweb-client';

const ENV = {
  ...process.env,
  TCP_NODELAY: '1',
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};

/** Runs a dcmtk tool without blocking the event loop (the SCP under test lives in this process). */
function dcmtk(tool: string, args: string[]): Promise<{ status: number | null; out: string }> {
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

describe('DIMSE query/retrieve SCP against dcmtk', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startImagingForTest>>;
  let dir: DirectoryFixture;
  let port: number;
  const warnings: string[] = [];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, m: unknown) {
      warnings.push(String(m));
    });
    schema = await Schema.create('dimse_qr');
    dir = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description) VALUES ('TOWNA_CT', $1, 'township CT'), ('TOWNB_WS', $2, 'township B workstation')`,
      [dir.org.townA, dir.org.townB],
    );
    app = await startImagingForTest(schema, {
      DIMSE_PORT: '0',
      DIMSE_HOST: '127.0.0.1',
      DIMSE_AE_TITLE: 'HUIZHEN',
      DIMSE_IDLE_TIMEOUT_SECONDS: '5',
    });
    port = app.app.get(DimseScp).port;
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('refuses a context it does not serve in the A-ASSOCIATE-AC (abstract syntax not supported) and logs it', async () => {
    warnings.length = 0;
    // Modality Worklist is not served (yet): its only context must come back refused with result 3.
    const r = await dcmtk('findscu', [
      '-d',
      '-W',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '-k',
      'PatientName=',
      '127.0.0.1',
      String(port),
    ]);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(
      /A-ASSOCIATE-AC[\s\S]*Context ID: +1 \(Abstract Syntax Not Supported\)\s+D: +Abstract Syntax: +=FINDModalityWorklistInformationModel/,
    );
    expect(r.out).toMatch(/No Acceptable Presentation Contexts/);
    expect(warnings.join('\n')).toMatch(
      /A-ASSOCIATE-AC to TOWNA_CT: abstract syntax not supported for 1\.2\.840\.10008\.5\.1\.4\.31/,
    );
  });
});
