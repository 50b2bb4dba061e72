import { Checkbox, Form, Input, InputNumber, Select, Space, Switch, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { organizationsApi } from '../../api/directory';
import {
  DIMSE_PEER_DIRECTIONS,
  peersApi,
  serviceAccountsApi,
  type DicomwebPeerView,
  type DimsePeerDirection,
  type DimsePeerView,
} from '../../api/service-accounts';
import type { Organization } from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { ErrorState } from '../../shell/States';
import { useApiData } from '../../shell/useApiData';
import { AdminPanel, AdminTable } from './AdminTable';
import { FormModal } from '../../shell/FormModal';

/** The same rule the server holds (1-16 printable ASCII characters, no backslash, not blank). */
const AE_TITLE = /^[\x20-\x5B\x5D-\x7E]{1,16}$/;

/** Whose peer it is: chosen when the peer is registered; an edit never moves it to another organization. */
function PeerOrganizationItem({ orgs, fixed }: { orgs: Organization[]; fixed: boolean }) {
  const { t } = useI18n();
  return (
    <Form.Item
      name="organizationId"
      label={t('sa.organization')}
      rules={[{ required: true, message: t('sa.orgRequired') }]}
    >
      <Select
        disabled={fixed}
        showSearch={{ optionFilterProp: 'label' }}
        options={orgs.map((o) => ({ value: o.id, label: o.name }))}
      />
    </Form.Item>
  );
}

/** Every peer's (and routing rule's) last two fields: whether it is on at all, and a note for the next admin. */
export function PeerNoteItems() {
  const { t } = useI18n();
  return (
    <>
      <Form.Item name="enabled" label={t('peer.enabled')} valuePropName="checked">
        <Switch />
      </Form.Item>
      <Form.Item name="description" label={t('peer.description')}>
        <Input maxLength={200} />
      </Form.Item>
    </>
  );
}

interface DimseValues {
  organizationId: string;
  aeTitle: string;
  host?: string;
  port?: number | null;
  directions: DimsePeerDirection[];
  enabled: boolean;
  description?: string;
}

function DimseForm({
  initial,
  orgs,
  onSaved,
  onCancel,
}: {
  initial: DimsePeerView | null;
  orgs: Organization[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<DimseValues>();
  const save = async (v: DimseValues) => {
    const fields = {
      aeTitle: v.aeTitle.trim(),
      host: v.host?.trim() || null,
      port: v.port ?? null,
      directions: v.directions,
      enabled: v.enabled,
      description: v.description?.trim() || null,
    };
    if (initial) await peersApi.updateDimse(initial.id, fields);
    else await peersApi.createDimse({ ...fields, organizationId: v.organizationId });
  };
  return (
    <FormModal
      title={initial ? t('peer.edit') : t('peer.create')}
      form={form}
      initialValues={
        initial
          ? {
              ...initial,
              host: initial.host ?? undefined,
              description: initial.description ?? undefined,
            }
          : { directions: ['store', 'query'], enabled: true }
      }
      save={save}
      onSaved={onSaved}
      onCancel={onCancel}
      submitTestId="peer-submit"
    >
      <PeerOrganizationItem orgs={orgs} fixed={!!initial} />
      <Form.Item
        name="aeTitle"
        label={t('peer.aeTitle')}
        extra={t('peer.aeTitleRule')}
        rules={[
          { required: true, whitespace: true, message: t('peer.aeTitleRule') },
          { pattern: AE_TITLE, message: t('peer.aeTitleRule') },
        ]}
      >
        <Input maxLength={16} data-testid="peer-ae-title" />
      </Form.Item>
      <Space>
        <Form.Item name="host" label={t('peer.host')}>
          <Input maxLength={253} />
        </Form.Item>
        <Form.Item name="port" label={t('peer.port')}>
          <InputNumber min={1} max={65535} />
        </Form.Item>
      </Space>
      <Form.Item
        name="directions"
        label={t('peer.directions')}
        rules={[{ required: true, type: 'array', min: 1, message: t('peer.directions') }]}
      >
        <Checkbox.Group
          options={DIMSE_PEER_DIRECTIONS.map((d) => ({ value: d, label: t(`direction.${d}`) }))}
        />
      </Form.Item>
      <PeerNoteItems />
    </FormModal>
  );
}

interface DicomwebValues {
  organizationId: string;
  name: string;
  baseUrl: string;
  serviceAccountId?: string;
  credentialsRef?: string;
  enabled: boolean;
  description?: string;
}

function DicomwebForm({
  initial,
  orgs,
  onSaved,
  onCancel,
}: {
  initial: DicomwebPeerView | null;
  orgs: Organization[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<DicomwebValues>();
  const accounts = useApiData(() => serviceAccountsApi.list(), []);
  const organizationId = Form.useWatch('organizationId', form) ?? initial?.organizationId;
  const save = async (v: DicomwebValues) => {
    const fields = {
      name: v.name.trim(),
      baseUrl: v.baseUrl.trim(),
      serviceAccountId: v.serviceAccountId ?? null,
      credentialsRef: v.credentialsRef?.trim() || null,
      enabled: v.enabled,
      description: v.description?.trim() || null,
    };
    if (initial) await peersApi.updateDicomweb(initial.id, fields);
    else await peersApi.createDicomweb({ ...fields, organizationId: v.organizationId });
  };
  return (
    <FormModal
      title={initial ? t('peer.edit') : t('peer.createDicomweb')}
      form={form}
      initialValues={
        initial
          ? {
              ...initial,
              serviceAccountId: initial.serviceAccountId ?? undefined,
              credentialsRef: initial.credentialsRef ?? undefined,
              description: initial.description ?? undefined,
            }
          : { enabled: true }
      }
      save={save}
      onSaved={onSaved}
      onCancel={onCancel}
    >
      <PeerOrganizationItem orgs={orgs} fixed={!!initial} />
      <Form.Item name="name" label={t('peer.name')} rules={[{ required: true, whitespace: true }]}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="baseUrl" label={t('peer.baseUrl')} rules={[{ required: true, type: 'url' }]}>
        <Input placeholder="https://pacs.example/dicom-web" />
      </Form.Item>
      <Form.Item name="serviceAccountId" label={t('peer.serviceAccount')}>
        <Select
          allowClear
          options={(accounts.data?.items ?? [])
            .filter((a) => a.organizationId === organizationId && !a.revokedAt)
            .map((a) => ({ value: a.id, label: a.name }))}
        />
      </Form.Item>
      <Form.Item
        name="credentialsRef"
        label={t('peer.credentialsRef')}
        rules={[{ pattern: /^[A-Z][A-Z0-9_]{0,63}$/ }]}
      >
        <Input placeholder="CITY_PACS_TOKEN" />
      </Form.Item>
      <PeerNoteItems />
    </FormModal>
  );
}

export function DicomPeersPage() {
  const { t } = useI18n();
  const dimse = useApiData(() => peersApi.listDimse(), []);
  const dicomweb = useApiData(() => peersApi.listDicomweb(), []);
  const orgList = useApiData(() => organizationsApi.list(), []);
  const orgs = useMemo(() => orgList.data?.items ?? [], [orgList.data]);
  const byId = useMemo(() => new Map(orgs.map((o) => [o.id, o])), [orgs]);
  const [editingDimse, setEditingDimse] = useState<DimsePeerView | 'new' | null>(null);
  const [editingWeb, setEditingWeb] = useState<DicomwebPeerView | 'new' | null>(null);

  const error = dimse.error ?? dicomweb.error ?? orgList.error;
  if (error)
    return (
      <ErrorState
        error={error}
        onRetry={() => (dimse.reload(), dicomweb.reload(), orgList.reload())}
      />
    );
  const orgName = (id: string) => byId.get(id)?.name ?? id;
  const enabledTag = (on: boolean) =>
    on ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>;
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      <AdminPanel
        title={t('peer.dimse')}
        createLabel={t('peer.create')}
        onCreate={() => setEditingDimse('new')}
      >
        <AdminTable<DimsePeerView>
          data-testid="dimse-peers-table"
          loading={dimse.loading || orgList.loading}
          rows={dimse.data?.items}
          empty={t('peer.empty')}
          pagination={false}
          columns={[
            {
              title: t('peer.aeTitle'),
              dataIndex: 'aeTitle',
              render: (ae: string, p) => (
                <Typography.Link onClick={() => setEditingDimse(p)}>{ae}</Typography.Link>
              ),
            },
            { title: t('sa.organization'), dataIndex: 'organizationId', render: orgName },
            {
              title: `${t('peer.host')}:${t('peer.port')}`,
              key: 'address',
              render: (_, p) => (p.host ? `${p.host}:${p.port}` : t('common.none')),
            },
            {
              title: t('peer.directions'),
              dataIndex: 'directions',
              render: (ds: DimsePeerDirection[]) =>
                ds.map((d) => <Tag key={d}>{t(`direction.${d}`)}</Tag>),
            },
            { title: t('peer.enabled'), dataIndex: 'enabled', render: enabledTag },
            { title: t('peer.description'), dataIndex: 'description' },
          ]}
        />
      </AdminPanel>
      <AdminPanel
        title={t('peer.dicomweb')}
        createLabel={t('peer.createDicomweb')}
        onCreate={() => setEditingWeb('new')}
      >
        <AdminTable<DicomwebPeerView>
          data-testid="dicomweb-peers-table"
          loading={dicomweb.loading || orgList.loading}
          rows={dicomweb.data?.items}
          empty={t('peer.empty')}
          pagination={false}
          columns={[
            {
              title: t('peer.name'),
              dataIndex: 'name',
              render: (name: string, p) => (
                <Typography.Link onClick={() => setEditingWeb(p)}>{name}</Typography.Link>
              ),
            },
            { title: t('sa.organization'), dataIndex: 'organizationId', render: orgName },
            { title: t('peer.baseUrl'), dataIndex: 'baseUrl' },
            {
              title: t('peer.credentialsRef'),
              dataIndex: 'credentialsRef',
              render: (v: string | null) => v ?? t('common.none'),
            },
            { title: t('peer.enabled'), dataIndex: 'enabled', render: enabledTag },
          ]}
        />
      </AdminPanel>
      {editingDimse ? (
        <DimseForm
          initial={editingDimse === 'new' ? null : editingDimse}
          orgs={orgs}
          onCancel={() => setEditingDimse(null)}
          onSaved={() => (setEditingDimse(null), dimse.reload())}
        />
      ) : null}
      {editingWeb ? (
        <DicomwebForm
          initial={editingWeb === 'new' ? null : editingWeb}
          orgs={orgs}
          onCancel={() => setEditingWeb(null)}
          onSaved={() => (setEditingWeb(null), dicomweb.reload())}
        />
      ) : null}
    </Space>
  );
}
