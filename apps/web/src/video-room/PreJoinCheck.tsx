/**
 * The pre-join check: before the user enters the room (or its waiting room), the camera's
 * preview and the choice of camera, microphone and speaker (remembered; the room opens these), the
 * microphone's level, a test sound, and a few seconds' probe of the path to the media server
 * (libs/media-client probeLink: bitrate, round trip, loss) with advice. Joining from here hands the
 * open camera and microphone to the room; skipping joins at once.
 */
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Progress,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  type DeviceCheck,
  type LinkProbeErrorCode,
  type LinkProbeFigures,
  LinkProbeError,
  probeLink,
  precheckAdvice,
} from '@huizhen/media-client';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/messages';
import {
  type ChosenDevices,
  chosenDevices,
  openDevices,
  playOnSpeaker,
  precheckAlways,
  rememberDevices,
  setPrecheckAlways,
} from './devices';
import { noiseTrack } from './probe-track';
import type { RoomEntry } from './room-entry';
import { peekRoomTicket } from './room-tickets';

interface ProbeState {
  running: boolean;
  live: LinkProbeFigures | null;
  result: LinkProbeFigures | null;
  error: LinkProbeErrorCode | null;
}

/** The microphone's level (0-1, RMS) ten times a second, and the loudest seen since listening began. */
function useMicLevel(stream: MediaStream | null) {
  const [level, setLevel] = useState(0);
  const peak = useRef<{ value: number; since: number }>({ value: 0, since: Date.now() });
  useEffect(() => {
    const track = stream?.getAudioTracks()[0];
    peak.current = { value: 0, since: Date.now() };
    setLevel(0);
    if (!track) return;
    const ctx = new AudioContext();
    void ctx.resume().catch(() => undefined);
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      // RMS scaled so that speech sits mid-scale (full scale is 1).
      const v = Math.min(1, Math.sqrt(sum / buf.length) * 4);
      peak.current.value = Math.max(peak.current.value, v);
      setLevel(v);
    }, 100);
    return () => {
      window.clearInterval(timer);
      source.disconnect();
      void ctx.close().catch(() => undefined);
    };
  }, [stream]);
  return { level, peak };
}

/** Three short beeps on the chosen speaker. */
async function playTestSound(speakerId: string | undefined): Promise<void> {
  const ctx = new AudioContext();
  const dest = ctx.createMediaStreamDestination();
  const gain = ctx.createGain();
  gain.gain.value = 0.2;
  gain.connect(dest);
  const audio = new Audio();
  audio.srcObject = dest.stream;
  playOnSpeaker(audio, speakerId);
  await audio.play();
  for (let i = 0; i < 3; i++) {
    const osc = ctx.createOscillator();
    osc.frequency.value = 660;
    osc.connect(gain);
    osc.start(ctx.currentTime + i * 0.4);
    osc.stop(ctx.currentTime + i * 0.4 + 0.2);
  }
  await new Promise((r) => setTimeout(r, 1300));
  audio.pause();
  await ctx.close();
}

const fmt = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined ? '—' : v.toFixed(digits);

export function PreJoinCheck({
  consultationId,
  onJoin,
}: {
  consultationId: string;
  onJoin: (entry: RoomEntry) => void;
}) {
  const { t } = useI18n();
  const [chosen, setChosen] = useState<ChosenDevices>(() => chosenDevices());
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [state, setState] = useState<{ camera: DeviceCheck; microphone: DeviceCheck }>({
    camera: 'pending',
    microphone: 'pending',
  });
  const [probe, setProbe] = useState<ProbeState>({
    running: false,
    live: null,
    result: null,
    error: null,
  });
  const [always, setAlways] = useState(() => precheckAlways());
  const [speakerPlayed, setSpeakerPlayed] = useState(false);
  const [tick, setTick] = useState(0);
  const streamRef = useRef<MediaStream | null>(null);
  const handedOver = useRef(false);
  const probeAbort = useRef<AbortController | null>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const { level, peak } = useMicLevel(stream);
  const secure = window.isSecureContext;

  // Open the chosen devices (again on every choice); the old ones are closed.
  const reopen = useCallback(async (d: ChosenDevices) => {
    streamRef.current?.getTracks().forEach((x) => x.stop());
    streamRef.current = null;
    setStream(null);
    setState({ camera: 'pending', microphone: 'pending' });
    const opened = await openDevices(d);
    streamRef.current = opened.stream;
    setStream(opened.stream);
    setState({ camera: opened.camera, microphone: opened.microphone });
    // Labels come once a device was allowed.
    setDevices(await navigator.mediaDevices.enumerateDevices().catch(() => []));
  }, []);

  useEffect(() => {
    if (secure) void reopen(chosenDevices());
    else setState({ camera: 'failed', microphone: 'failed' });
    return () => {
      if (!handedOver.current) streamRef.current?.getTracks().forEach((x) => x.stop());
    };
  }, [reopen, secure]);

  useEffect(() => {
    const el = videoRef.current;
    const video = stream?.getVideoTracks()[0];
    if (!el) return;
    el.srcObject = video ? new MediaStream([video]) : null;
    if (video) void el.play().catch(() => undefined);
  }, [stream]);

  const runProbe = useCallback(async () => {
    probeAbort.current?.abort();
    const abort = new AbortController();
    probeAbort.current = abort;
    setProbe({ running: true, live: null, result: null, error: null });
    const source = noiseTrack();
    try {
      const ticket = await peekRoomTicket(consultationId);
      const result = await probeLink({
        url: window.location.origin,
        room: ticket.room,
        token: ticket.token,
        track: source.track,
        signal: abort.signal,
        onSample: (live) => !abort.signal.aborted && setProbe((p) => ({ ...p, live })),
      });
      if (!abort.signal.aborted) setProbe({ running: false, live: result, result, error: null });
    } catch (e) {
      const code: LinkProbeErrorCode = e instanceof LinkProbeError ? e.code : 'unreachable';
      if (!abort.signal.aborted)
        setProbe({ running: false, live: null, result: null, error: code });
    } finally {
      source.stop();
    }
  }, [consultationId]);

  useEffect(() => {
    void runProbe();
    return () => probeAbort.current?.abort();
  }, [runProbe]);

  // The silent-microphone advice needs time passing, not only new levels.
  useEffect(() => {
    const timer = window.setInterval(() => setTick((n) => n + 1), 1000);
    return () => window.clearInterval(timer);
  }, []);

  const verdict = useMemo(
    () =>
      precheckAdvice({
        secureContext: secure,
        camera: state.camera,
        microphone: state.microphone,
        micPeak: state.microphone === 'ok' ? peak.current.value : null,
        micListenedMs: Date.now() - peak.current.since,
        probe: probe.result,
        probeError: probe.error,
      }),
    // tick: re-judged every second (the microphone's peak lives in a ref).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [secure, state, probe, tick],
  );

  const choose = (patch: ChosenDevices) => {
    const next = { ...chosen, ...patch };
    setChosen(next);
    rememberDevices(next);
    if (patch.cameraId !== undefined || patch.micId !== undefined) void reopen(next);
  };

  const join = (audioOnly: boolean) => {
    probeAbort.current?.abort();
    rememberDevices(chosen);
    handedOver.current = true;
    onJoin({ stream: streamRef.current, audioOnly });
  };

  const list = (kind: MediaDeviceKind) => devices.filter((d) => d.kind === kind && d.deviceId);
  const options = (kind: MediaDeviceKind) => [
    { value: '', label: t('room.check.defaultDevice') },
    ...list(kind)
      .filter((d) => d.deviceId !== 'default')
      .map((d, i) => ({ value: d.deviceId, label: d.label || `${kind} ${i + 1}` })),
  ];
  const canPickSpeaker =
    'setSinkId' in HTMLMediaElement.prototype && list('audiooutput').length > 0;
  const figures = probe.result ?? probe.live;
  // The server's HTTPS port by default (HTTPS_PORT); a plain-HTTP page to a LAN address is normally sent there already.
  const httpsUrl = `https://${window.location.hostname}:3443${window.location.pathname}`;

  return (
    <Card
      data-testid="precheck"
      title={t('room.check.title')}
      extra={<Typography.Text type="secondary">{t('room.check.subtitle')}</Typography.Text>}
    >
      <div
        style={{
          display: 'grid',
          gridTemplateColumns: 'minmax(0, 1fr) minmax(280px, 360px)',
          gap: 16,
          alignItems: 'start',
        }}
      >
        <div style={{ display: 'grid', gap: 8 }}>
          <div
            style={{
              position: 'relative',
              aspectRatio: '16 / 9',
              background: '#111',
              borderRadius: 8,
              overflow: 'hidden',
            }}
          >
            <video
              ref={videoRef}
              data-testid="precheck-preview"
              data-camera={state.camera}
              autoPlay
              playsInline
              muted
              style={{ width: '100%', height: '100%', objectFit: 'cover', transform: 'scaleX(-1)' }}
            />
            {state.camera !== 'ok' ? (
              <div
                style={{
                  position: 'absolute',
                  inset: 0,
                  display: 'grid',
                  placeItems: 'center',
                  color: '#ddd',
                }}
              >
                {state.camera === 'pending' ? t('room.check.opening') : t('room.check.noCamera')}
              </div>
            ) : null}
          </div>
          <Space wrap>
            <span>{t('room.check.camera')}</span>
            <Select
              data-testid="precheck-camera"
              style={{ minWidth: 220 }}
              value={chosen.cameraId ?? ''}
              options={options('videoinput')}
              onChange={(v) => choose({ cameraId: v || undefined })}
            />
            <span>{t('room.check.microphone')}</span>
            <Select
              data-testid="precheck-mic"
              style={{ minWidth: 220 }}
              value={chosen.micId ?? ''}
              options={options('audioinput')}
              onChange={(v) => choose({ micId: v || undefined })}
            />
            {canPickSpeaker ? (
              <>
                <span>{t('room.check.speaker')}</span>
                <Select
                  data-testid="precheck-speaker"
                  style={{ minWidth: 220 }}
                  value={chosen.speakerId ?? ''}
                  options={options('audiooutput')}
                  onChange={(v) => choose({ speakerId: v || undefined })}
                />
              </>
            ) : null}
          </Space>
        </div>
        <div style={{ display: 'grid', gap: 12 }}>
          <div>
            <Typography.Text>{t('room.check.micLevel')}</Typography.Text>
            <Progress
              data-testid="precheck-mic-level"
              data-peak={Math.round(peak.current.value * 100)}
              percent={Math.round(level * 100)}
              showInfo={false}
              steps={20}
              size="small"
              strokeColor="#52c41a"
            />
          </div>
          <Space>
            <Button
              data-testid="precheck-speaker-test"
              data-played={speakerPlayed ? '1' : '0'}
              onClick={() =>
                void playTestSound(chosen.speakerId).then(
                  () => setSpeakerPlayed(true),
                  () => undefined,
                )
              }
            >
              {t('room.check.speakerTest')}
            </Button>
            <Typography.Text type="secondary">{t('room.check.speakerHint')}</Typography.Text>
          </Space>
          <div
            data-testid="precheck-network"
            data-verdict={probe.running ? 'pending' : verdict.verdict}
          >
            <Space style={{ marginBottom: 4 }}>
              <Typography.Text strong>{t('room.check.network')}</Typography.Text>
              <Tag
                color={
                  { good: 'green', fair: 'gold', poor: 'red', unknown: 'default', pending: 'blue' }[
                    probe.running ? 'pending' : verdict.verdict
                  ]
                }
              >
                {probe.running
                  ? t('room.check.probing')
                  : t(`room.check.verdict.${verdict.verdict}` as MessageKey)}
              </Tag>
              {!probe.running ? (
                <Button size="small" data-testid="precheck-retry" onClick={() => void runProbe()}>
                  {t('room.check.retry')}
                </Button>
              ) : null}
            </Space>
            <Descriptions
              size="small"
              column={1}
              items={[
                {
                  key: 'b',
                  label: t('room.check.bitrate'),
                  children: (
                    <span
                      data-testid="precheck-bitrate"
                      data-value={figures?.availableKbps ?? ''}
                    >{`${fmt(figures?.availableKbps)} kbps`}</span>
                  ),
                },
                {
                  key: 'r',
                  label: t('room.check.rtt'),
                  children: (
                    <span
                      data-testid="precheck-rtt"
                      data-value={figures?.rttMs ?? ''}
                    >{`${fmt(figures?.rttMs)} ms`}</span>
                  ),
                },
                {
                  key: 'l',
                  label: t('room.check.loss'),
                  children: (
                    <span
                      data-testid="precheck-loss"
                      data-value={figures?.lossPct ?? ''}
                    >{`${fmt(figures?.lossPct, 1)} %`}</span>
                  ),
                },
                ...(figures?.path
                  ? [
                      {
                        key: 'p',
                        label: t('room.check.path'),
                        children: `${figures.path.protocol.toUpperCase()}${figures.path.candidateType === 'relay' ? ` · TURN${figures.path.relayProtocol ? ` (${figures.path.relayProtocol})` : ''}` : ''}`,
                      },
                    ]
                  : []),
              ]}
            />
          </div>
        </div>
      </div>
      <div style={{ display: 'grid', gap: 8, marginTop: 12 }}>
        {verdict.advice.map((a) => (
          <Alert
            key={a.key}
            data-testid="precheck-advice"
            data-key={a.key}
            type={a.level}
            showIcon
            title={t(`room.check.advice.${a.key}` as MessageKey, { https: httpsUrl })}
            action={
              a.key === 'insecure' ? (
                <Button size="small" href="/ca">
                  {t('room.check.caPage')}
                </Button>
              ) : [
                  'cameraDenied',
                  'cameraMissing',
                  'cameraInUse',
                  'cameraFailed',
                  'micDenied',
                  'micMissing',
                  'micInUse',
                  'micFailed',
                ].includes(a.key) ? (
                <Button size="small" onClick={() => void reopen(chosen)}>
                  {t('room.check.recheckDevices')}
                </Button>
              ) : undefined
            }
          />
        ))}
      </div>
      <Space wrap style={{ marginTop: 16 }}>
        <Button
          data-testid="precheck-join"
          type={verdict.audioOnly ? 'default' : 'primary'}
          onClick={() => join(false)}
        >
          {t('room.check.join')}
        </Button>
        <Button
          data-testid="precheck-join-audio-only"
          type={verdict.audioOnly ? 'primary' : 'default'}
          onClick={() => join(true)}
        >
          {t('room.check.joinAudioOnly')}
        </Button>
        {probe.running ? (
          <Button data-testid="precheck-skip" type="link" onClick={() => join(false)}>
            {t('room.check.skip')}
          </Button>
        ) : null}
        <Checkbox
          data-testid="precheck-always"
          checked={always}
          onChange={(e) => {
            setAlways(e.target.checked);
            setPrecheckAlways(e.target.checked);
          }}
        >
          {t('room.check.always')}
        </Checkbox>
      </Space>
    </Card>
  );
}
