import {
  Alert,
  App,
  Badge,
  Button,
  Card,
  Descriptions,
  Empty,
  List,
  Result,
  Space,
  Spin,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client';
import type { ConsultationDetail } from '../api/consultations';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/messages';
import { ErrorState, errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';
import { HEALTH_DEFAULTS, levelOfScore, type QualityLevel } from '@huizhen/media-client';
import { chosenDevices, playOnSpeaker, wantsPrecheck } from './devices';
import { PreJoinCheck } from './PreJoinCheck';
import type { RoomEntry } from './room-entry';
import { tileScore, useRoom, type RemoteTile, type RoomState } from './useRoom';

function Video({
  track,
  muted,
  testId,
  mirror,
}: {
  track: MediaStreamTrack | null;
  muted?: boolean;
  testId: string;
  mirror?: boolean;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.srcObject = track ? new MediaStream([track]) : null;
    if (track) void el.play().catch(() => undefined);
  }, [track]);
  return (
    <video
      ref={ref}
      data-testid={testId}
      autoPlay
      playsInline
      muted={muted}
      style={{
        width: '100%',
        height: '100%',
        objectFit: 'cover',
        background: '#111',
        transform: mirror ? 'scaleX(-1)' : undefined,
      }}
    />
  );
}

function Audio({ track }: { track: MediaStreamTrack | null }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    ref.current.srcObject = track ? new MediaStream([track]) : null;
    // The speaker chosen in the pre-join check.
    playOnSpeaker(ref.current, chosenDevices().speakerId);
    if (track) void ref.current.play().catch(() => undefined);
  }, [track]);
  return <audio ref={ref} autoPlay />;
}

/**
 * Signal bars. A remote tile's level comes from what this page actually receives (loss, jitter,
 * frame rate, bitrate from getStats, and nothing at all = lost), the worse of that and the
 * server's score; the own tile's from the server's score of what it sends.
 */
export function QualityIndicator({ level, tip }: { level: QualityLevel; tip?: string | null }) {
  const { t } = useI18n();
  const color = {
    unknown: '#bbb',
    good: '#52c41a',
    fair: '#faad14',
    poor: '#ff4d4f',
    lost: '#ff4d4f',
  }[level];
  const bars = { unknown: 0, good: 4, fair: 2, poor: 1, lost: 0 }[level];
  return (
    <Tooltip
      title={
        tip ??
        (level === 'unknown' ? t('room.quality.unknown') : t(`room.quality.${level}` as MessageKey))
      }
    >
      <span
        data-testid="quality"
        data-level={level}
        style={{ display: 'inline-flex', alignItems: 'flex-end', gap: 2, height: 14 }}
      >
        {[1, 2, 3, 4].map((b) => (
          <span
            key={b}
            style={{
              width: 3,
              height: 3 + b * 3,
              background: b <= bars ? color : 'rgba(255,255,255,0.35)',
              borderRadius: 1,
            }}
          />
        ))}
        <span style={{ marginInlineStart: 4, fontSize: 12, color: '#fff' }}>
          {t(`room.quality.${level}` as MessageKey)}
        </span>
      </span>
    </Tooltip>
  );
}

const tileStyle: React.CSSProperties = {
  position: 'relative',
  aspectRatio: '16 / 9',
  borderRadius: 8,
  overflow: 'hidden',
  background: '#111',
};
const captionStyle: React.CSSProperties = {
  position: 'absolute',
  left: 8,
  bottom: 8,
  right: 8,
  display: 'flex',
  justifyContent: 'space-between',
  alignItems: 'center',
  color: '#fff',
  textShadow: '0 1px 2px #000',
};

const scoreTip = (t: ReturnType<typeof useI18n>['t'], score: number | null) =>
  score === null ? null : t('room.quality.score', { score: score.toFixed(1) });

/** What the bars' tooltip says of a remote peer: what arrives, measured (the busiest track). */
function receivedTip(
  t: ReturnType<typeof useI18n>['t'],
  state: RoomState,
  peerId: string,
): string | null {
  const tracks = Object.values(state.health?.tracks ?? {}).filter(
    (x) => x.peerId === peerId && x.state === 'flowing' && x.kbps !== null,
  );
  if (!tracks.length) return null;
  const loss = Math.max(...tracks.map((x) => x.lossPct ?? 0));
  const jitter = Math.max(...tracks.map((x) => x.jitterMs ?? 0));
  const kbps = Math.round(tracks.reduce((n, x) => n + (x.kbps ?? 0), 0));
  return t('room.quality.received', { loss: loss.toFixed(1), jitter: Math.round(jitter), kbps });
}

const overlayStyle: React.CSSProperties = {
  position: 'absolute',
  inset: 0,
  display: 'grid',
  placeItems: 'center',
  background: 'rgba(0,0,0,0.55)',
  color: '#fff',
  fontSize: 16,
  textAlign: 'center',
  padding: 12,
};

function RemoteTileView({
  tile,
  name,
  state,
  speaking,
  onMute,
}: {
  tile: RemoteTile;
  name: string;
  state: RoomState;
  speaking: boolean;
  onMute?: () => void;
}) {
  const { t } = useI18n();
  const video = tile.screen ?? tile.video;
  const health = state.health?.peers[tile.peerId];
  const mediaState = health?.state ?? 'waiting';
  const score = tileScore(state, tile);
  const overlay =
    mediaState === 'lost'
      ? 'room.tile.lost'
      : mediaState === 'frozen'
        ? 'room.tile.frozen'
        : mediaState === 'failed'
          ? 'room.tile.failed'
          : mediaState === 'waiting'
            ? 'room.tile.waiting'
            : null;
  return (
    <div
      data-testid="remote-tile"
      data-peer={tile.peerId}
      data-media-state={mediaState}
      style={{ ...tileStyle, outline: speaking ? '3px solid #52c41a' : undefined }}
    >
      {video && !state.audioOnly && !(tile.videoPaused && !tile.screen) ? (
        <Video track={video} testId="remote-video" />
      ) : (
        <div style={{ display: 'grid', placeItems: 'center', height: '100%', color: '#ddd' }}>
          {state.audioOnly ? t('room.audioOnlyOn') : t('room.cameraOffRemote')}
        </div>
      )}
      <Audio track={tile.audio} />
      {overlay ? (
        <div data-testid="tile-status" data-state={mediaState} style={overlayStyle}>
          {mediaState === 'lost' || mediaState === 'waiting' ? (
            <Spin size="small" style={{ marginBottom: 8 }} />
          ) : null}
          <span>{t(overlay as MessageKey)}</span>
        </div>
      ) : null}
      <div style={captionStyle}>
        <span>
          {name}
          {tile.screen ? (
            <Tag color="blue" style={{ marginInlineStart: 6 }}>
              {t('room.sharingScreen')}
            </Tag>
          ) : null}
        </span>
        <Space size={6}>
          <QualityIndicator
            level={health ? health.level : levelOfScore(score)}
            tip={receivedTip(t, state, tile.peerId) ?? scoreTip(t, score)}
          />
          {onMute ? (
            <Button size="small" onClick={onMute}>
              {t('room.mutePeer')}
            </Button>
          ) : null}
        </Space>
      </div>
    </div>
  );
}

/**
 * The room route: the pre-join check first when the link asks for it (`?check`) or the user chose
 * to check every time, else straight into the room (the fast join, unchanged).
 */
export function VideoRoomPage() {
  const { consultationId = '' } = useParams();
  const location = useLocation();
  const [entry, setEntry] = useState<RoomEntry | null>(() =>
    wantsPrecheck(location.search) ? null : { stream: null, audioOnly: false },
  );
  if (!entry) {
    return (
      <div data-testid="video-room" data-phase="checking" style={{ display: 'grid', gap: 12 }}>
        <PreJoinCheck consultationId={consultationId} onJoin={setEntry} />
      </div>
    );
  }
  return <VideoRoom consultationId={consultationId} entry={entry} />;
}

function VideoRoom({ consultationId, entry }: { consultationId: string; entry: RoomEntry }) {
  const { t, lang } = useI18n();
  const terms = useDirectoryTerms();
  const { profile } = useAuth();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const consultation = useApiData(
    () => api.get<ConsultationDetail>(`/api/consultations/${encodeURIComponent(consultationId)}`),
    [consultationId],
  );
  const room = useRoom(consultationId, entry);
  const { state } = room;
  const isHost = state.role === 'host';

  const nameOf = (peerId: string) => {
    const p = state.peers.get(peerId);
    if (p?.name) return p.name;
    // Admitted from the waiting room: the server did not list the others; the consultation knows them.
    const others = (consultation.data?.participants ?? []).filter(
      (x) => x.practitionerId !== profile?.id,
    );
    return others.length === 1 ? others[0].displayName : t('room.participant');
  };
  const run = (f: () => Promise<unknown> | undefined) => () => {
    void Promise.resolve(f()).catch((e) => message.error(errorMessage(t, e)));
  };

  if (state.phase === 'failed')
    return <ErrorState error={state.error} onRetry={() => window.location.reload()} />;
  if (state.phase === 'ended' || state.phase === 'closed') {
    return (
      <Result
        data-testid="room-ended"
        status="info"
        title={state.phase === 'ended' ? t('room.ended') : t('room.left')}
        extra={<Button onClick={() => navigate(-1)}>{t('common.back')}</Button>}
      />
    );
  }

  const c = consultation.data;
  const phaseColor =
    state.phase === 'joined'
      ? 'green'
      : state.phase === 'waiting'
        ? 'gold'
        : state.phase === 'reconnecting' || state.phase === 'rejoining'
          ? 'red'
          : 'blue';
  return (
    <div data-testid="video-room" data-phase={state.phase} style={{ display: 'grid', gap: 12 }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('room.title')}
          {c ? (
            <Typography.Text type="secondary" style={{ fontSize: 14, marginInlineStart: 12 }}>
              {t('room.subtitle', {
                patient: c.patient.name,
                org: c.requestingOrganizationName ?? '',
              })}
            </Typography.Text>
          ) : null}
        </Typography.Title>
        <Space>
          <Badge
            color={phaseColor}
            text={
              <span data-testid="room-phase">{t(`room.phase.${state.phase}` as MessageKey)}</span>
            }
          />
          {state.role ? (
            <Tag color={isHost ? 'purple' : 'blue'}>
              {t(`room.role.${state.role}` as MessageKey)}
            </Tag>
          ) : null}
        </Space>
      </Space>

      {state.phase === 'reconnecting' || state.phase === 'rejoining' ? (
        <Alert
          data-testid="reconnecting-banner"
          type="warning"
          showIcon
          banner
          title={t('room.reconnecting')}
          description={t('room.reconnectingHint')}
        />
      ) : null}
      {state.suggestAudioOnly && !state.audioOnly ? (
        <Alert
          type="info"
          showIcon
          title={t('room.suggestAudioOnly')}
          action={
            <Button size="small" onClick={run(room.toggleAudioOnly)}>
              {t('room.switchAudioOnly')}
            </Button>
          }
        />
      ) : null}
      {state.health?.media === 'failed' ? (
        <Alert
          data-testid="no-media"
          type="error"
          showIcon
          title={t('room.noMedia.title')}
          description={
            <>
              {t('room.noMedia.hint', { seconds: Math.round(HEALTH_DEFAULTS.noMediaMs / 1000) })}
              {state.mediaFailed?.recorded ? (
                <div data-testid="no-media-recorded">{t('room.noMedia.recorded')}</div>
              ) : null}
            </>
          }
          action={
            !state.audioOnly ? (
              <Button size="small" onClick={run(room.toggleAudioOnly)}>
                {t('room.switchAudioOnly')}
              </Button>
            ) : undefined
          }
        />
      ) : null}
      {state.mutedBy ? <Alert type="info" showIcon closable title={t('room.mutedByHost')} /> : null}
      {state.deviceProblem ? (
        <Alert
          type="warning"
          showIcon
          title={t('room.deviceProblem')}
          description={state.deviceProblem}
          action={
            <Button
              size="small"
              data-testid="open-check"
              onClick={() =>
                window.location.assign(`/room/${encodeURIComponent(consultationId)}?check=1`)
              }
            >
              {t('room.check.open')}
            </Button>
          }
        />
      ) : null}

      <div
        style={{
          display: 'grid',
          gridTemplateColumns: 'minmax(0, 1fr) 300px',
          gap: 12,
          alignItems: 'start',
        }}
      >
        <div style={{ display: 'grid', gap: 12 }}>
          {state.phase === 'waiting' ? (
            <Card data-testid="waiting-room">
              <Result
                icon={<Spin size="large" />}
                title={t('room.waitingTitle')}
                subTitle={t('room.waitingHint')}
              />
            </Card>
          ) : state.phase === 'preparing' ||
            state.phase === 'connecting' ||
            state.phase === 'idle' ? (
            <Card>
              <Spin tip={t('room.connecting')}>
                <div style={{ height: 120 }} />
              </Spin>
            </Card>
          ) : null}
          <div
            data-testid="tiles"
            style={{
              display: 'grid',
              gridTemplateColumns: 'repeat(auto-fill, minmax(360px, 1fr))',
              gap: 12,
            }}
          >
            {/* The other side first (the largest place on a narrow screen); our own picture after it. */}
            <div data-testid="own-tile" style={{ ...tileStyle, order: 1 }}>
              {state.cameraOn && state.local?.getVideoTracks()[0] ? (
                <Video
                  track={state.localScreen ?? state.local.getVideoTracks()[0]}
                  muted
                  testId="own-video"
                  mirror={!state.localScreen}
                />
              ) : (
                <div
                  style={{ display: 'grid', placeItems: 'center', height: '100%', color: '#ddd' }}
                >
                  {t('room.cameraOff')}
                </div>
              )}
              <div style={captionStyle}>
                <span>
                  {t('room.me', { name: profile?.displayName ?? '' })}
                  {!state.micOn ? (
                    <Tag color="red" style={{ marginInlineStart: 6 }}>
                      {t('room.micOff')}
                    </Tag>
                  ) : null}
                </span>
                <Tooltip title={t('room.sendQuality')}>
                  <span>
                    <QualityIndicator
                      level={levelOfScore(state.sendScore)}
                      tip={scoreTip(t, state.sendScore)}
                    />
                  </span>
                </Tooltip>
              </div>
            </div>
            {state.tiles.map((tile) => (
              <RemoteTileView
                key={tile.peerId}
                tile={tile}
                name={nameOf(tile.peerId)}
                state={state}
                speaking={state.activeSpeaker === tile.peerId}
                onMute={isHost ? run(() => room.mutePeer(tile.peerId)) : undefined}
              />
            ))}
          </div>
          {state.phase === 'joined' && state.tiles.length === 0 ? (
            <Empty data-testid="alone" description={t('room.alone')} />
          ) : null}
          <Space wrap data-testid="room-controls">
            <Button
              data-testid="toggle-mic"
              type={state.micOn ? 'default' : 'primary'}
              danger={!state.micOn}
              onClick={run(room.toggleMic)}
              disabled={!state.local?.getAudioTracks().length}
            >
              {state.micOn ? t('room.mute') : t('room.unmute')}
            </Button>
            <Button
              data-testid="toggle-camera"
              type={state.cameraOn ? 'default' : 'primary'}
              danger={!state.cameraOn}
              onClick={run(room.toggleCamera)}
              disabled={!state.local?.getVideoTracks().length}
            >
              {state.cameraOn ? t('room.cameraStop') : t('room.cameraStart')}
            </Button>
            <Button
              data-testid="toggle-screen"
              onClick={run(room.toggleScreen)}
              disabled={state.phase !== 'joined' || state.role === 'observer'}
            >
              {state.localScreen ? t('room.screenStop') : t('room.screenStart')}
            </Button>
            <Button
              data-testid="toggle-audio-only"
              type={state.audioOnly ? 'primary' : 'default'}
              onClick={run(room.toggleAudioOnly)}
              disabled={state.phase !== 'joined'}
            >
              {state.audioOnly ? t('room.audioOnlyOff') : t('room.audioOnly')}
            </Button>
            <Button data-testid="leave-room" danger onClick={run(room.leave)}>
              {t('room.leave')}
            </Button>
            {isHost ? (
              <Button data-testid="end-room" danger type="primary" onClick={run(room.endRoom)}>
                {t('room.end')}
              </Button>
            ) : null}
          </Space>
        </div>

        <div style={{ display: 'grid', gap: 12 }}>
          {isHost ? (
            <Card
              size="small"
              title={t('room.waitingList', { n: state.waiting.length })}
              data-testid="waiting-list"
            >
              <List
                locale={{ emptyText: t('room.nobodyWaiting') }}
                dataSource={state.waiting}
                renderItem={(p) => (
                  <List.Item
                    actions={[
                      <Button
                        key="admit"
                        type="primary"
                        size="small"
                        data-testid="admit"
                        onClick={run(() => room.admit(p.peerId))}
                      >
                        {t('room.admit')}
                      </Button>,
                    ]}
                  >
                    <span data-testid="waiting-peer">{p.name}</span>
                    <Tag style={{ marginInlineStart: 6 }}>
                      {t(`room.role.${p.role}` as MessageKey)}
                    </Tag>
                  </List.Item>
                )}
              />
            </Card>
          ) : null}
          <Card size="small" title={t('room.participants')}>
            <List
              size="small"
              dataSource={[
                ...state.peers.values(),
                // Admitted from the waiting room, the server did not list who was already there: their media did.
                ...state.tiles
                  .filter((x) => !state.peers.has(x.peerId))
                  .map((x) => ({
                    peerId: x.peerId,
                    name: nameOf(x.peerId),
                    role: isHost ? 'township_doctor' : 'host',
                  })),
              ]}
              locale={{ emptyText: t('room.alone') }}
              renderItem={(p) => (
                <List.Item>
                  {p.name} <Tag>{t(`room.role.${p.role}` as MessageKey)}</Tag>
                </List.Item>
              )}
            />
          </Card>
          {c ? (
            <Card size="small" title={t('room.consultation')}>
              <Descriptions
                size="small"
                column={1}
                items={[
                  { key: 'p', label: t('room.patient'), children: c.patient.name },
                  {
                    key: 'o',
                    label: t('room.requester'),
                    children: `${c.requestingOrganizationName ?? ''} ${c.requesterName ?? ''}`,
                  },
                  {
                    key: 's',
                    label: t('room.specialty'),
                    children: specialtyLabel(c.specialty, terms, lang),
                  },
                ]}
              />
            </Card>
          ) : null}
        </div>
      </div>
    </div>
  );
}
