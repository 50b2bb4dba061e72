import { describe, expect, it } from '@jest/globals';
import { type LinkProbeFigures, probeFigures, readProbeStats } from './link-probe';
import { type PrecheckFacts, linkVerdict, precheckAdvice } from './precheck-advice';

const link = (p: Partial<LinkProbeFigures>): LinkProbeFigures => ({
  rttMs: 40,
  availableKbps: 2000,
  lossPct: 0,
  sentKbps: 900,
  receivedKbps: 880,
  path: { protocol: 'udp', candidateType: 'host' },
  measuredMs: 5000,
  ...p,
});
const facts = (f: Partial<PrecheckFacts>): PrecheckFacts => ({
  secureContext: true,
  camera: 'ok',
  microphone: 'ok',
  micPeak: 0.3,
  micListenedMs: 5000,
  probe: link({}),
  probeError: null,
  ...f,
});
const keys = (f: Partial<PrecheckFacts>) => precheckAdvice(facts(f)).advice.map((a) => a.key);

describe('pre-join check advice', () => {
  it('calls a link good, fair or poor by estimate, loss and round trip (LinkGuard’s 300 kbit/s for audio only)', () => {
    expect(linkVerdict(link({}))).toBe('good');
    expect(linkVerdict(link({ availableKbps: 600 }))).toBe('fair');
    expect(linkVerdict(link({ lossPct: 4 }))).toBe('fair');
    expect(linkVerdict(link({ rttMs: 350 }))).toBe('fair');
    expect(linkVerdict(link({ availableKbps: 250 }))).toBe('poor');
    expect(linkVerdict(link({ lossPct: 12 }))).toBe('poor');
    expect(linkVerdict(link({ rttMs: 900 }))).toBe('poor');
    expect(linkVerdict(link({ availableKbps: null, lossPct: null, rttMs: null }))).toBe('unknown');
    // What is unknown does not count against the link.
    expect(linkVerdict(link({ availableKbps: null, lossPct: null, rttMs: 30 }))).toBe('good');
  });

  it('advises audio only on a poor link, and nothing of the sort on a good one', () => {
    expect(precheckAdvice(facts({}))).toEqual({
      verdict: 'good',
      audioOnly: false,
      advice: [{ key: 'linkGood', level: 'success' }],
    });
    const poor = precheckAdvice(facts({ probe: link({ availableKbps: 180, lossPct: 15 }) }));
    expect(poor).toMatchObject({ verdict: 'poor', audioOnly: true });
    expect(poor.advice).toEqual([{ key: 'linkPoor', level: 'warning' }]);
    expect(precheckAdvice(facts({ probe: link({ availableKbps: 500 }) })).audioOnly).toBe(false);
    expect(
      keys({
        probe: link({ path: { protocol: 'tcp', candidateType: 'relay', relayProtocol: 'tls' } }),
      }),
    ).toEqual(['linkGood', 'linkRelayed']);
  });

  it('says what a device failure means: blocked, missing, in use', () => {
    expect(keys({ camera: 'denied', probe: null })).toEqual(['cameraDenied']);
    expect(keys({ camera: 'not_found', microphone: 'not_found', probe: null })).toEqual([
      'cameraMissing',
      'micMissing',
    ]);
    expect(keys({ camera: 'in_use', probe: null })).toEqual(['cameraInUse']);
    const mic = precheckAdvice(facts({ microphone: 'denied', probe: null })).advice;
    expect(mic).toEqual([{ key: 'micDenied', level: 'error' }]);
    expect(precheckAdvice(facts({ camera: 'failed', probe: null })).advice).toEqual([
      { key: 'cameraFailed', level: 'warning' },
    ]);
  });

  it('on a page that is not secure says only that (no device can open there)', () => {
    expect(
      keys({ secureContext: false, camera: 'failed', microphone: 'failed', probe: null }),
    ).toEqual(['insecure']);
  });

  it('notices a silent microphone only after listening long enough', () => {
    expect(keys({ micPeak: 0.001, micListenedMs: 1000, probe: null })).toEqual([]);
    expect(keys({ micPeak: 0.001, micListenedMs: 4000, probe: null })).toEqual(['micSilent']);
    expect(keys({ micPeak: 0.2, micListenedMs: 4000, probe: null })).toEqual([]);
  });

  it('turns a failed probe into advice, and says nothing of a stopped one', () => {
    expect(precheckAdvice(facts({ probe: null, probeError: 'no_media_path' }))).toEqual({
      verdict: 'unknown',
      audioOnly: false,
      advice: [{ key: 'linkNoMediaPath', level: 'error' }],
    });
    expect(keys({ probe: null, probeError: 'unreachable' })).toEqual(['linkUnreachable']);
    expect(keys({ probe: null, probeError: 'refused' })).toEqual(['linkRefused']);
    expect(keys({ probe: null, probeError: 'failed' })).toEqual(['linkFailed']);
    expect(keys({ probe: null, probeError: 'aborted' })).toEqual([]);
    expect(precheckAdvice(facts({ probe: null })).verdict).toBe('pending');
  });
});

describe('link probe figures from getStats()', () => {
  const report = (
    at: number,
    o: { rtt: number; bps: number; bytes: number; packets: number; lost: number },
  ) =>
    readProbeStats(
      [
        { type: 'transport', id: 'T', selectedCandidatePairId: 'CP' },
        {
          type: 'candidate-pair',
          id: 'CP',
          localCandidateId: 'L',
          currentRoundTripTime: o.rtt,
          availableOutgoingBitrate: o.bps,
          nominated: true,
          state: 'succeeded',
        },
        { type: 'local-candidate', id: 'L', protocol: 'udp', candidateType: 'host' },
        {
          type: 'outbound-rtp',
          id: 'O',
          kind: 'video',
          bytesSent: o.bytes,
          packetsSent: o.packets,
        },
        { type: 'remote-inbound-rtp', id: 'R', packetsLost: o.lost, fractionLost: 0.1 },
      ],
      at,
    );

  it('reads the selected pair’s round trip and estimate, the node’s loss report and what was sent', () => {
    const samples = [0, 1, 2, 3, 4].map((i) =>
      report(i * 1000, {
        rtt: 0.1 + i * 0.01,
        bps: 300_000 + i * 100_000,
        bytes: i * 125_000,
        packets: i * 100,
        lost: i * 5,
      }),
    );
    const f = probeFigures(samples, 950, { received: 380, lost: 20 });
    expect(f.rttMs).toBeCloseTo(120, 5);
    // The estimate's median over the last 2 s (samples at 2, 3, 4 s).
    expect(f.availableKbps).toBe(600);
    expect(f.sentKbps).toBe(1000);
    // Loss over the last 2.5 s (samples at 2 and 4 s): 10 of 200.
    expect(f.lossPct).toBe(5);
    expect(f).toMatchObject({
      receivedKbps: 950,
      measuredMs: 4000,
      path: { protocol: 'udp', candidateType: 'host' },
    });
  });

  it('leaves out the start’s overshoot: loss once the sender found its rate', () => {
    // A thin link: the first second at the start bitrate loses 40 of 100, then 2 of 100 a second.
    const lost = [0, 40, 42, 44, 46, 48];
    const samples = lost.map((l, i) =>
      report(i * 1000, { rtt: 0.3, bps: 250_000, bytes: i * 30_000, packets: i * 100, lost: l }),
    );
    expect(probeFigures(samples).lossPct).toBe(2);
  });

  it('takes the node’s own loss count where no receiver report arrived, and nothing from too few packets', () => {
    const noReport = (s: ReturnType<typeof report>) => ({ ...s, remoteLost: null });
    const samples = [
      report(0, { rtt: 0.05, bps: 1e6, bytes: 0, packets: 0, lost: 0 }),
      report(1000, { rtt: 0.05, bps: 1e6, bytes: 1000, packets: 100, lost: 0 }),
    ].map(noReport);
    expect(probeFigures(samples, null, { received: 80, lost: 20 }).lossPct).toBe(20);
    expect(probeFigures(samples, null, { received: 10, lost: 0 }).lossPct).toBeNull();
  });
});
