/**
 * The room's devices: the camera, microphone and speaker the user chose in the pre-join check
 * (remembered in this browser; the room opens exactly these), getUserMedia's failures sorted into
 * what to tell the user, and whether the check runs before joining.
 */
import type { DeviceCheck } from '@huizhen/media-client';

export interface ChosenDevices {
  cameraId?: string;
  micId?: string;
  speakerId?: string;
}

const DEVICES_KEY = 'huizhen.room.devices';
const CHECK_KEY = 'huizhen.room.precheck';

function store(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function chosenDevices(): ChosenDevices {
  try {
    const v = JSON.parse(store()?.getItem(DEVICES_KEY) ?? '{}') as ChosenDevices;
    return typeof v === 'object' && v ? v : {};
  } catch {
    return {};
  }
}

export function rememberDevices(d: ChosenDevices): void {
  try {
    store()?.setItem(DEVICES_KEY, JSON.stringify(d));
  } catch {
    // private mode or full: the choice lasts this visit only
  }
}

/** Whether the check runs before joining: asked for by the link (?check), or always (the user's choice). */
export function wantsPrecheck(search: string): boolean {
  return new URLSearchParams(search).has('check') || store()?.getItem(CHECK_KEY) === 'always';
}

export function precheckAlways(): boolean {
  return store()?.getItem(CHECK_KEY) === 'always';
}

export function setPrecheckAlways(on: boolean): void {
  try {
    if (on) store()?.setItem(CHECK_KEY, 'always');
    else store()?.removeItem(CHECK_KEY);
  } catch {
    // see rememberDevices
  }
}

/** The room's capture size (the media client asks the camera for 720p itself before publishing). */
const VIDEO = { width: 640, height: 360 };

/** Constraints for the chosen devices (`exact`: fail rather than open another one). */
export function constraintsFor(
  d: ChosenDevices,
  exact: boolean,
): { audio: MediaTrackConstraints | boolean; video: MediaTrackConstraints } {
  const pick = (id?: string) => (id ? { deviceId: exact ? { exact: id } : id } : {});
  return { audio: d.micId ? pick(d.micId) : true, video: { ...VIDEO, ...pick(d.cameraId) } };
}

/** getUserMedia's error, as the check reports it. */
export function deviceCheckOf(e: unknown): DeviceCheck {
  const name = (e as { name?: string })?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError')
    return 'denied';
  if (
    name === 'NotFoundError' ||
    name === 'OverconstrainedError' ||
    name === 'DevicesNotFoundError'
  )
    return 'not_found';
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError')
    return 'in_use';
  return 'failed';
}

/**
 * Opens the chosen camera and microphone (together, else each alone to know which one fails).
 * A remembered device that is gone falls back to the default one.
 */
export async function openDevices(
  d: ChosenDevices,
  wantVideo = true,
): Promise<{
  stream: MediaStream | null;
  camera: DeviceCheck;
  microphone: DeviceCheck;
  error: unknown;
}> {
  const md = navigator.mediaDevices;
  if (!md?.getUserMedia)
    return {
      stream: null,
      camera: 'failed',
      microphone: 'failed',
      error: new Error('mediaDevices unavailable'),
    };
  const open = async (c: MediaStreamConstraints) => {
    try {
      return await md.getUserMedia(c);
    } catch (e) {
      const name = (e as { name?: string }).name;
      // The remembered device is gone: the default one.
      if (name === 'OverconstrainedError' || name === 'NotFoundError') {
        const loose: MediaStreamConstraints = {
          audio: c.audio ? true : false,
          video: c.video ? VIDEO : false,
        };
        if ((d.cameraId && c.video) || (d.micId && c.audio)) return md.getUserMedia(loose);
      }
      throw e;
    }
  };
  const want = constraintsFor(d, true);
  if (wantVideo) {
    try {
      return {
        stream: await open({ audio: want.audio, video: want.video }),
        camera: 'ok',
        microphone: 'ok',
        error: null,
      };
    } catch (both) {
      const [video, audio] = await Promise.allSettled([
        open({ video: want.video }),
        open({ audio: want.audio }),
      ]);
      const tracks = [video, audio].flatMap((r) =>
        r.status === 'fulfilled' ? r.value.getTracks() : [],
      );
      return {
        stream: tracks.length ? new MediaStream(tracks) : null,
        camera: video.status === 'fulfilled' ? 'ok' : deviceCheckOf(video.reason),
        microphone: audio.status === 'fulfilled' ? 'ok' : deviceCheckOf(audio.reason),
        error: both,
      };
    }
  }
  try {
    return {
      stream: await open({ audio: want.audio }),
      camera: 'pending',
      microphone: 'ok',
      error: null,
    };
  } catch (e) {
    return { stream: null, camera: 'pending', microphone: deviceCheckOf(e), error: e };
  }
}

/** Plays remote audio on the chosen speaker where the browser lets a page choose (setSinkId). */
export function playOnSpeaker(el: HTMLMediaElement | null, speakerId: string | undefined): void {
  const sink = el as (HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> }) | null;
  if (sink?.setSinkId && speakerId) void sink.setSinkId(speakerId).catch(() => undefined);
}
