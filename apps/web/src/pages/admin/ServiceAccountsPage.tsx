import {
  Alert,
  Button,
  Checkbox,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { organizationsApi } from '../../api/directory';
import {
  SERVICE_ACCOUNT_SCOPES,
  serviceAccountsApi,
  type ServiceAccountScope,
  type ServiceAccountView,
} from '../../api/service-accounts';
import type { Organization } from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { ErrorState, errorMessage } from '../../shell/States';
import { useApiData } from '../../shell/useApiData';
import { AdminPanel, AdminTable } from './AdminTable';
import { FormModal } from '../../shell/FormModal';

interface FormValues {
  name: string;
  organizationId: string;
  scopes: ServiceAccountScope[];
  expiresOn?: string;
}

const when = (iso: string | null, none: string) =>
  iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : none;

function CreateForm({
  orgs,
  onCreated,
  onCancel,
}: {
  orgs: Organization[];
  onCreated: (key: string) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<FormValues>();
  const save = async (v: FormValues) => {
    const created = await serviceAccountsApi.create({
      name: v.name.trim(),
      organizationId: v.organizationId,
      scopes: v.scopes,
      ...(v.expiresOn ? { expiresAt: new Date(`${v.expiresOn}T23:59:59`).toISOString() } : {}),
    });
    return created.key;
  };
  return (
    <FormModal
      title={t('sa.create')}
      form={form}
      initialValues={{ scopes: ['dicomweb:read'] }}
      save={save}
      onSaved={onCreated}
      onCancel={onCancel}
      submitTestId="sa-submit"
    >
      <Form.Item
        name="name"
        label={t('sa.name')}
        rules={[{ required: true, whitespace: true, message: t('sa.nameRequired') }]}
      >
        <Input maxLength={100} data-testid="sa-name" />
      </Form.Item>
      <Form.Item
        name="organizationId"
        label={t('sa.organization')}
        rules={[{ required: true, message: t('sa.orgRequired') }]}
      >
        <Select
          data-testid="sa-organization"
          showSearch={{ optionFilterProp: 'label' }}
          options={orgs.map((o) => ({ value: o.id, label: o.name }))}
        />
      </Form.Item>
      <Form.Item
        name="scopes"
        label={t('sa.scopes')}
        rules={[{ required: true, type: 'array', min: 1, message: t('sa.scopesRequired') }]}
      >
        <Checkbox.Group
          data-testid="sa-scopes"
          options={SERVICE_ACCOUNT_SCOPES.map((s) => ({ value: s, label: t(`scope.${s}`) }))}
        />
      </Form.Item>
      <Form.Item name="expiresOn" label={t('sa.expiresAt')}>
        <Input type="date" data-testid="sa-expires" />
      </Form.Item>
    </FormModal>
  );
}

/** The key, this once: a warning, the key and a copy button; closing it forgets the key. */
function KeyOnce({ secretKey, onClose }: { secretKey: string; onClose: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secretKey);
    } catch {
      // Without clipboard rights (plain HTTP to another host): the key is selectable text.
      const r = document.createRange();
      r.selectNodeContents(document.querySelector('[data-testid="sa-key"]')!);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(r);
      document.execCommand('copy');
    }
    setCopied(true);
  };
  return (
    <Modal
      open
      closable={false}
      maskClosable={false}
      title={t('sa.keyTitle')}
      footer={
        <Button type="primary" onClick={onClose} data-testid="sa-key-done">
          {t('sa.done')}
        </Button>
      }
    >
      <Alert type="warning" showIcon title={t('sa.keyWarning')} style={{ marginBottom: 12 }} />
      <Typography.Paragraph>
        <code data-testid="sa-key" style={{ wordBreak: 'break-all', userSelect: 'all' }}>
          {secretKey}
        </code>
      </Typography.Paragraph>
      <Space>
        <Button onClick={() => void copy()} data-testid="sa-copy">
          {copied ? t('sa.copied') : t('sa.copy')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
        {t('sa.keyUsage')}
      </Typography.Paragraph>
    </Modal>
  );
}

export function ServiceAccountsPage() {
  const { t } = useI18n();
  const list = useApiData(() => serviceAccountsApi.list(), []);
  const orgList = useApiData(() => organizationsApi.list(), []);
  const orgs = useMemo(() => orgList.data?.items ?? [], [orgList.data]);
  const byId = useMemo(() => new Map(orgs.map((o) => [o.id, o])), [orgs]);
  const [creating, setCreating] = useState(false);
  const [key, setKey] = useState<string | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);

  const error = list.error ?? orgList.error;
  if (error) return <ErrorState error={error} onRetry={() => (list.reload(), orgList.reload())} />;
  const status = (a: ServiceAccountView) =>
    a.revokedAt ? (
      <Tag color="red">{t('sa.revoked')}</Tag>
    ) : a.active ? (
      <Tag color="green">{t('sa.active')}</Tag>
    ) : (
      <Tag>{t('sa.expired')}</Tag>
    );
  const revoke = async (a: ServiceAccountView) => {
    setRevokeError(null);
    try {
      await serviceAccountsApi.revoke(a.id);
      list.reload();
    } catch (e) {
      setRevokeError(errorMessage(t, e));
    }
  };
  return (
    <AdminPanel
      title={t('sa.title')}
      createLabel={t('sa.create')}
      onCreate={() => setCreating(true)}
    >
      {revokeError ? (
        <Alert type="error" showIcon title={revokeError} style={{ marginBottom: 12 }} />
      ) : null}
      <AdminTable<ServiceAccountView>
        data-testid="service-accounts-table"
        loading={list.loading || orgList.loading}
        rows={list.data?.items}
        empty={t('sa.empty')}
        pagination={false}
        columns={[
          { title: t('sa.name'), dataIndex: 'name' },
          {
            title: t('sa.organization'),
            dataIndex: 'organizationId',
            render: (id: string) => byId.get(id)?.name ?? id,
          },
          {
            title: t('sa.scopes'),
            dataIndex: 'scopes',
            render: (scopes: ServiceAccountScope[]) =>
              scopes.map((s) => (
                <Tag key={s} color="geekblue">
                  {t(`scope.${s}`)}
                </Tag>
              )),
          },
          {
            title: t('sa.createdAt'),
            dataIndex: 'createdAt',
            render: (v: string) => when(v, t('sa.never')),
          },
          {
            title: t('sa.lastUsedAt'),
            dataIndex: 'lastUsedAt',
            render: (v: string | null) => (
              <span data-testid="sa-last-used">{when(v, t('sa.never'))}</span>
            ),
          },
          {
            title: t('sa.expiresAt'),
            dataIndex: 'expiresAt',
            render: (v: string | null) => when(v, t('sa.noExpiry')),
          },
          { title: t('sa.status'), key: 'status', render: (_, a) => status(a) },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, a) =>
              a.revokedAt ? null : (
                <Popconfirm
                  title={t('sa.revokeConfirm', { name: a.name })}
                  okText={t('sa.revoke')}
                  cancelText={t('common.cancel')}
                  okButtonProps={{ danger: true, 'data-testid': 'sa-revoke-confirm' }}
                  onConfirm={() => revoke(a)}
                >
                  <Button danger size="small" data-testid="sa-revoke">
                    {t('sa.revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {creating ? (
        <CreateForm
          orgs={orgs}
          onCancel={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false);
            setKey(k);
            list.reload();
          }}
        />
      ) : null}
      {key ? <KeyOnce secretKey={key} onClose={() => setKey(null)} /> : null}
    </AdminPanel>
  );
}
