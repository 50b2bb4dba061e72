import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  Popconfirm,
  Progress,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { organizationsApi } from '../../api/directory';
import {
  FORWARD_JOB_STATES,
  routingApi,
  type ForwardJobState,
  type ForwardJobView,
  type RoutingRuleChanges,
  type RoutingRuleView,
} from '../../api/routing';
import { peersApi } from '../../api/service-accounts';
import type { Organization } from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { ErrorState, errorMessage } from '../../shell/States';
import { FormModal } from '../../shell/FormModal';
import { useApiData } from '../../shell/useApiData';
import { AdminPanel, AdminTable } from './AdminTable';
import { PeerNoteItems } from './DicomPeersPage';

/** The server's rules for the filters' values (a modality code; an AE title). */
const MODALITY = /^[A-Z0-9_ ]{1,16}$/;
const AE_TITLE = /^[\x20-\x5B\x5D-\x7E]{1,16}$/;
/** The queue moves on its own: the list is read again this often while the page is open. */
const QUEUE_REFRESH_MS = 5000;

const STATE_COLOR: Record<ForwardJobState, string> = {
  queued: 'blue',
  sending: 'processing',
  done: 'green',
  dead: 'red',
};

interface RuleValues {
  organizationId: string;
  name: string;
  modalities: string[];
  callingAeTitles: string[];
  /** `dimse:<id>` or `dicomweb:<id>`: one list of both kinds of peer. */
  destination: string;
  enabled: boolean;
  description?: string;
}

const tagsMatch = (re: RegExp) => ({
  validator: (_: unknown, v: string[] | undefined) =>
    (v ?? []).every((x) => re.test(x)) ? Promise.resolve() : Promise.reject(new Error()),
});

function RuleForm({
  initial,
  orgs,
  onSaved,
  onCancel,
}: {
  initial: RoutingRuleView | null;
  orgs: Organization[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<RuleValues>();
  const dimse = useApiData(() => peersApi.listDimse(), []);
  const dicomweb = useApiData(() => peersApi.listDicomweb(), []);
  const organizationId = Form.useWatch('organizationId', form) ?? initial?.organizationId;
  // Only the organization's own peers we can send to: DIMSE ones need an address.
  const destinations = [
    ...(dimse.data?.items ?? [])
      .filter((p) => p.organizationId === organizationId && p.host && p.port)
      .map((p) => ({
        value: `dimse:${p.id}`,
        label: `${p.aeTitle} (C-STORE ${p.host}:${p.port})`,
      })),
    ...(dicomweb.data?.items ?? [])
      .filter((p) => p.organizationId === organizationId)
      .map((p) => ({ value: `dicomweb:${p.id}`, label: `${p.name} (STOW-RS)` })),
  ];
  const save = async (v: RuleValues) => {
    const [kind, peerId] = v.destination.split(':');
    const fields = {
      name: v.name.trim(),
      modalities: v.modalities.map((m) => m.trim().toUpperCase()),
      callingAeTitles: v.callingAeTitles.map((a) => a.trim()),
      dimsePeerId: kind === 'dimse' ? peerId : null,
      dicomwebPeerId: kind === 'dicomweb' ? peerId : null,
      enabled: v.enabled,
      description: v.description?.trim() || null,
    } satisfies RoutingRuleChanges;
    if (initial) await routingApi.updateRule(initial.id, fields);
    else await routingApi.createRule({ ...fields, organizationId: v.organizationId });
  };
  return (
    <FormModal<RuleValues>
      title={initial ? t('route.edit') : t('route.create')}
      form={form}
      save={save}
      onSaved={onSaved}
      onCancel={onCancel}
      submitTestId="rule-submit"
      initialValues={
        initial
          ? {
              ...initial,
              destination: `${initial.destination.kind}:${initial.destination.peerId}`,
              description: initial.description ?? undefined,
            }
          : { modalities: [], callingAeTitles: [], enabled: true }
      }
    >
      <Form.Item
        name="organizationId"
        label={t('route.source')}
        rules={[{ required: true, message: t('sa.orgRequired') }]}
      >
        <Select
          data-testid="rule-organization"
          disabled={!!initial}
          showSearch={{ optionFilterProp: 'label' }}
          options={orgs.map((o) => ({ value: o.id, label: o.name }))}
        />
      </Form.Item>
      <Form.Item
        name="name"
        label={t('route.name')}
        rules={[{ required: true, whitespace: true, message: t('sa.nameRequired') }]}
      >
        <Input maxLength={100} data-testid="rule-name" />
      </Form.Item>
      <Form.Item
        name="modalities"
        label={t('route.modalities')}
        extra={t('route.modalitiesHint')}
        rules={[{ ...tagsMatch(MODALITY), message: t('route.modalitiesHint') }]}
        normalize={(v: string[]) => v.map((m) => m.trim().toUpperCase())}
      >
        <Select mode="tags" tokenSeparators={[',', ' ']} open={false} />
      </Form.Item>
      <Form.Item
        name="callingAeTitles"
        label={t('route.callingAeTitles')}
        extra={t('route.callingAeHint')}
        rules={[{ ...tagsMatch(AE_TITLE), message: t('peer.aeTitleRule') }]}
      >
        <Select mode="tags" tokenSeparators={[',']} open={false} />
      </Form.Item>
      <Form.Item
        name="destination"
        label={t('route.destination')}
        extra={t('route.destinationHint')}
        rules={[{ required: true, message: t('route.destinationRequired') }]}
      >
        <Select
          data-testid="rule-destination"
          options={destinations}
          loading={dimse.loading || dicomweb.loading}
        />
      </Form.Item>
      <PeerNoteItems />
    </FormModal>
  );
}

/** The queue: each study on its way with its progress; dead letters with their reasons, retried or discarded here. */
function ForwardQueuePanel() {
  const { t } = useI18n();
  const [state, setState] = useState<ForwardJobState | undefined>();
  const jobs = useApiData(() => routingApi.listJobs(state), [state]);
  const [actionError, setActionError] = useState<string | null>(null);
  const { reload } = jobs;
  useEffect(() => {
    const timer = setInterval(reload, QUEUE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const act = async (work: Promise<unknown>) => {
    setActionError(null);
    try {
      await work;
    } catch (e) {
      setActionError(errorMessage(t, e));
    }
    reload();
  };
  const when = (iso: string | null) =>
    iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : t('common.none');
  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('route.queue')}
        </Typography.Title>
      }
      extra={
        <Select<ForwardJobState | 'all'>
          style={{ width: 160 }}
          value={state ?? 'all'}
          onChange={(v) => setState(v === 'all' ? undefined : v)}
          data-testid="queue-state"
          options={[
            { value: 'all', label: t('route.allStates') },
            ...FORWARD_JOB_STATES.map((s) => ({ value: s, label: t(`forwardState.${s}`) })),
          ]}
        />
      }
    >
      {actionError ? (
        <Alert type="error" showIcon title={actionError} style={{ marginBottom: 16 }} />
      ) : null}
      <AdminTable<ForwardJobView>
        data-testid="forward-jobs-table"
        loading={jobs.loading && !jobs.data}
        rows={jobs.data?.items}
        error={jobs.error}
        onRetry={reload}
        empty={t('route.queueEmpty')}
        pagination={{ pageSize: 20 }}
        expandable={{
          rowExpandable: (j) => j.failures.length > 0,
          expandedRowRender: (j) => (
            <ul style={{ margin: 0 }}>
              {j.failures.map((f) => (
                <li key={`${f.attempt} ${f.at}`}>
                  #{f.attempt} {when(f.at)}: {f.reason}
                </li>
              ))}
            </ul>
          ),
        }}
        columns={[
          {
            title: t('route.study'),
            dataIndex: 'studyInstanceUid',
            width: 200,
            ellipsis: true,
            render: (uid: string) => <Typography.Text title={uid}>{uid}</Typography.Text>,
          },
          {
            title: t('route.rule'),
            key: 'rule',
            render: (_, j) => `${j.ruleName} → ${j.destination.name}`,
          },
          {
            title: t('route.state'),
            dataIndex: 'state',
            render: (s: ForwardJobState) => (
              <Tag color={STATE_COLOR[s]}>{t(`forwardState.${s}`)}</Tag>
            ),
          },
          {
            title: t('route.progress'),
            key: 'progress',
            render: (_, j) => (
              <Progress
                size="small"
                style={{ width: 110 }}
                status={j.state === 'dead' ? 'exception' : undefined}
                percent={
                  j.instancesTotal ? Math.round((100 * j.instancesSent) / j.instancesTotal) : 0
                }
                format={() => `${j.instancesSent}/${j.instancesTotal}`}
              />
            ),
          },
          { title: t('route.attempts'), dataIndex: 'attempts', width: 90 },
          { title: t('route.nextAttempt'), dataIndex: 'nextAttemptAt', width: 170, render: when },
          {
            title: t('route.lastError'),
            dataIndex: 'lastError',
            ellipsis: true,
            render: (e: string | null) =>
              e ? (
                <Typography.Text type="danger" title={e}>
                  {e}
                </Typography.Text>
              ) : null,
          },
          {
            key: 'actions',
            render: (_, j) =>
              j.state === 'dead' ? (
                <Space>
                  <Button
                    size="small"
                    data-testid="job-retry"
                    onClick={() => void act(routingApi.retryJob(j.id))}
                  >
                    {t('route.retry')}
                  </Button>
                  <Popconfirm
                    title={t('route.discardConfirm')}
                    okText={t('route.discard')}
                    cancelText={t('common.cancel')}
                    okButtonProps={{ danger: true, 'data-testid': 'job-discard-confirm' }}
                    onConfirm={() => act(routingApi.discardJob(j.id))}
                  >
                    <Button size="small" danger data-testid="job-discard">
                      {t('route.discard')}
                    </Button>
                  </Popconfirm>
                </Space>
              ) : null,
          },
        ]}
      />
    </Card>
  );
}

export function RoutingPage() {
  const { t } = useI18n();
  const rules = useApiData(() => routingApi.listRules(), []);
  const orgList = useApiData(() => organizationsApi.list(), []);
  const orgs = useMemo(() => orgList.data?.items ?? [], [orgList.data]);
  const byId = useMemo(() => new Map(orgs.map((o) => [o.id, o])), [orgs]);
  const [editing, setEditing] = useState<RoutingRuleView | 'new' | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  const error = rules.error ?? orgList.error;
  if (error) return <ErrorState error={error} onRetry={() => (rules.reload(), orgList.reload())} />;
  const orgName = (id: string) => byId.get(id)?.name ?? id;
  const any = <Typography.Text type="secondary">{t('route.any')}</Typography.Text>;
  const remove = async (rule: RoutingRuleView) => {
    setDeleteError(null);
    try {
      await routingApi.deleteRule(rule.id);
    } catch (e) {
      setDeleteError(errorMessage(t, e));
    }
    rules.reload();
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      <AdminPanel
        title={t('route.rules')}
        createLabel={t('route.create')}
        onCreate={() => setEditing('new')}
      >
        {deleteError ? (
          <Alert type="error" showIcon title={deleteError} style={{ marginBottom: 16 }} />
        ) : null}
        <AdminTable<RoutingRuleView>
          data-testid="routing-rules-table"
          loading={rules.loading || orgList.loading}
          rows={rules.data?.items}
          empty={t('route.empty')}
          pagination={false}
          columns={[
            {
              title: t('route.name'),
              dataIndex: 'name',
              render: (name: string, r) => (
                <Typography.Link onClick={() => setEditing(r)}>{name}</Typography.Link>
              ),
            },
            { title: t('route.source'), dataIndex: 'organizationId', render: orgName },
            {
              title: t('route.modalities'),
              dataIndex: 'modalities',
              render: (ms: string[]) => (ms.length ? ms.map((m) => <Tag key={m}>{m}</Tag>) : any),
            },
            {
              title: t('route.callingAeTitles'),
              dataIndex: 'callingAeTitles',
              render: (as: string[]) => (as.length ? as.map((a) => <Tag key={a}>{a}</Tag>) : any),
            },
            {
              title: t('route.destination'),
              key: 'destination',
              render: (_, r) =>
                `${r.destination.name} (${r.destination.kind === 'dimse' ? 'C-STORE' : 'STOW-RS'})`,
            },
            {
              title: t('peer.enabled'),
              dataIndex: 'enabled',
              render: (on: boolean) =>
                on ? (
                  <Tag color="green">{t('common.active')}</Tag>
                ) : (
                  <Tag>{t('common.inactive')}</Tag>
                ),
            },
            {
              key: 'actions',
              render: (_, r) => (
                <Popconfirm
                  title={t('route.deleteConfirm', { name: r.name })}
                  okText={t('route.delete')}
                  cancelText={t('common.cancel')}
                  okButtonProps={{ danger: true }}
                  onConfirm={() => remove(r)}
                >
                  <Button size="small" danger>
                    {t('route.delete')}
                  </Button>
                </Popconfirm>
              ),
            },
          ]}
        />
      </AdminPanel>
      <ForwardQueuePanel />
      {editing ? (
        <RuleForm
          initial={editing === 'new' ? null : editing}
          orgs={orgs}
          onCancel={() => setEditing(null)}
          onSaved={() => (setEditing(null), rules.reload())}
        />
      ) : null}
    </Space>
  );
}
