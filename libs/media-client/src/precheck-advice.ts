/**
 * The pre-join check's verdict and advice (pure; unit-tested in precheck-advice.spec.ts): from
 * what the devices did and what the link probe measured, what the user should know or do before
 * joining. The link thresholds follow LinkGuard's: below 300 kbit/s the room would cap video to its
 * smallest layer at once (and turn it off below 150), so the advice is to join with audio only.
 */
import { LINK_GUARD_DEFAULTS } from '@huizhen/media-signaling';
import type { LinkProbeErrorCode, LinkProbeFigures } from './link-probe';

/** What opening a device gave: ok, or why not (getUserMedia's errors, sorted). */
export type DeviceCheck = 'pending' | 'ok' | 'denied' | 'not_found' | 'in_use' | 'failed';

export interface PrecheckFacts {
  /** window.isSecureContext: browsers give camera and microphone only to https (or localhost). */
  secureContext: boolean;
  camera: DeviceCheck;
  microphone: DeviceCheck;
  /** The loudest the microphone was during the check (0-1), and for how long it was listened to. */
  micPeak: number | null;
  micListenedMs: number;
  probe: LinkProbeFigures | null;
  probeError: LinkProbeErrorCode | null;
}

export type LinkVerdict = 'pending' | 'good' | 'fair' | 'poor' | 'unknown';

export type AdviceKey =
  | 'insecure'
  | 'cameraDenied'
  | 'cameraMissing'
  | 'cameraInUse'
  | 'cameraFailed'
  | 'micDenied'
  | 'micMissing'
  | 'micInUse'
  | 'micFailed'
  | 'micSilent'
  | 'linkGood'
  | 'linkFair'
  | 'linkPoor'
  | 'linkUnreachable'
  | 'linkNoMediaPath'
  | 'linkRefused'
  | 'linkFailed'
  | 'linkRelayed';

export interface Advice {
  key: AdviceKey;
  level: 'success' | 'info' | 'warning' | 'error';
}

export interface PrecheckAdvice {
  verdict: LinkVerdict;
  /** Join with audio only (no camera sent, no video received): the link cannot carry video. */
  audioOnly: boolean;
  advice: Advice[];
}

export const PRECHECK_THRESHOLDS = {
  /** Below this estimate (kbit/s) video does not fit: audio only. */
  poorBelowKbps: LINK_GUARD_DEFAULTS.lowBelowKbps,
  /** Below this the room's video will be reduced (its middle layer needs 500 kbit/s). */
  fairBelowKbps: 800,
  poorLossPct: 10,
  fairLossPct: 3,
  poorRttMs: 800,
  fairRttMs: 300,
  /** A microphone this quiet for this long hears nothing. */
  silentBelow: 0.02,
  silentAfterMs: 3000,
};

/** How the measured link will carry the call. */
export function linkVerdict(p: LinkProbeFigures, t = PRECHECK_THRESHOLDS): LinkVerdict {
  const { availableKbps: kbps, lossPct: loss, rttMs: rtt } = p;
  if (kbps === null && loss === null && rtt === null) return 'unknown';
  if (
    (kbps !== null && kbps < t.poorBelowKbps) ||
    (loss !== null && loss >= t.poorLossPct) ||
    (rtt !== null && rtt >= t.poorRttMs)
  )
    return 'poor';
  if (
    (kbps !== null && kbps < t.fairBelowKbps) ||
    (loss !== null && loss >= t.fairLossPct) ||
    (rtt !== null && rtt >= t.fairRttMs)
  )
    return 'fair';
  return 'good';
}

const DEVICE_ADVICE: Record<'camera' | 'microphone', Partial<Record<DeviceCheck, AdviceKey>>> = {
  camera: {
    denied: 'cameraDenied',
    not_found: 'cameraMissing',
    in_use: 'cameraInUse',
    failed: 'cameraFailed',
  },
  microphone: {
    denied: 'micDenied',
    not_found: 'micMissing',
    in_use: 'micInUse',
    failed: 'micFailed',
  },
};

const PROBE_ADVICE: Record<LinkProbeErrorCode, AdviceKey | null> = {
  unreachable: 'linkUnreachable',
  no_media_path: 'linkNoMediaPath',
  refused: 'linkRefused',
  failed: 'linkFailed',
  aborted: null,
};

export function precheckAdvice(f: PrecheckFacts, t = PRECHECK_THRESHOLDS): PrecheckAdvice {
  const advice: Advice[] = [];
  // Without a secure page no device opens whatever the user allows: that first, alone for devices.
  if (!f.secureContext) advice.push({ key: 'insecure', level: 'error' });
  else {
    for (const device of ['camera', 'microphone'] as const) {
      const key = DEVICE_ADVICE[device][f[device]];
      // No camera is not fatal (the call goes on with the microphone); no microphone is.
      if (key) advice.push({ key, level: device === 'camera' ? 'warning' : 'error' });
    }
    if (
      f.microphone === 'ok' &&
      f.micPeak !== null &&
      f.micListenedMs >= t.silentAfterMs &&
      f.micPeak < t.silentBelow
    )
      advice.push({ key: 'micSilent', level: 'warning' });
  }
  let verdict: LinkVerdict = 'pending';
  if (f.probeError) {
    verdict = 'unknown';
    const key = PROBE_ADVICE[f.probeError];
    if (key)
      advice.push({
        key,
        level:
          f.probeError === 'no_media_path' || f.probeError === 'unreachable' ? 'error' : 'warning',
      });
  } else if (f.probe) {
    verdict = linkVerdict(f.probe, t);
    if (verdict === 'good') advice.push({ key: 'linkGood', level: 'success' });
    if (verdict === 'fair') advice.push({ key: 'linkFair', level: 'info' });
    if (verdict === 'poor') advice.push({ key: 'linkPoor', level: 'warning' });
    if (f.probe.path?.candidateType === 'relay') advice.push({ key: 'linkRelayed', level: 'info' });
  }
  return { verdict, audioOnly: verdict === 'poor', advice };
}
