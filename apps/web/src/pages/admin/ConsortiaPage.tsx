import { Button, Drawer, Form, Input, Select, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { consortiaApi, organizationsApi } from '../../api/directory';
import {
  CONSORTIUM_KINDS,
  type Consortium,
  type ConsortiumInput,
  type Organization,
} from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { ErrorState } from '../../shell/States';
import { useApiData } from '../../shell/useApiData';
import { AdminPanel, AdminTable } from './AdminTable';
import { FormModal } from '../../shell/FormModal';

function ConsortiumMembers({
  id,
  byId,
  onClose,
}: {
  id: string;
  byId: Map<string, Organization>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const { data, error, loading, reload } = useApiData(() => consortiaApi.get(id), [id]);
  return (
    <Drawer
      open
      size={520}
      title={data?.name ?? t('consortium.members')}
      onClose={onClose}
      loading={loading}
    >
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : data ? (
        <>
          <Typography.Paragraph>
            {t('consortium.kind')}：{t(`kind.${data.kind}`)}
            <br />
            {t('consortium.lead')}：{byId.get(data.leadOrganizationId)?.name ?? t('common.none')}
          </Typography.Paragraph>
          <AdminTable<{ id: string; org?: Organization }>
            data-testid="consortium-members"
            size="small"
            pagination={false}
            rows={data.memberIds.map((id) => ({ id, org: byId.get(id) }))}
            empty={t('common.none')}
            columns={[
              { title: t('org.name'), key: 'name', render: (_, m) => m.org?.name ?? m.id },
              {
                title: t('org.level'),
                key: 'level',
                render: (_, m) => (m.org ? t(`level.${m.org.level}`) : t('common.none')),
              },
            ]}
          />
        </>
      ) : null}
    </Drawer>
  );
}

function ConsortiumForm({
  initial,
  orgs,
  onSaved,
  onCancel,
}: {
  initial: Consortium | null;
  orgs: Organization[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<ConsortiumInput>();
  const orgOptions = orgs.map((o) => ({
    value: o.id,
    label: `${o.name}（${t(`level.${o.level}`)}）`,
  }));
  const save = async (v: ConsortiumInput) => {
    const input: ConsortiumInput = {
      name: v.name.trim(),
      kind: v.kind,
      leadOrganizationId: v.leadOrganizationId,
      memberIds: v.memberIds ?? [],
    };
    if (initial) await consortiaApi.update(initial.id, input);
    else await consortiaApi.create(input);
  };
  return (
    <FormModal
      title={initial ? t('consortium.edit') : t('consortium.create')}
      form={form}
      initialValues={initial ?? { memberIds: [] }}
      save={save}
      onSaved={onSaved}
      onCancel={onCancel}
      width={600}
    >
      <Form.Item
        name="name"
        label={t('consortium.name')}
        rules={[{ required: true, whitespace: true, message: t('consortium.nameRequired') }]}
      >
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item
        name="kind"
        label={t('consortium.kind')}
        rules={[{ required: true, message: t('consortium.kindRequired') }]}
      >
        <Select options={CONSORTIUM_KINDS.map((k) => ({ value: k, label: t(`kind.${k}`) }))} />
      </Form.Item>
      <Form.Item
        name="leadOrganizationId"
        label={t('consortium.lead')}
        rules={[{ required: true, message: t('consortium.leadRequired') }]}
      >
        <Select showSearch={{ optionFilterProp: 'label' }} options={orgOptions} />
      </Form.Item>
      <Form.Item name="memberIds" label={t('consortium.members')}>
        <Select mode="multiple" showSearch={{ optionFilterProp: 'label' }} options={orgOptions} />
      </Form.Item>
    </FormModal>
  );
}

export function ConsortiaPage() {
  const { t } = useI18n();
  const list = useApiData(() => consortiaApi.list(), []);
  const orgList = useApiData(() => organizationsApi.list(), []);
  const orgs = useMemo(() => orgList.data?.items ?? [], [orgList.data]);
  const byId = useMemo(() => new Map(orgs.map((o) => [o.id, o])), [orgs]);
  const [openId, setOpenId] = useState<string | null>(null);
  const [editing, setEditing] = useState<Consortium | 'new' | null>(null);

  const error = list.error ?? orgList.error;
  if (error) return <ErrorState error={error} onRetry={() => (list.reload(), orgList.reload())} />;
  return (
    <AdminPanel
      title={t('consortium.title')}
      createLabel={t('consortium.create')}
      onCreate={() => setEditing('new')}
    >
      <AdminTable<Consortium>
        data-testid="consortia-table"
        loading={list.loading || orgList.loading}
        rows={list.data?.items}
        empty={t('consortium.empty')}
        pagination={false}
        scroll={{ y: 'calc(100vh - 280px)' }}
        columns={[
          {
            title: t('consortium.name'),
            dataIndex: 'name',
            render: (name: string, c) => (
              <Typography.Link onClick={() => setOpenId(c.id)}>{name}</Typography.Link>
            ),
          },
          {
            title: t('consortium.kind'),
            dataIndex: 'kind',
            render: (k: Consortium['kind']) => <Tag color="geekblue">{t(`kind.${k}`)}</Tag>,
          },
          {
            title: t('consortium.lead'),
            dataIndex: 'leadOrganizationId',
            render: (id: string) => byId.get(id)?.name ?? t('common.none'),
          },
          {
            title: t('consortium.memberCount'),
            key: 'members',
            width: 100,
            render: (_, c) => c.memberIds.length,
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 160,
            render: (_, c) => (
              <>
                <Button size="small" type="link" onClick={() => setOpenId(c.id)}>
                  {t('consortium.members')}
                </Button>
                <Button size="small" type="link" onClick={() => setEditing(c)}>
                  {t('common.edit')}
                </Button>
              </>
            ),
          },
        ]}
      />
      {openId ? (
        <ConsortiumMembers id={openId} byId={byId} onClose={() => setOpenId(null)} />
      ) : null}
      {editing ? (
        <ConsortiumForm
          initial={editing === 'new' ? null : editing}
          orgs={orgs}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            list.reload();
          }}
        />
      ) : null}
    </AdminPanel>
  );
}
